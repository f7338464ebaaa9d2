# alerts: the limiter in front of the alert rows that refused requests write.
# SPDX-License-Identifier: MIT
"""Every refused terminal request writes an alert row (``Collector.alert``) — one write
transaction, one fsync. A client sending forged requests as fast as it can must not turn that
into a disk-filling loop, nor drown the alerts admins read. So rows are limited per key:

- the key is the claimed terminal when it exists and the request came that far, else one shared
  "unknown" key (a forger inventing terminal ids gets one key, not four billion); requests only
  the key holder can make (``bad_seal``, ``chain``, ``tamper``) have keys of their own, so forged
  requests cannot hide a copied key's;
- at most ``PER_MINUTE`` rows a minute per key (a burst of as many), and at most ``PER_DAY`` a
  day; the first row past the daily cap says so (kind ``suppressed``), then nothing more that day;
- refusals not written are counted, and the next row written for that key says how many.

In memory, per collector process (a restart forgets the counts: the cap is per process-day).
"""

from __future__ import annotations

import threading

from sync.ratelimit import TokenBuckets

PER_MINUTE = 10
PER_DAY = 500
_KEY_HOLDER = ("bad_seal", "chain", "tamper")
_NO_TERMINAL = ("unknown_terminal", "malformed", "oversized")


def key_of(tid: int | None, kind: str) -> tuple[object, str]:
    who: object = "unknown" if tid is None or kind in _NO_TERMINAL else tid
    return who, "holder" if kind in _KEY_HOLDER else "anyone"


class AlertLimiter:
    def __init__(self) -> None:
        self._rate = TokenBuckets(PER_MINUTE, PER_MINUTE / 60)
        self._day: dict[tuple[object, str], tuple[int, int]] = {}  # key -> (day, rows written)
        self._skipped: dict[tuple[object, str], int] = {}
        self._lock = threading.Lock()

    def admit(self, tid: int | None, kind: str, detail: str, now: int) -> tuple[str, str] | None:
        """(kind, detail) of the row to write for this refusal, or None to write nothing."""
        key = key_of(tid, kind)
        day = now // 86400
        with self._lock:
            seen_day, rows = self._day.get(key, (day, 0))
            if seen_day != day:
                rows = 0
            if rows > PER_DAY or not self._rate.take(key, 1, now):
                self._skipped[key] = self._skipped.get(key, 0) + 1
                return None
            self._day[key] = (day, rows + 1)
            if len(self._day) > 10_000:  # only stale days can be this many: forget them
                self._day = {k: v for k, v in self._day.items() if v[0] == day}
            skipped = self._skipped.pop(key, 0)
        if skipped:
            detail += f" (+{skipped} similar refusals not recorded)"
        if rows == PER_DAY:
            return "suppressed", (
                f"{PER_DAY} alert rows today for this terminal: further refused requests are "
                f"counted, not recorded, until tomorrow (UTC); last: {kind}: {detail}"
            )
        return kind, detail
