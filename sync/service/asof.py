# asof: the day reports and pages describe: today, or the data's last day when the data is old.
# SPDX-License-Identifier: MIT
"""A kept database (the demo's, a copy taken home) is read long after its last record: a report
"as of today" would then count every flat as absent for years. So every report, the CLI and the
dashboard describe ``as_of``: the day asked for, else today, else -- when the newest dated
record is more than a day old -- that record's day, and they say so (``AsOf.note``).

    a = resolve(c, None)     # AsOf(day, at, note): at = the Unix time the pages treat as "now"
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from firmware import wire
from sync.service.collector import Collector
from sync.store import incidents

DAY = 86400
_OFFSET = wire.UTC_OFFSET_MIN * 60


class AsOf(NamedTuple):
    day: dt.date  # the report's last local day
    at: int  # the moment pages treat as "now" (the collector's clock, or the data's end)
    note: str | None  # why it is not today ("<id> / <en>"), None when it is


def local_day(t: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=(t + _OFFSET) // DAY)


def day_end(day: dt.date) -> int:
    """Unix time of the last second of local ``day``."""
    epoch = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp()
    return int(epoch) - _OFFSET + DAY - 1


def data_end(c: Collector, now: int | None = None) -> int | None:
    """The newest dated record's time (None: the database holds none)."""
    now = c.now() if now is None else now
    with c.db.read() as tx:
        return incidents.data_end(tx, now + 1)


def resolve(c: Collector, as_of: dt.date | None = None, now: int | None = None) -> AsOf:
    """The day to describe (see the module docstring)."""
    now = c.now() if now is None else now
    today = local_day(now)
    if as_of is not None:
        return AsOf(as_of, min(now, day_end(as_of)), None)
    end = data_end(c, now)
    if end is None or local_day(end) >= today - dt.timedelta(days=1):
        return AsOf(today, now, None)
    day = local_day(end)
    note = (
        f"data terakhir {day.isoformat()}: laporan per hari itu (--as-of untuk hari lain) / "
        f"the data ends {day.isoformat()}: reported as of that day (--as-of for another day)"
    )
    return AsOf(day, end, note)
