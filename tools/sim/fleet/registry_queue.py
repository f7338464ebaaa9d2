# registry_queue: the fleet's record and registry dicts as per-rusun snapshots for the detector.
# SPDX-License-Identifier: MIT
"""``review_queue(records, registry, start, days, params)``: the fleet tools' plain records and
registry (what ``tools.sim.fleet.world`` and ``reconcile`` hand over) become one ``Snapshot``
per rusun for the collector's detector ``sync.review.detect``. The answer keeps the first
queue's shape (what ``tools.sim.fleet.scoring`` scores): one item per
flagged unit (``{"unit": key, "reasons": [...]}``) with its flat reasons, and one per card
(``{"card": id, "reasons": [...]}``) for card reasons (same_minute, other_rusun, clone,
blocked_card, and unknown_card) -- only for flats on the review queue (score at least
``detector.QUEUE_SCORE``) and for unknown cards. Units first, each sorted.

``records``: dicts ``{"time", "rusun", "terminal", "card", "flags"}``; ``registry``: dicts
``{"resident_id", "unit", "rusun", "card_uid", "registered_day"}`` (the residents registered by
the end of the period; ``registered_day`` counts from ``start``, day 0 is the local day
beginning at Unix time ``start``). The first registry knows no departures, izin, visitors or
holidays: the service layer's own snapshot (docs/detection.md) carries them.
"""

from __future__ import annotations

import datetime as dt

from firmware import wire
from sync.review import detector
from sync.review.model import Card, Dated, Flat, Member, Record, Snapshot, Thresholds
from sync.review.texts import CARD_SUBJECT

DAY = 86400
_LONG_AGO = dt.timedelta(days=3650)


def snapshots(
    records: list[dict], registry: list[dict], start: int, days: int, p: Thresholds
) -> list[Snapshot]:
    """One snapshot per rusun named in the registry or the records."""
    first = dt.datetime.fromtimestamp(start + wire.UTC_OFFSET_MIN * 60, dt.timezone.utc).date()
    home: dict[str, str] = {r["card_uid"]: r["rusun"] for r in registry}
    names = sorted({r["rusun"] for r in registry} | {r["rusun"] for r in records})
    members: dict[str, dict[str, list[dict]]] = {n: {} for n in names}
    for r in registry:
        members[r["rusun"]].setdefault(r["unit"], []).append(r)
    at: dict[str, list[Record]] = {n: [] for n in names}
    foreign: dict[str, set[str]] = {n: set() for n in names}
    for r in records:
        rec = Record(int(r["time"]), r["rusun"], int(r["terminal"]), r["card"], int(r["flags"]))
        at[r["rusun"]].append(rec)
        own = home.get(r["card"])
        if own is not None and own != r["rusun"]:
            at[own].append(rec)
            foreign[r["rusun"]].add(r["card"])
    out = []
    for name in names:
        flats, cards = [], []
        for unit, rows in sorted(members[name].items()):
            people = tuple(
                Member(r["resident_id"], (Dated(first - _LONG_AGO, "active"),)) for r in rows
            )
            flats.append(Flat(unit, unit, (Dated(first - _LONG_AGO, "occupied"),), people))
            for r in rows:
                since = first + dt.timedelta(days=int(r["registered_day"]))
                cards.append(Card(r["card_uid"], r["resident_id"], (Dated(since, "active"),)))
        out.append(
            Snapshot(
                name,
                first,
                days,
                tuple(flats),
                tuple(cards),
                tuple(at[name]),
                thresholds=p,
                foreign_cards=frozenset(foreign[name]),
            )  # fmt: skip
        )
    return out


def review_queue(
    records: list[dict], registry: list[dict], start: int, days: int, p: Thresholds | None = None
) -> list[dict]:
    """The review queue in the first queue's shape (module docstring)."""
    p = Thresholds.for_period(days) if p is None else p
    units: list[dict] = []
    cards: dict[str, set[str]] = {}
    for snap in snapshots(records, registry, start, days, p):
        for it in detector.detect(snap, evidence=False).items:
            if it.subject == "card":
                cards.setdefault(it.key, set()).update(it.codes)
                continue
            if it.score < detector.QUEUE_SCORE:
                continue
            flat = [r.code for r in it.reasons if r.code not in CARD_SUBJECT]
            if flat:
                units.append({"unit": it.key, "reasons": sorted(set(flat))})
            for r in it.reasons:
                if r.code in CARD_SUBJECT and r.card is not None:
                    cards.setdefault(r.card, set()).add(r.code)
    units.sort(key=lambda it: it["unit"])
    return units + [{"card": c, "reasons": sorted(rs)} for c, rs in sorted(cards.items())]
