# Dates are protected, not only positions: a key holder's back- or future-dated records are kept as
# evidence, held back from every report, and alerted (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import pytest

from firmware import wire
from sync.service import admin, dating, reports
from sync.service.scope import OPERATOR
from sync.store import records
from sync.vault import card_tokens
from tests.kit.collector_calls import TOKEN_B, post, register, reply

DAY = 86400
HOUR_MS = 3_600_000
UID = "04A1B2C3D4E5F6"  # the card of R1, whose flat nobody visits: "not seen" for 14 days


@pytest.fixture
def world(collector, client, clock):
    """R1 (registered a month ago, never seen) and a terminal whose honest day is uploaded."""
    now = int(clock.now)
    clock.now = now - 30 * DAY
    term = register(collector)
    rows = ["resident_id,name,unit,rusun,card_uid", f"R1,Siti,MRD-A101,Marunda,{UID}"]
    assert admin.import_residents(collector, rows, scope=OPERATOR).refused == []
    clock.now = now
    wall = now - wire.HOST_EPOCH_OFFSET  # the terminal's clock, in wire seconds
    term.boot()
    term.clock(wall - 2 * 3600)  # NTP two hours ago
    term.tap(TOKEN_B, advance_ms=60_000)
    honest = term.batch()
    reply(term, honest, post(client, honest))
    key = bytes.fromhex(term.bundle["card_key"])
    term.r1 = card_tokens(key, [bytes.fromhex(UID)])[0].to_bytes(4, "big")
    term.wall = wall
    return term


def _week_back(term):
    """A new boot whose clock says a week ago."""
    term.boot()
    term.clock(term.wall - 7 * DAY)
    term.tap(term.r1)


def _clock_steps_back(term):
    """The same boot, its clock moved back a week."""
    term.clock(term.wall - 7 * DAY)
    term.tap(term.r1)


def _uptime_inflated(term):
    """A tap, then a week of uptime (heartbeats), then today's time: the tap dated backward."""
    term.boot()
    term.tap(term.r1)
    for _ in range(7 * 6):
        term.event(wire.HEARTBEAT, advance_ms=4 * HOUR_MS)
    term.clock(term.wall)


def _future(term):
    term.boot()
    term.clock(term.wall + 2 * DAY)
    term.tap(term.r1)


def _boot_counter_reused(term):
    term.boot_counter = 0  # the next boot says 1 again: it is not the boot after the last one
    term.boot()
    term.clock(term.wall)
    term.tap(term.r1)


FORGERIES = {
    "new-boot-a-week-back": (_week_back, dating.HELD_BACKWARD),
    "clock-steps-back": (_clock_steps_back, dating.HELD_BACKWARD),
    "uptime-inflated": (_uptime_inflated, dating.HELD_BACKWARD),
    "future": (_future, dating.HELD_FUTURE),
    "boot-counter-reused": (_boot_counter_reused, dating.HELD_BOOT),
}


def _tap_rows(collector, term):
    with collector.db.read() as tx:
        return [r for r in records.records_of(tx, term.terminal_id) if r["kind"] == wire.TAP]


@pytest.mark.parametrize("forge", list(FORGERIES))
def test_a_key_holders_dates_outside_the_rules_are_held_not_reported(
    collector, client, world, forge
):
    term = world
    before_review = reports.review_report(collector, days=14)
    before_presence = reports.presence(collector, days=14)
    assert [r["id"] for r in before_review] == ["MRD-A101"]  # R1's flat: not seen
    make, reason = FORGERIES[forge]
    make(term)
    body = term.batch()
    status, acked, *_ = reply(term, body, post(client, body))
    assert (status, acked) == (wire.REPLY_OK, term.next_seq)  # stored, as evidence
    forged = _tap_rows(collector, term)[-1]
    assert forged["payload"] == int.from_bytes(term.r1, "big")
    assert forged["held"] & reason and forged["wall_time"] is None
    assert forged["claimed_time"] is not None  # what the terminal said is kept
    assert reports.review_report(collector, days=14) == before_review
    assert reports.presence(collector, days=14) == before_presence
    alerts = [a for a in reports.alerts(collector) if a["kind"] == "dates_held"]
    assert alerts and dating.HELD_REASONS[reason] in alerts[0]["detail"]
    health = reports.health(collector)[0]
    assert health["held_records"] >= 1 and health["held_7d"] >= 1


def test_the_honest_terminal_goes_on_after_a_future_dated_upload(collector, client, world):
    term = world
    _future(term)
    body = term.batch()
    reply(term, body, post(client, body))
    term.boot()  # the next boot, honest again: its dates are not measured against the future
    term.clock(term.wall - 600)
    term.tap(term.r1)
    body = term.batch()
    reply(term, body, post(client, body))
    honest = _tap_rows(collector, term)[-1]
    assert honest["held"] == 0 and honest["wall_time"] == term.wall - 599 + wire.HOST_EPOCH_OFFSET
    assert [r["id"] for r in reports.review_report(collector, days=14)] == []  # R1 was seen


def test_a_small_step_back_of_the_clock_is_within_the_tolerance(collector, client, world):
    term = world
    term.clock(term.wall - 2 * 3600 + 60 - 120)  # NTP corrects the clock two minutes back
    term.tap(term.r1)
    body = term.batch()
    reply(term, body, post(client, body))
    tap = _tap_rows(collector, term)[-1]
    assert tap["held"] == 0 and tap["wall_time"] is not None


def test_records_dated_backward_by_a_later_batch_are_judged_too(collector, client, world):
    term = world
    term.boot()
    term.tap(term.r1)  # undated for now: this boot has no anchor yet
    first = term.batch()
    reply(term, first, post(client, first))
    assert _tap_rows(collector, term)[-1]["claimed_time"] is None
    for _ in range(7 * 6):
        term.event(wire.HEARTBEAT, advance_ms=4 * HOUR_MS)
    term.clock(term.wall)  # the anchor that dates the stored tap a week back
    second = term.batch()
    reply(term, second, post(client, second))
    tap = _tap_rows(collector, term)[-1]
    assert tap["held"] & dating.HELD_BACKWARD and tap["wall_time"] is None
    assert tap["time_derived"] == 1 and tap["claimed_time"] < term.wall + wire.HOST_EPOCH_OFFSET
    assert [r["id"] for r in reports.review_report(collector, days=14)] == ["MRD-A101"]


def test_records_above_a_gap_are_held_until_the_gap_is_filled(collector, client, world):
    term = world
    term.boot()
    term.clock(term.wall + 60)
    term.tap(term.r1)
    lost = term.batch()  # never arrives (yet)
    term.tap(term.r1, advance_ms=60_000)
    above = term.batch()
    reply(term, above, post(client, above))
    tap = _tap_rows(collector, term)[-1]
    assert tap["held"] == dating.HELD_DETACHED and tap["wall_time"] is None
    assert tap["claimed_time"] is None  # no BOOT or CLOCK above the gap: nothing to date it by
    reply(term, lost, post(client, lost))
    taps = _tap_rows(collector, term)
    assert [t["held"] for t in taps[-2:]] == [0, 0]
    assert taps[-2]["wall_time"] == term.wall + 61 + wire.HOST_EPOCH_OFFSET
    assert [r["id"] for r in reports.review_report(collector, days=14)] == []
