# The day reports describe (sync.service.asof): asked, today, or the data's last day when old.
# SPDX-License-Identifier: MIT
import datetime as dt

from firmware import wire
from sync.service import admin, asof, ingest, reports
from sync.service.scope import OPERATOR
from tests.kit.wirekit import PaperTerminal

DAY = 86400


def _record_at(c, clock, t: int) -> None:
    bundle = admin.add_terminal(c, "Marunda", 1, scope=OPERATOR)
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    clock.now = t
    term.boot()
    term.clock(t - wire.HOST_EPOCH_OFFSET, advance_ms=0)
    term.event(wire.HEARTBEAT, advance_ms=0)
    assert ingest.upload(c, term.batch()).status == wire.REPLY_OK


def test_today_when_the_data_is_fresh_or_there_is_none(collector, clock):
    now = int(clock.now)
    assert asof.resolve(collector) == (asof.local_day(now), now, None)
    _record_at(collector, clock, now - DAY // 2)
    clock.now = now
    assert asof.resolve(collector) == (asof.local_day(now), now, None)


def test_old_data_is_reported_as_of_its_last_day_and_says_so(collector, clock):
    now = int(clock.now)
    old = now - 400 * DAY
    _record_at(collector, clock, old)
    clock.now = now
    day, at, note = asof.resolve(collector)
    assert (day, at) == (asof.local_day(old), old)
    assert note is not None and day.isoformat() in note and "--as-of" in note
    # Asked for a day: that day, whatever the data.
    asked = dt.date(2020, 1, 2)
    assert asof.resolve(collector, asked) == (asked, asof.day_end(asked), None)
    # A report of that default ends on the data's day, not today.
    rows = reports.presence(collector, days=3, as_of=day)
    assert {r["date"] for r in rows} <= {
        (day - dt.timedelta(days=i)).isoformat() for i in range(3)
    }
    health = reports.health(collector, at=at)
    assert health[0]["silent_s"] == 0
