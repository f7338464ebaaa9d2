# Collector ingest: every rejection answers the right status, stores nothing and writes an alert.
# SPDX-License-Identifier: MIT
import pytest

from firmware import wire
from sync.service import admin, reports
from sync.service.scope import OPERATOR
from sync.store import records
from tests.kit.collector_calls import (
    TOKEN_A,
    TOKEN_B,
    day_of_taps,
    post,
    register,
    reply,
    resend,
    resign,
    twin,
)
from tests.kit.wirekit import PaperTerminal


def _counts(collector):
    with collector.db.read() as tx:
        stored = records.count_records(tx)
        blocks = tx.value("SELECT COUNT(*) FROM blocks")
    return stored, blocks


def _alert_kinds(collector):
    return [a["kind"] for a in reports.alerts(collector)]


def test_same_sequence_with_other_content_is_tamper_and_stores_nothing(collector, client):
    term = register(collector)
    thief = twin(term)
    body = day_of_taps(term)
    reply(term, body, post(client, body))
    before = _counts(collector)
    thief.boot()
    thief.tap(TOKEN_B)
    forged = thief.batch()
    status, acked, *_ = reply(term, forged, post(client, forged))
    # Tamper, and the chain is untouched; the other device is told only its own batch is kept
    # (as evidence), never the stored chain's 6: that would make it reclaim slots 3..5, which
    # nobody stored (docs/security.md, "Copied key").
    assert (status, acked) == (wire.REPLY_TAMPER, 3)
    assert _counts(collector) == before
    assert "tamper" in _alert_kinds(collector)


def test_batch_that_does_not_chain_to_the_stored_seal_is_refused(collector, client):
    term = register(collector)
    thief = twin(term)
    term.boot()
    term.tap(TOKEN_A)
    first = term.batch()
    reply(term, first, post(client, first))
    thief.boot()
    thief.tap(TOKEN_B)
    thief.batch()  # block 0 of another history, never sent
    thief.tap(TOKEN_B)
    second = thief.batch()  # block 1: its prev_mac is the thief's block 0, not the stored one
    before = _counts(collector)
    status, acked, *_ = reply(term, second, post(client, second))
    assert (status, acked) == (wire.REPLY_TAMPER, 3)
    assert _counts(collector) == before
    assert "chain" in _alert_kinds(collector)


def test_a_block_whose_seal_does_not_verify_is_damaged(collector, client):
    term = register(collector)
    body = day_of_taps(term)
    slots = bytearray(wire.decode_batch(body).slots)
    wire.pack_slot(slots, 2 * wire.SLOT, wire.TAP, 1, TOKEN_B, 5000)  # a record changed
    forged = resign(term, body, bytes(slots))
    status, acked, *_ = reply(term, forged, post(client, forged))
    assert (status, acked) == (wire.REPLY_DAMAGED, 0)
    assert _counts(collector) == (0, 0)
    assert "bad_seal" in _alert_kinds(collector)


@pytest.mark.parametrize(
    "mutate, status, detail",
    [
        (lambda b: b[:-1] + bytes([b[-1] ^ 1]), 401, "request MAC"),
        (lambda b: b[:60] + bytes([b[60] ^ 0x10]) + b[61:], 401, "request MAC"),
        (lambda b: b[:-20], 400, "length"),
        (lambda b: b"XXXX" + b[4:], 400, "magic"),
        (lambda b: b"HDB1", 400, "shorter"),
        (lambda b: b"", 400, "shorter"),
    ],
    ids=["request-mac", "record-bit", "truncated", "magic", "header", "empty"],
)
def test_forged_or_malformed_batches(collector, client, mutate, status, detail):
    term = register(collector)
    body = mutate(day_of_taps(term))
    response = post(client, body)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert _counts(collector) == (0, 0)
    assert len(_alert_kinds(collector)) == 1


def test_oversized_body_is_413(collector, client):
    response = post(client, b"HDB1" + bytes(40_000))
    assert response.status_code == 413
    assert _counts(collector) == (0, 0)
    assert _alert_kinds(collector) == ["oversized"]


def test_unknown_terminal_is_401(collector, client):
    stranger = PaperTerminal(4242, bytes(32))
    stranger.boot()
    body = stranger.batch()
    response = post(client, body)
    assert response.status_code == 401 and "unknown" in response.json()["detail"]
    assert _alert_kinds(collector) == ["unknown_terminal"]


def test_revoked_terminal_is_403_and_stores_nothing(collector, client):
    term = register(collector)
    admin.revoke_terminal(collector, term.terminal_id, scope=OPERATOR)
    body = day_of_taps(term)
    for path in ("/v1/batches", "/v1/config", "/v1/allowlist"):
        assert (
            post(client, body if path == "/v1/batches" else term.batch(), path).status_code == 403
        )
    assert _counts(collector) == (0, 0)
    assert "revoked_terminal" in _alert_kinds(collector)


def test_replay_of_an_older_request_changes_nothing_and_is_alerted(collector, client):
    term = register(collector)
    first = day_of_taps(term)
    reply(term, first, post(client, first))
    term.tap(TOKEN_A)
    second = term.batch()
    reply(term, second, post(client, second))
    before = _counts(collector)
    # Answered, not refused: the same bytes are what a terminal behind a copy of its key sends
    # again after a power cut, and a refusal would hold its backlog for ever (docs/security.md,
    # "Copied key"). Nothing is stored, no life counted, and the replay is alerted.
    status, acked, *_ = reply(term, first, post(client, first))
    assert (status, acked) == (wire.REPLY_OK, 6)  # never past the replayed batch's own end
    assert _counts(collector) == before
    assert "replay" in _alert_kinds(collector)
    retry = reply(term, second, post(client, second))  # the latest one: a retry, no alert
    assert retry[:2] == (wire.REPLY_OK, 8) and _alert_kinds(collector).count("replay") == 1


def test_gap_is_recorded_surfaced_and_filled(collector, client):
    term = register(collector)
    first = day_of_taps(term)
    reply(term, first, post(client, first))
    term.tap(TOKEN_A)
    lost = term.batch()  # never arrives
    term.tap(TOKEN_B)
    third = term.batch()
    status, acked, *_ = reply(term, third, post(client, third))
    assert (status, acked) == (wire.REPLY_GAP, 6)
    gaps = reports.gaps(collector)
    assert [(g["from_seq"], g["to_seq"]) for g in gaps] == [(6, 8)]
    assert reports.health(collector)[0]["missing_slots"] == 2
    retry = resend(term, lost, third)  # the terminal sends again from the watermark
    status, acked, *_ = reply(term, retry, post(client, retry))
    assert (status, acked) == (wire.REPLY_OK, term.next_seq)
    assert reports.gaps(collector) == []
    with collector.db.read() as tx:
        seqs = [r["seq"] for r in records.records_of(tx, term.terminal_id)]
    assert seqs == [0, 1, 2, 3, 4, 6, 8]  # 5, 7, 9 are seals


def test_retry_with_more_blocks_stores_only_the_new_ones(collector, client):
    term = register(collector)
    first = day_of_taps(term)
    reply(term, first, post(client, first))
    term.tap(TOKEN_A)
    second = term.batch()
    retry = resend(term, first, second)  # the reply to `first` was lost
    status, acked, *_ = reply(term, retry, post(client, retry))
    assert (status, acked) == (wire.REPLY_OK, 8)
    assert _counts(collector) == (6, 2)


def test_a_block_cut_out_of_the_middle_breaks_the_chain(collector, client):
    term = register(collector)
    term.boot()
    cuts = []
    for token in (TOKEN_A, TOKEN_B, TOKEN_A):
        at = len(term.sealed)
        term.tap(token)
        term.seal()
        cuts.append(bytes(term.sealed[at:]))
    term.sealed = bytearray()
    whole = wire.encode_batch(term.terminal_id, 0, 0, bytes(8), wire.pack_health({}),
                              cuts[0] + cuts[1] + cuts[2], term.key)  # fmt: skip
    truncated = resign(term, whole, cuts[0] + cuts[2])  # signed by the key holder, even
    status, acked, *_ = reply(term, truncated, post(client, truncated))
    assert (status, acked) == (wire.REPLY_DAMAGED, 0)
    assert _counts(collector) == (0, 0)
    status, acked, *_ = reply(term, whole, post(client, whole))
    assert (status, acked) == (wire.REPLY_OK, 7)
