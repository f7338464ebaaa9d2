# Several collector processes behind HAProxy on one PostgreSQL: exactly-once across processes.
# SPDX-License-Identifier: MIT
"""The deployment of docs/scaling.md, small: two collector processes (the real app, each its own
process and connection pools), HAProxy with sync/deploy/haproxy.cfg, one PostgreSQL. A batch
that reaches both processes at once (a retry after a lost reply racing the original) is stored
once; a process killed inside a batch's transaction loses nothing (the terminal's retry lands on
the other process); every process verifies a terminal whose key another process has evolved."""

import threading

import httpx
import pytest

from firmware import wire
from sync.service import move
from sync.store import partitions, records
from tests.kit import balancer, prereq
from tests.kit.collector_calls import TOKEN_A, TOKEN_B, kc, register


@pytest.fixture
def pg_url(pg, db_url):
    if not db_url.startswith("postgresql://"):
        pytest.skip("several collector processes share one PostgreSQL")
    if balancer.haproxy() is None:
        prereq.missing("HAProxy", "haproxy")
    return db_url


@pytest.fixture(params=["postgres"])
def db_url(request, pg):
    if pg is None:
        prereq.missing("PostgreSQL's server (initdb, pg_ctl)", "postgresql")
    return pg.new_schema()


def _post(url, body):
    return httpx.post(url + "/v1/batches", content=bytes(body), timeout=60,
                      headers={"content-type": "application/octet-stream"})  # fmt: skip


def _batch(term, taps):
    term.boot()
    for i in range(taps):
        term.tap(TOKEN_A if i % 2 else TOKEN_B)
    return term.batch()


@pytest.mark.parametrize("by_month", [False, True], ids=["one-table", "partitioned"])
def test_the_same_batch_at_two_processes_at_once_is_stored_once(
    collector, pg_url, tmp_path, by_month
):
    """Partitioned (``partitions --convert``), the blocks' key holds received_at and no longer
    refuses a second copy: the terminal's row lock, taken before the stored blocks are read,
    is what keeps it out (docs/scaling.md, item 4)."""
    term = register(collector)
    if by_month:
        move.partitions(collector, convert=True)
    expected, split = 0, 0
    with balancer.Cluster(pg_url, tmp_path, processes=2) as cl:
        for round_ in range(6):
            body = _batch(term, 20 + round_)
            expected += 20 + round_ + 2  # boot, taps, seal: what the reply acknowledges
            answers: list[httpx.Response] = []
            go = threading.Barrier(2)

            def send(b=body, go=go, answers=answers):
                go.wait()
                answers.append(_post(cl.url, b))

            threads = [threading.Thread(target=send) for _ in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert {a.status_code for a in answers} == {200}
            split += {a.headers["x-hadir-process"] for a in answers} == {"c1", "c2"}
            for a in answers:
                status, acked, *_ = wire.decode_reply(kc(term), body[-16:], a.content)
                assert (status, acked) == (wire.REPLY_OK, expected)
    # leastconn: the two copies of a round go to the two processes (unless a health check took
    # one out for a while on a loaded machine: most rounds, then)
    assert split >= 3
    with collector.db.read() as tx:
        assert records.count_records(tx, term.terminal_id) == expected - 6  # seals: no records
        seqs = [r["seq"] for r in records.records_of(tx, term.terminal_id)]
        seals = [s for (s,) in tx.all("SELECT seal_seq FROM blocks WHERE terminal_id = ?",
                                      (term.terminal_id,))]  # fmt: skip
        assert partitions.partitioned(tx, "blocks") is by_month
    assert len(seqs) == len(set(seqs))
    assert len(seals) == len(set(seals)) == 6


def test_a_process_killed_inside_the_transaction_loses_nothing(collector, pg_url, tmp_path):
    term = register(collector)
    first = _batch(term, 30)
    with balancer.Cluster(pg_url, tmp_path, processes=2, crash_in_tx=True) as cl:
        lost = _post(cl.url, first)  # its process dies before COMMIT: the balancer says so
        assert lost.status_code in (502, 503, 504)
        assert (tmp_path / "died-once").exists()
        with collector.db.read() as tx:
            assert records.count_records(tx, term.terminal_id) == 0  # rolled back, not half-done
        retried = _post(cl.url, first)  # the terminal retries: the other process stores it
        assert retried.status_code == 200, retried.text
        status, acked, *_ = wire.decode_reply(kc(term), first[-16:], retried.content)
        assert (status, acked) == (wire.REPLY_OK, 32)
        later = _batch(term, 5)  # and the chain goes on, whichever process takes it
        for _ in range(2):
            assert _post(cl.url, later).status_code == 200
    with collector.db.read() as tx:
        assert records.count_records(tx, term.terminal_id) == 31 + 6  # boots and taps
