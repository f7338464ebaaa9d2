# attention: what a terminal went through lately that an admin should act on, each with its dates.
# SPDX-License-Identifier: MIT
"""``incidents(c, at, scope)`` lists, for the last ``ACTION_DAYS`` up to ``at``, per active
terminal and kind: since when (the first time in the window), the last time, how often, and
whether it is still going on. The overview shows them beside the current alarms
(``dashboard.alarms``), so "all terminals healthy" is said only when both are empty.

| kind | from |
|---|---|
| ``silent`` | no contact for more than ``OUTAGE_S`` up to ``at`` (still going on) |
| ``outage`` | two consecutive contacts more than ``OUTAGE_S`` apart (a health snapshot each) |
| ``refused`` | a STORAGE "full" record: the log was full and taps were refused, not recorded |
| ``storage`` | a STORAGE "warning" record: the log reached 80 % |
| ``reader`` | READER_FAULT records of a re-init or stronger (the reader was reset) |
| ``clock_jump`` | CLOCK records that disagreed with the previous anchor (a clock jump) |

Times of records are the terminal's own (its dated records, not the upload); contacts are the
collector's clock.
"""

from __future__ import annotations

from firmware import wire
from sync.service.collector import Collector
from sync.store import incidents as store
from sync.store import terminals

DAY = 86400
ACTION_DAYS = 7
OUTAGE_S = 6 * 3600  # a terminal syncs every few minutes when it can; 6 h silent is an outage
_READER_RESET = 2  # READER_FAULT steps: 1 retransmit, 2 re-init, 3 reset pulse, 4 faulty
KINDS = ("silent", "outage", "refused", "storage", "reader", "clock_jump")


def _kind(kind: int, flags: int, jump: int) -> str | None:
    if kind == wire.STORAGE:
        return {wire.STORAGE_FULL: "refused", wire.STORAGE_WARNING: "storage"}.get(flags)
    if kind == wire.READER_FAULT:
        return "reader" if flags >= _READER_RESET else None
    if kind == wire.CLOCK and jump:
        return "clock_jump"
    return None


def incidents(c: Collector, at: int, scope: list[int] | None) -> list[dict]:
    """``[{kind, terminal_id, rusun, door, since, last, count, ongoing}]`` of active terminals
    in ``scope`` (rusun ids, None = all), newest ``last`` first."""
    t0 = at - ACTION_DAYS * DAY
    with c.db.read() as tx:
        terms = {t["id"]: t for t in terminals.terminals(tx, scope) if t["status"] == "active"}
        ids = sorted(terms)
        events = store.events(tx, t0, at + 1, ids)
        gaps = store.contact_gaps(tx, t0, at + 1, OUTAGE_S)
    found: dict[tuple[str, int], dict] = {}

    def note(kind: str, tid: int, since: int, last: int | None, ongoing: bool = False) -> None:
        item = found.get((kind, tid))
        if item is None:
            t = terms[tid]
            found[(kind, tid)] = {"kind": kind, "terminal_id": tid, "rusun": t["rusun"],
                                  "door": t["door"], "since": since, "last": last, "count": 1,
                                  "ongoing": ongoing}  # fmt: skip
            return
        item["count"] += 1
        item["last"] = last if last is not None else item["last"]

    for tid, kind, flags, _payload, when, jump in events:
        code = _kind(int(kind), int(flags), int(jump or 0))
        if code is not None and int(tid) in terms:
            note(code, int(tid), int(when), int(when))
    for tid, before, after in gaps:
        if int(tid) in terms:
            note("outage", int(tid), int(before), int(after))
    for tid, t in terms.items():
        seen = t["last_seen"]
        if seen is not None and at - int(seen) > OUTAGE_S:
            note("silent", tid, int(seen), None, ongoing=True)
    return sorted(found.values(), key=lambda i: (i["ongoing"], i["last"] or at), reverse=True)
