# snapshots: the fleet world as the detector sees it: per-rusun snapshots from register + records.
# SPDX-License-Identifier: MIT
"""What the collector's service layer does from its database, done from the world: the office's
register (``world.register``: members, cards, reported departures, registered visitors, izin,
holidays) and the stored records become one ``sync.review.model.Snapshot`` per rusun.

    det = WorldDetector(w, records(w.taps))          # or the fleet run's stored records
    reviews = det.review(as_of=w.days - 1, window=84)   # one sync.review Review per rusun

This module is the only part of the fleet world that knows the detector's types; the
generator (population, behaviour, confounders, cases, world) does not import it.
"""

from __future__ import annotations

import bisect
import datetime as dt

from firmware import wire
from sync.review import detector
from sync.review.model import (
    Absence,
    Card,
    Dated,
    Flat,
    Member,
    Record,
    Review,
    Snapshot,
    Thresholds,
    Visitor,
)
from tools.sim.fleet.behaviour import date_of
from tools.sim.fleet.world import World, register

DEFAULT_WINDOW = 63  # days of records a review reads (9 weeks: 4 of history, 30 days after)


class WorldDetector:
    """Runs the detector over the world's records as of any day."""

    def __init__(self, w: World, recs: list[dict]) -> None:
        self.w = w
        self.rusun = [r.name for r in w.pop.rusun]
        # Every card the office ever registers, and its home rusun: a record of a card at
        # another rusun goes to both snapshots (the card's own sees it as "elsewhere").
        home_of = {r.card.uid_hex: r.rusun for r in w.pop.residents.values()
                   if r.registered_day is not None}  # fmt: skip
        self.at: dict[str, list[Record]] = {r: [] for r in self.rusun}
        self.foreign: dict[str, list[tuple[int, str]]] = {r: [] for r in self.rusun}
        for r in sorted(recs, key=lambda r: r["time"]):
            rec = Record(r["time"], r["rusun"], r["terminal"], r["card"], r["flags"],
                         not r["flags"] & wire.CARD_ENROLLED)  # fmt: skip
            self.at[r["rusun"]].append(rec)
            home = home_of.get(r["card"])
            if home is not None and home != r["rusun"]:
                self.at[home].append(rec)
                self.foreign[r["rusun"]].append((r["time"], r["card"]))
        for rows in self.at.values():
            rows.sort(key=lambda rec: rec.time)
        self.times = {name: [rec.time for rec in rows] for name, rows in self.at.items()}

    def snapshots(
        self, as_of: int | None = None, window: int | None = None, p: Thresholds | None = None
    ) -> list[Snapshot]:
        w = self.w
        as_of = w.days - 1 if as_of is None else as_of
        window = min(as_of + 1, DEFAULT_WINDOW if window is None else window)
        first = as_of - window + 1
        p = Thresholds.for_period(window) if p is None else p
        reg = register(w, as_of)
        t0, t1 = w.start + first * 86400, w.start + (as_of + 1) * 86400
        at: dict[str, list[Record]] = {}
        foreign: dict[str, set[str]] = {}
        for name in self.rusun:
            times = self.times[name]
            at[name] = self.at[name][bisect.bisect_left(times, t0) : bisect.bisect_left(times, t1)]
            foreign[name] = {
                card for t, card in self.foreign[name] if t0 <= t < t1 and card in reg.cards
            }
        day0 = date_of(0, w.start)
        members_of: dict[str, list] = {r: [] for r in self.rusun}
        for unit, (rusun, members) in sorted(reg.units.items()):
            members_of[rusun].append((unit, members))
        out = []
        for rusun in self.rusun:
            flats, cards = [], []
            mine = {m for _u, ms in members_of[rusun] for m in ms}
            for unit, members in members_of[rusun]:
                people = []
                for i, rid in enumerate(members):
                    st = [Dated(day0, "active")]
                    if rid in reg.moved_out:
                        st.append(Dated(date_of(reg.moved_out[rid], w.start), "moved_out"))
                    people.append(Member(rid, tuple(st), lease_holder=i == 0))
                flats.append(Flat(unit, unit, (Dated(day0, "occupied"),), tuple(people)))
            for uid, (holder, day) in reg.cards.items():
                if holder in mine:
                    st = [Dated(date_of(day, w.start), "active")]
                    if holder in reg.moved_out:
                        st.append(Dated(date_of(reg.moved_out[holder], w.start), "returned"))
                    cards.append(Card(uid, holder, tuple(st)))
            visitors = tuple(
                Visitor(vid, unit, kind, (card,), day0)
                for vid, unit, kind, card in reg.visitors
                if reg.units[unit][0] == rusun
            )
            absences = tuple(
                Absence(rid, date_of(a, w.start), date_of(b, w.start), "travel")
                for rid, a, b in reg.izin
                if rid in mine
            )
            out.append(
                Snapshot(
                    rusun=rusun,
                    first_day=date_of(first, w.start),
                    days=window,
                    flats=tuple(flats),
                    cards=tuple(cards),
                    records=tuple(at[rusun]),
                    visitors=visitors,
                    absences=absences,
                    holidays=frozenset(reg.holidays),
                    thresholds=p,
                    foreign_cards=frozenset(foreign[rusun]),
                )
            )
        return out

    def review(
        self, as_of: int | None = None, window: int | None = None, p: Thresholds | None = None
    ) -> list[Review]:
        return [detector.detect(s, evidence=False) for s in self.snapshots(as_of, window, p)]


def claims(reviews: list[Review], queue_only: bool = False) -> list[dict]:
    """The reviews as scoring items: ``{"unit" | "card": key, "reasons": [...], "score"}``;
    ``queue_only`` keeps the flats on the review queue (and no card)."""
    out = []
    for rv in reviews:
        for it in rv.items:
            if queue_only and (it.subject != "flat" or it.score < detector.QUEUE_SCORE):
                continue
            kind = "unit" if it.subject == "flat" else "card"
            out.append({kind: it.key, "reasons": it.codes, "score": it.score})
    return out


def day_of(w: World, date: dt.date) -> int:
    return (date - date_of(0, w.start)).days
