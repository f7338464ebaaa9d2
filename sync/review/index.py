# index: a snapshot arranged for the rules: taps per card by day, who is expected when.
# SPDX-License-Identifier: MIT
"""``Index(snapshot)`` reads the snapshot once: each card's taps in the period (time, day
index, local minute, at home or not), per card and day its records with a clone flag and its
home records without a random UID, each flat's household cards, and per day
who is expected (an active member with an active card, no izin, the flat occupied). Day
indexes count from the snapshot's first day (0) to ``days - 1``.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from firmware import wire
from sync.review.model import Card, Dated, Flat, Snapshot, Visitor

DAY_S = 86400
_EPOCH = dt.date(1970, 1, 1).toordinal()
RANDOM_UID = wire.CARD_RANDOM_UID
CLONE_FLAGS = wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_MAGIC_SUSPECT


class TapRow(NamedTuple):
    t: int  # Unix seconds
    d: int  # day index in the period
    minute: int  # local minute of the day, 0-1439
    home: bool  # at the snapshot's rusun
    rusun: str


# TapRow(*fields) without the named tuple's Python-level __new__: half the time per row.
_row = tuple.__new__


def _days_with(statuses: tuple[Dated, ...], good: str, first: dt.date, days: int) -> list[bool]:
    """Per day index: is the status ``good`` on that day (False before the first entry)."""
    out = [False] * days
    for i, s in enumerate(statuses):
        lo = (s.since - first).days
        hi = (statuses[i + 1].since - first).days if i + 1 < len(statuses) else days
        if s.status == good:
            for d in range(max(0, lo), min(days, hi)):
                out[d] = True
    return out


class Index:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.days = snap.days
        self.first = snap.first_day
        off = snap.utc_offset_min * 60
        base = snap.first_day.toordinal() - _EPOCH
        rest = set(snap.holidays)
        self.rest = [
            (d := self.first + dt.timedelta(days=i)).weekday() >= 5 or d in rest
            for i in range(self.days)
        ]
        self.flats: dict[str, Flat] = {f.key: f for f in snap.flats}
        self.flat_of: dict[str, str] = {}  # resident id -> flat key
        for f in snap.flats:
            for m in f.members:
                self.flat_of[m.resident_id] = f.key
        self.cards: dict[str, Card] = {c.card: c for c in snap.cards}
        self.flat_cards: dict[str, list[str]] = {f.key: [] for f in snap.flats}
        for c in snap.cards:
            if c.holder in self.flat_of:
                self.flat_cards[self.flat_of[c.holder]].append(c.card)
        self.visitor_of: dict[str, Visitor] = {}
        for v in snap.visitors:
            for card in v.cards:
                self.visitor_of[card] = v
        self.taps: dict[str, list[TapRow]] = {}
        self.clone: dict[str, dict[int, int]] = {}  # card -> {day index: clone-flagged records}
        self.plain_home: dict[str, set[int]] = {}  # card -> days with a home non-random record

        def add(card: str, rusun: str, t: int, clone: int, plain: int) -> None:
            d = (t + off) // DAY_S - base
            if not 0 <= d < self.days:
                return
            home = rusun == snap.rusun
            row = TapRow(t, d, ((t + off) % DAY_S) // 60, home, rusun)
            self.taps.setdefault(card, []).append(row)
            if clone:
                days = self.clone.setdefault(card, {})
                days[d] = days.get(d, 0) + clone
            if plain and home:
                self.plain_home.setdefault(card, set()).add(d)

        for r in snap.records:
            add(
                r.card,
                r.rusun,
                r.time,
                int(r.flags & CLONE_FLAGS != 0),
                int(not r.flags & RANDOM_UID),
            )
        for c in snap.card_days:
            # A day's records all fall on its day: its counts go with its first. Most card-days
            # are one local day of the review: their rows are made in one go (no call per tap).
            times = c.times
            d = (times[0] + off) // DAY_S - base
            if d != (times[-1] + off) // DAY_S - base or not 0 <= d < self.days:
                add(c.card, c.rusun, times[0], c.clone, c.plain)
                for t in times[1:]:
                    add(c.card, c.rusun, t, 0, 0)
                continue
            home = c.rusun == snap.rusun
            start = (d + base) * DAY_S - off
            self.taps.setdefault(c.card, []).extend(
                [_row(TapRow, (t, d, (t - start) // 60, home, c.rusun)) for t in times]
            )
            if c.clone:
                days = self.clone.setdefault(c.card, {})
                days[d] = days.get(d, 0) + c.clone
            if c.plain and home:
                self.plain_home.setdefault(c.card, set()).add(d)
        for rows in self.taps.values():
            rows.sort()
        self._izin: dict[str, set[int]] = {}
        for a in snap.absences:
            lo, hi = (a.first - self.first).days, (a.last - self.first).days
            self._izin.setdefault(a.resident_id, set()).update(
                range(max(0, lo), min(self.days, hi + 1))
            )
        self._expected: dict[str, list[list[str]]] = {}
        self._home: dict[str, list[TapRow]] = {}

    def day(self, d: int) -> dt.date:
        return self.first + dt.timedelta(days=d)

    def home_taps(self, card: str) -> list[TapRow]:
        """The card's taps at this rusun (cached)."""
        rows = self._home.get(card)
        if rows is None:
            rows = self._home[card] = [r for r in self.taps.get(card, ()) if r.home]
        return rows

    def card_holder(self, card: str) -> str:
        return self.cards[card].holder

    def expected(self, flat: str) -> list[list[str]]:
        """Per day index: the cards through which the flat's household is expected to be seen
        (an active member, an active card, no izin that day, the flat occupied)."""
        if flat in self._expected:
            return self._expected[flat]
        f = self.flats[flat]
        occupied = (
            _days_with(f.statuses, "occupied", self.first, self.days)
            if f.statuses
            else [True] * self.days
        )
        members = {m.resident_id: m for m in f.members}
        out: list[list[str]] = [[] for _ in range(self.days)]
        for card in self.flat_cards[flat]:
            c = self.cards[card]
            m = members[c.holder]
            on = _days_with(c.statuses, "active", self.first, self.days)
            alive = (
                _days_with(m.statuses, "active", self.first, self.days)
                if m.statuses
                else [True] * self.days
            )
            izin = self._izin.get(c.holder, set())
            for d in range(self.days):
                if on[d] and alive[d] and occupied[d] and d not in izin:
                    out[d].append(card)
        self._expected[flat] = out
        return out

    def excused(self, flat: str, d: int) -> bool:
        """Every member who could be seen that day has izin (or nobody could be seen)."""
        return not self.expected(flat)[d]

    def card_usable(self, card: str) -> list[bool]:
        """Per day: the card is active and its holder an active member."""
        c = self.cards[card]
        m = next(
            x for x in self.flats[self.flat_of[c.holder]].members if x.resident_id == c.holder
        )
        on = _days_with(c.statuses, "active", self.first, self.days)
        alive = (
            _days_with(m.statuses, "active", self.first, self.days)
            if m.statuses
            else [True] * self.days
        )
        return [a and b for a, b in zip(on, alive)]
