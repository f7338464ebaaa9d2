# days: local (Jakarta) dates for the register and the case work: parse, start of day, today.
# SPDX-License-Identifier: MIT
"""Every date an admin gives (a move-out, an absence, a visit, a letter) is a local calendar day
(``wire.UTC_OFFSET_MIN``, Asia/Jakarta) and is stored as the Unix time of its local midnight.
``parse`` takes what an office types or a spreadsheet holds: ``2026-12-01``, ``01-12-2026``,
``1/12/2026`` (day first, as Indonesia writes dates), a ``datetime``/``date`` cell.

Two "todays": ``today`` is the calendar's (the register records what happens in the world), and
``as_of`` is the day the case work describes -- the reports' day (``sync.service.asof``): today,
or the data's last day when the data is more than a day old (a kept database), so a flat's
evidence, the flags a visit list is made from and a case's default dates follow the data."""

from __future__ import annotations

import datetime as dt
import re

from firmware import wire
from sync.service import asof
from sync.service.admin import AdminError
from sync.service.collector import Collector

DAY = 86400
OFFSET = wire.UTC_OFFSET_MIN * 60
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")


def start_of(day: dt.date) -> int:
    """Unix time of the local midnight that starts ``day``."""
    return (day - dt.date(1970, 1, 1)).days * DAY - OFFSET


def date_of(unix: int) -> dt.date:
    """The local calendar day containing Unix time ``unix``."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=(unix + OFFSET) // DAY)


def iso(unix: int | None) -> str | None:
    return None if unix is None else date_of(unix).isoformat()


def today(c: Collector) -> dt.date:
    return date_of(c.now())


def as_of(c: Collector) -> dt.date:
    """The day the case work describes (see the module docstring)."""
    return asof.resolve(c).day


def parse(value: object) -> dt.date:
    """A date from text or a spreadsheet cell; ``AdminError`` (one line) when it is not one."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}$", text):
            return dt.date.fromisoformat(text)
        m = _DMY.match(text)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        pass
    raise AdminError(
        f"tanggal tidak sah (TTTT-BB-HH atau HH-BB-TTTT) / not a date (YYYY-MM-DD or "
        f"DD-MM-YYYY): {text[:20]}"
    )


def parse_day(value: object) -> int:
    """``parse`` as the Unix time of that day's local midnight."""
    return start_of(parse(value))
