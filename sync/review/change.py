# change: the change point in one card's weekday time-of-day profile, against its own history.
# SPDX-License-Identifier: MIT
"""A person's weekday taps fall at the times of day their routine brings them through the door;
a new person on the same card brings new times. For every candidate day ``t`` the card's taps
from ``t`` on ("after") are compared with its own taps before ``t`` ("before"): an after-tap is
*novel* when fewer than ``COVER`` (a share) of the before-weekdays had a tap within the card's
*reach* of it. The change point is the ``t`` with the highest share of novel after-taps.

The reach is the card's own day-to-day spread: ``REACH_MAD`` times the larger of the median
absolute deviations of its first and its last weekday tap over the history before the first
candidate day, within ``REACH_MIN``..``REACH_MAX`` minutes. A punctual worker's new time shows
after a quarter of an hour; a loose routine needs three quarters.

Only working days count (weekends and holidays are looser for everyone). A rotating shift
worker is not novel once the history holds each shift; a person who changes job is, and no
card-only rule can tell that from a new person (docs/detection.md, "Limits").
"""

from __future__ import annotations

import statistics
from typing import NamedTuple

from sync.review.index import TapRow

BIN_MIN = 5  # profile resolution (minutes)
REACH_MAD = 2.5
REACH_MIN = 15
REACH_MAX = 45
COVER = 0.10
MIN_BEFORE_DAYS = 10  # weekdays with a tap before the change point
MIN_AFTER_DAYS = 4  # weekdays with a tap after it
MIN_AFTER_TAPS = 6
NEW_PATTERN_DAYS = 6  # a change point leaves at least this many days after it
_BINS = 1440 // BIN_MIN


class Change(NamedTuple):
    day: int  # first day of the new pattern (day index)
    novel: float  # share of the after-taps at times the card did not use before
    before_days: int  # weekdays with a tap before
    after_days: int
    history: int  # days from the card's first tap to the change
    reach: int  # minutes


def _mad(xs: list[int]) -> float:
    mid = statistics.median(xs)
    return statistics.median(abs(x - mid) for x in xs)


def change_point(rows: list[TapRow], rest: list[bool], history_days: int) -> Change | None:
    """The best change point of one card's home weekday taps, None without enough data."""
    days = len(rest)
    per_day: dict[int, list[int]] = {}
    for r in rows:
        if r.home and not rest[r.d]:
            per_day.setdefault(r.d, []).append(r.minute)
    if len(per_day) < MIN_BEFORE_DAYS + MIN_AFTER_DAYS:
        return None
    ordered = sorted(per_day)
    first = ordered[0]
    lo = first + history_days
    hi = days - NEW_PATTERN_DAYS
    history = [d for d in ordered if d < lo]
    if lo > hi or len(history) < MIN_BEFORE_DAYS:
        return None
    spread = max(
        _mad([min(per_day[d]) for d in history]), _mad([max(per_day[d]) for d in history])
    )
    reach = int(min(REACH_MAX, max(REACH_MIN, REACH_MAD * spread)))
    reach_bins = -(-reach // BIN_MIN)
    cover = [0] * _BINS  # before-taps within reach of each bin
    after: dict[int, int] = {}
    for d in ordered:
        for m in per_day[d]:
            after[m // BIN_MIN] = after.get(m // BIN_MIN, 0) + 1
    after_taps = sum(after.values())
    before_days, after_days = 0, len(ordered)
    best: Change | None = None
    # The share only changes where a tap day moves from "after" to "before": try those days.
    for i, t in enumerate(ordered):
        if i:
            for m in per_day[ordered[i - 1]]:
                b = m // BIN_MIN
                for k in range(-reach_bins, reach_bins + 1):
                    cover[(b + k) % _BINS] += 1
                after[b] -= 1
                if not after[b]:
                    del after[b]
                after_taps -= 1
            before_days += 1
            after_days -= 1
        if t > hi or after_days < MIN_AFTER_DAYS or after_taps < MIN_AFTER_TAPS:
            break
        if t < lo:
            continue
        need = COVER * before_days
        novel = sum(n for b, n in after.items() if cover[b] < need)
        share = novel / after_taps
        if best is None or share > best.novel:
            best = Change(t, share, before_days, after_days, t - first, reach)
    return best
