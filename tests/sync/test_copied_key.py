# A copied key cannot lock out the genuine terminal: bounded look-ahead, conflicting chains kept as
# evidence and held from reports, every device's backlog acknowledged (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import copy
import shutil

import pytest

from firmware import wire
from firmware.log import Log
from sync.service import admin, dashboard, dating, reports
from sync.service.scope import OPERATOR
from sync.store import records
from tests.kit.collector_calls import TOKEN_A, TOKEN_B, day_of_taps, post, register, reply
from tests.kit.wirekit import PaperTerminal
from tools.sim.flash import NorFlash


def _upload_day(term, client):
    body = day_of_taps(term)
    return reply(term, body, post(client, body))


def _one_block(term, first_seq, epoch, prev_mac, sign_ahead=0):
    """What a holder of the terminal's key can make anywhere: one sealed TAP block at
    ``first_seq`` under K(``epoch``), the request signed ``sign_ahead`` keys later still."""
    k0 = bytes.fromhex(term.bundle["k0"])
    slots = bytearray(2 * wire.SLOT)
    wire.pack_slot(slots, 0, wire.TAP, wire.CARD_ENROLLED, TOKEN_B, 1000)
    key = wire.epoch_key(k0, epoch)
    mac = wire.seal_mac(key, term.terminal_id, epoch, first_seq, 1, prev_mac, slots)
    wire.pack_seal(slots, wire.SLOT, mac)
    signer = wire.epoch_key(wire.evolve_key(key), sign_ahead)
    return wire.encode_batch(term.terminal_id, first_seq, epoch, prev_mac, wire.pack_health({}),
                             bytes(slots), signer)  # fmt: skip


def _counts(collector):
    with collector.db.read() as tx:
        return (
            records.count_records(tx),
            tx.value("SELECT COUNT(*) FROM blocks"),
            tx.value("SELECT COUNT(*) FROM fork_blocks"),
        )


def test_a_batch_further_ahead_than_any_log_holds_is_refused(collector, client):
    term = register(collector)
    _upload_day(term, client)
    before = _counts(collector)
    far = _one_block(term, term.next_seq + wire.LOG_MAX_SLOTS + 1, term.epoch + 10, bytes(8))
    response = post(client, far)
    assert response.status_code == 400 and "too far ahead" in response.json()["detail"]
    assert _counts(collector) == before
    assert _upload_day(term, client)[:2] == (wire.REPLY_OK, term.next_seq)


def _block_far_ahead(term, client):
    body = _one_block(term, term.next_seq + 5000, term.epoch + 2500, bytes(8), sign_ahead=500)
    return post(client, body)


def _status_request_ahead(term, client):
    """A count-0 request for the terminal's current epoch, signed 60 keys later."""
    signer = wire.epoch_key(term.key, 60)
    body = wire.encode_batch(term.terminal_id, term.next_seq, term.epoch, term.prev_mac,
                             wire.pack_health({}), b"", signer)  # fmt: skip
    return post(client, body)


@pytest.mark.parametrize("ahead", [_block_far_ahead, _status_request_ahead],
                         ids=["block-far-ahead", "status-request-signed-ahead"])  # fmt: skip
def test_a_copy_running_ahead_does_not_lock_out_the_genuine_terminal(collector, client, ahead):
    term = register(collector)
    _upload_day(term, client)
    copied = copy.deepcopy(term)  # the key, read out of the terminal's flash
    assert ahead(copied, client).status_code == 200
    status, acked, *_ = _upload_day(term, client)  # the genuine terminal's next day
    assert acked == term.next_seq and status in (wire.REPLY_OK, wire.REPLY_GAP)
    with collector.db.read() as tx:
        rows = records.records_of(tx, term.terminal_id)
    genuine = [r for r in rows if r["seq"] < term.next_seq and r["kind"] == wire.TAP]
    assert len(genuine) == 6 and all(r["held"] == 0 for r in genuine)
    ahead_rows = [r for r in rows if r["seq"] >= term.next_seq]
    assert all(r["held"] & dating.HELD_DETACHED and r["wall_time"] is None for r in ahead_rows)


def test_conflicting_chains_are_kept_as_evidence_and_no_backlog_is_stuck(collector, client):
    term = register(collector)
    _upload_day(term, client)
    copied = copy.deepcopy(term)
    copied.tap(TOKEN_A)  # the copy fakes a presence and is first to upload it
    forged = copied.batch()
    assert reply(copied, forged, post(client, forged))[:2] == (wire.REPLY_OK, copied.next_seq)
    term.tap(TOKEN_B)
    term.tap(TOKEN_B)
    genuine = term.batch()
    before = _counts(collector)
    status, acked, *_ = reply(term, genuine, post(client, genuine))
    # Refused as the chain, kept as evidence, and acknowledged: the genuine log reclaims it.
    assert (status, acked) == (wire.REPLY_TAMPER, term.next_seq)
    assert _counts(collector) == (before[0], before[1], before[2] + 1)
    with collector.db.read() as tx:
        rows = records.records_of(tx, term.terminal_id)
    fork_at = wire.decode_batch(genuine).first_seq
    assert all(r["held"] & dating.HELD_FORK for r in rows if r["seq"] >= fork_at)
    assert all(r["held"] == 0 for r in rows if r["seq"] < fork_at)
    assert {a["kind"] for a in reports.alerts(collector)} >= {"tamper"}
    assert reports.health(collector)[0]["forked"]
    assert "fork" in dashboard.terminal_health(collector, collector.now(), None)[0]["alarms"]
    # Both go on; each is answered tamper and acknowledged up to its own batch's end.
    for device, token in ((term, TOKEN_A), (copied, TOKEN_B), (term, TOKEN_B)):
        device.tap(token)
        body = device.batch()
        assert reply(device, body, post(client, body))[:2] == (wire.REPLY_TAMPER,
                                                               device.next_seq)  # fmt: skip
    # A new key ends it: the re-provisioned terminal starts a clean generation.
    bundle = admin.rotate_terminal(collector, term.terminal_id, scope=OPERATOR)
    fresh = PaperTerminal(term.terminal_id, bytes.fromhex(bundle["k0"]))
    fresh.bundle = bundle
    assert _upload_day(fresh, client)[:2] == (wire.REPLY_OK, fresh.next_seq)
    assert not reports.health(collector)[0]["forked"]


def test_a_copy_far_along_never_makes_the_genuine_log_reclaim_unsent_slots(collector, client):
    term = register(collector)
    _upload_day(term, client)
    copied = copy.deepcopy(term)
    for _ in range(5):  # the copy uploads five blocks: the stored watermark runs far ahead
        copied.tap(TOKEN_A)
        body = copied.batch()
        reply(copied, body, post(client, body))
    term.tap(TOKEN_B)
    body = term.batch()
    status, acked, *_ = reply(term, body, post(client, body))
    assert status == wire.REPLY_TAMPER and acked == term.next_seq < copied.next_seq
    status_request = term.batch()  # nothing left: its reply names only what it holds
    assert reply(term, status_request, post(client, status_request))[1] <= term.next_seq


def _log(flash, state, bundle):
    return Log(flash, state, bundle["terminal_id"], block_slots=300)


def _drain(client, log, bundle, max_slots=200):
    """The terminal's sync loop: batches until its log holds nothing unacknowledged; the
    statuses seen. Fails if a reply stops acknowledging (a stuck backlog)."""
    key = wire.config_key(bytes.fromhex(bundle["k0"]))
    seen = set()
    for _ in range(50):
        body = log.batch(wire.pack_health({"backlog_slots": log.backlog}), max_slots=max_slots)
        response = post(client, body)
        assert response.status_code == 200, response.text
        status, acked, *_ = wire.decode_reply(key, body[-16:], response.content)
        seen.add(status)
        log.ack(acked)
        if wire.decode_batch(body).count == 0:
            assert log.backlog == 0
            return seen
    raise AssertionError("the backlog never drained")


def _genuine_and_clone(collector, client, tmp_path, taps, seal_every, max_slots=200):
    """A terminal's real log with ``taps`` taps (sealed every ``seal_every``) drained to the
    collector, then its flash and state copied out: (bundle, flash, state folder, log, clone)."""
    bundle = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    state = tmp_path / "genuine"
    state.mkdir()
    flash = NorFlash(blocks=64)
    genuine = _log(flash, str(state), bundle)
    genuine.install_key(bytes.fromhex(bundle["k0"]))
    genuine.boot(1)
    for i in range(taps):
        genuine.append(wire.TAP, wire.CARD_ENROLLED, i, 1000 + i * 1000)
        if i % seal_every == seal_every - 1:
            genuine.seal()
    assert _drain(client, genuine, bundle, max_slots) == {wire.REPLY_OK}
    shutil.copytree(state, tmp_path / "clone")  # the flash and its state, copied out
    clone = _log(NorFlash(blocks=64, image=flash.mem), str(tmp_path / "clone"), bundle)
    return bundle, flash, str(state), genuine, clone


def test_the_real_log_and_its_clone_both_drain(collector, client, tmp_path):
    bundle, _f, _s, genuine, clone = _genuine_and_clone(collector, client, tmp_path, 300, 1000)
    for i in range(400):
        clone.append(wire.TAP, wire.CARD_ENROLLED, 7000 + i, 400_000 + i * 1000)
        genuine.append(wire.TAP, wire.CARD_ENROLLED, 9000 + i, 400_000 + i * 1000)
    assert wire.REPLY_TAMPER not in _drain(client, clone, bundle)  # first come: the chain
    assert _drain(client, genuine, bundle) == {wire.REPLY_TAMPER}  # evidence, yet drained
    for i in range(100):
        clone.append(wire.TAP, wire.CARD_ENROLLED, 8000 + i, 900_000 + i * 1000)
        genuine.append(wire.TAP, wire.CARD_ENROLLED, 9500 + i, 900_000 + i * 1000)
    assert _drain(client, genuine, bundle) == {wire.REPLY_TAMPER}
    assert _drain(client, clone, bundle) == {wire.REPLY_TAMPER}
    with collector.db.read() as tx:
        kept = b"".join(bytes(b["slots"]) for b in records.fork_blocks(tx, bundle["terminal_id"]))
    payloads = {wire.unpack_slot(kept, i)[2] for i in range(0, len(kept), wire.SLOT)}
    assert set(range(9000, 9400)) | set(range(9500, 9600)) <= payloads  # nothing of it lost


def test_a_genuine_log_behind_a_copy_after_a_power_cut_still_drains(collector, client, tmp_path):
    """After a power cut the genuine log sends again blocks the collector holds (its saved floor
    lags), signed with a key older than the copy has reached since: answered, not refused."""
    bundle, flash, state, genuine, clone = _genuine_and_clone(collector, client, tmp_path, 800,
                                                              100, max_slots=150)  # fmt: skip
    for i in range(300):  # the copy seals more often: its key runs ahead of the genuine one
        clone.append(wire.TAP, wire.CARD_ENROLLED, 7000 + i, 900_000 + i * 1000)
        if i % 50 == 49:
            clone.seal()
    _drain(client, clone, bundle, max_slots=150)
    cut = _log(NorFlash(blocks=64, image=flash.mem), state, bundle)  # power cut, recovered
    assert cut.acked < genuine.acked
    for i in range(100):
        cut.append(wire.TAP, wire.CARD_ENROLLED, 9000 + i, 900_000 + i * 1000)
    assert wire.REPLY_TAMPER in _drain(client, cut, bundle, max_slots=150)
    assert "replay" in {a["kind"] for a in reports.alerts(collector)}
