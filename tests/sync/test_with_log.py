# The collector against the real terminal log (firmware/log/ on the NOR flash model): a long
# offline backlog drains in batches signed with the log's current key; a power cut mid-run too.
# SPDX-License-Identifier: MIT
from firmware import wire
from firmware.log import Log
from sync.service import admin, reports
from sync.service.scope import OPERATOR
from sync.store import records
from tests.kit.collector_calls import WALL, post
from tools.sim.flash import NorFlash


def _terminal(collector, tmp_path, blocks=96):
    bundle = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    state = tmp_path / "state"
    state.mkdir()
    flash = NorFlash(blocks=blocks)
    log = Log(flash, str(state), bundle["terminal_id"], block_slots=300)
    log.install_key(bytes.fromhex(bundle["k0"]))
    return log, flash, str(state), bundle


def _sync(client, log, bundle, max_slots=1000):
    """What the terminal's sync task does: batches until nothing is unacknowledged."""
    kc = wire.config_key(bytes.fromhex(bundle["k0"]))
    rounds = 0
    while True:
        body = log.batch(wire.pack_health({"backlog_slots": log.backlog}), max_slots=max_slots)
        response = post(client, body)
        assert response.status_code == 200, response.text
        status, acked, *_ = wire.decode_reply(kc, body[-16:], response.content)
        assert status in (wire.REPLY_OK, wire.REPLY_GAP)
        log.ack(acked)
        rounds += 1
        if wire.decode_batch(body).count == 0:
            return rounds


def test_a_long_offline_backlog_from_the_real_log(collector, client, tmp_path):
    log, _flash, _state, bundle = _terminal(collector, tmp_path)
    log.boot(1)
    up = 1000
    log.append(wire.CLOCK, wire.CLOCK_NTP, WALL, up)
    for i in range(3000):  # about three days of one door, offline: the log seals on its own
        up += 60_000
        log.append(wire.TAP, wire.CARD_ENROLLED, (i * 7919) & 0xFFFFFFFF, up & wire.UPTIME_MASK)
        log.maintain()
        if i % 700 == 699:
            log.seal()  # a sync attempt with no network
    assert _sync(client, log, bundle) > 3
    assert log.backlog == 0
    with collector.db.read() as tx:
        rows = records.records_of(tx, bundle["terminal_id"])
    taps = [r for r in rows if r["kind"] == wire.TAP]
    assert len(taps) == 3000
    assert taps[-1]["wall_time"] == WALL + wire.HOST_EPOCH_OFFSET + 3000 * 60
    assert reports.gaps(collector) == []


def test_reboot_and_resync_from_the_same_flash(collector, client, tmp_path):
    log, flash, state, bundle = _terminal(collector, tmp_path)
    log.boot(1)
    for i in range(400):
        log.append(wire.TAP, wire.CARD_ENROLLED, i, 1000 + i * 1000)
    _sync(client, log, bundle)
    for i in range(50):
        log.append(wire.TAP, wire.CARD_ENROLLED, 1000 + i, 500_000 + i * 1000)
    # Power cycle: a new Log object recovers from the same flash and state folder.
    again = Log(
        NorFlash(blocks=96, image=flash.mem), state, bundle["terminal_id"], block_slots=300
    )
    again.boot(1)
    again.append(wire.TAP, wire.CARD_ENROLLED, 9999, 2000)
    _sync(client, again, bundle)
    with collector.db.read() as tx:
        taps = [r for r in records.records_of(tx, bundle["terminal_id"]) if r["kind"] == wire.TAP]
    assert [r["payload"] for r in taps] == list(range(400)) + list(range(1000, 1050)) + [9999]


def test_a_power_cut_after_acks_resends_what_is_stored_and_still_drains(collector, client,
                                                                       tmp_path):  # fmt: skip
    """The log saves its acknowledged floor only when it enters a new sector (docs/log.md): after
    a power cut it sends blocks the collector holds, whose successors it holds too. Those are
    answered (a retry, not a replay), so the backlog drains."""
    log, flash, state, bundle = _terminal(collector, tmp_path)
    log.boot(1)
    for i in range(800):
        log.append(wire.TAP, wire.CARD_ENROLLED, i, 1000 + i * 1000)
        if i % 100 == 99:
            log.seal()
    _sync(client, log, bundle, max_slots=150)  # eight batches: the last acks are not saved
    stored = log.acked
    again = Log(
        NorFlash(blocks=96, image=flash.mem), state, bundle["terminal_id"], block_slots=300
    )
    assert again.acked < stored - 300  # the floor it recovered lags what was acknowledged
    again.boot(1)
    _sync(client, again, bundle, max_slots=150)
    assert again.backlog == 0
    with collector.db.read() as tx:
        taps = [r for r in records.records_of(tx, bundle["terminal_id"]) if r["kind"] == wire.TAP]
    assert [r["payload"] for r in taps] == list(range(800))
    assert "replay" not in [a["kind"] for a in reports.alerts(collector)]
