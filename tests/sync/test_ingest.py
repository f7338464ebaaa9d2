# Collector ingest: verified, exactly-once storage of terminal batches (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
from firmware import wire
from sync.service import reports
from sync.store import records
from tests.kit.collector_calls import TOKEN_A, WALL, day_of_taps, post, register, reply


def _records(collector, tid):
    with collector.db.read() as tx:
        return records.records_of(tx, tid)


def test_a_batch_is_stored_and_acknowledged(collector, client):
    term = register(collector)
    body = day_of_taps(term, taps=3)
    status, acked, server_time, config_v, allow_v = reply(term, body, post(client, body))
    assert status == wire.REPLY_OK
    assert acked == term.next_seq == 6  # boot, clock, 3 taps, seal
    assert server_time == int(collector.clock()) - wire.HOST_EPOCH_OFFSET
    assert (config_v, allow_v) == (1, 1)
    rows = _records(collector, term.terminal_id)
    assert [r["kind"] for r in rows] == [wire.BOOT, wire.CLOCK, wire.TAP, wire.TAP, wire.TAP]
    assert rows[2]["payload"] == int.from_bytes(TOKEN_A, "big")
    unix = WALL + wire.HOST_EPOCH_OFFSET
    assert [r["wall_time"] for r in rows] == [unix - 1, unix, unix + 60, unix + 120, unix + 180]
    # The boot slot came before the clock anchor: dated backward, marked derived.
    assert [r["time_derived"] for r in rows] == [1, 0, 0, 0, 0]
    health = reports.health(collector)[0]
    assert health["storage_per_mille"] == 12 and health["last_seen"] == int(collector.clock())


def test_identical_reupload_is_a_noop_with_the_same_watermark(collector, client):
    term = register(collector)
    body = day_of_taps(term)
    first = reply(term, body, post(client, body))
    again = reply(term, body, post(client, body))
    assert again[:2] == first[:2] == (wire.REPLY_OK, 6)
    assert len(_records(collector, term.terminal_id)) == 5


def test_status_request_answers_the_watermark(collector, client):
    term = register(collector)
    body = day_of_taps(term)
    reply(term, body, post(client, body))
    status_req = term.batch()
    assert reply(term, status_req, post(client, status_req))[:2] == (wire.REPLY_OK, 6)


def _blocks_of(term, n):
    """Seal ``n`` one-tap blocks; return [(first_seq, epoch, prev_mac, slots)] of each."""
    out = []
    for _ in range(n):
        first = term.next_seq - len(term.open) // wire.SLOT
        epoch, prev = term.epoch, term.prev_mac
        at = len(term.sealed)
        term.tap(TOKEN_A)
        term.seal()
        out.append((first, epoch, prev, bytes(term.sealed[at:])))
    term.sealed = bytearray()
    return out


def _batch_of(term, blocks):
    first, epoch, prev, _ = blocks[0]
    return wire.encode_batch(term.terminal_id, first, epoch, prev, wire.pack_health({}),
                             b"".join(b[3] for b in blocks), term.key)  # fmt: skip


def test_a_backlog_longer_than_one_batch_is_signed_with_a_later_key(collector, client):
    """The log signs every batch with its current key, also when more blocks wait (docs/log.md):
    the request key is then later than epoch + seals; the collector searches forward."""
    term = register(collector)
    term.boot()
    blocks = _blocks_of(term, 40)
    for lo, hi in ((0, 10), (10, 25), (25, 40)):
        body = _batch_of(term, blocks[lo:hi])
        status, acked, *_ = reply(term, body, post(client, body))
        end = blocks[hi - 1][0] + len(blocks[hi - 1][3]) // wire.SLOT
        assert (status, acked) == (wire.REPLY_OK, end)
    with collector.db.read() as tx:
        assert records.count_records(tx, term.terminal_id) == 41
    retry = _batch_of(term, blocks[25:])  # the last reply was lost: the same bytes again
    assert reply(term, retry, post(client, retry))[:2] == (wire.REPLY_OK, term.next_seq)
