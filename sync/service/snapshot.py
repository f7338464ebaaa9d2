# snapshot: the detector's input for one rusun, built from the database (register and records).
# SPDX-License-Identifier: MIT
"""``build(c, rusun_id, as_of, days)`` -> ``sync.review.model.Snapshot``: the rusun's flats with
their household members and dated statuses, the members' cards with dated statuses, registered
visitors and carers with their cards, declared absences, holidays, the rusun's thresholds, and
the dated TAP/DENIED records of the ``days`` local days ending with ``as_of``: every record at
this rusun, and every record of this rusun's cards at any other rusun, as card-days from the
roll-up ``tap_times`` (``sync.store.rollups``: a row per card, rusun and day; never the records).
One read transaction.

How the register's columns become dated statuses (the model's words in quotes):

- a flat is "occupied" from its lease start, its first member's registration or the day it was
  added, whichever is first; then "vacant", "sealed" and "occupied" again (re-let) as the
  register's audit trail dated them;
- a member is "active" from their registration (or the flat's lease start, when earlier: the
  register is often imported long after people moved in), then "moved_out" or "deceased";
- a card is "active" from its enrolment, "blocked" from the day it was reported lost,
  "returned" from the day its holder left, "replaced" from the day its replacement was enrolled.

Card ids are the collector's card ids as text; a card nobody registered is
``<rusun id>:<token hex>`` (the terminal never sends a UID). Flat keys are
``<rusun id>/<unit>``, the review's subject keys.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync.review.model import (
    Absence,
    Card,
    CardDay,
    Dated,
    Flat,
    Member,
    Snapshot,
    Thresholds,
    Visitor,
    with_overrides,
)
from sync.service import days as local
from sync.service.collector import Collector
from sync.store import normal, register, register_events, residents, rollups
from sync.store.db import Tx

_STATUS = {"lost": "blocked", "revoked": "returned"}
_FLAT_EVENTS = {"flat_vacant": "vacant", "flat_sealed": "sealed", "flat_relet": "occupied"}


def period_days(thresholds: Thresholds) -> int:
    """Days of records the detector needs: the flat's own history and the recent window."""
    return max(thresholds.history_days + thresholds.recent_days, thresholds.not_seen_days)


def thresholds_of(c: Collector, rusun_id: int, days: int) -> Thresholds:
    with c.db.read() as tx:
        overrides = normal.overrides(tx).get(rusun_id, {})
    return with_overrides(Thresholds.for_period(days), overrides)


def card_key(rusun_id: int, token: int, card: int | None) -> str:
    return str(card) if card is not None else f"{rusun_id}:{token:08X}"


def _dated(entries: list[tuple[int, int, str]]) -> tuple[Dated, ...]:
    """(unix, order, status) -> dated statuses by day; of two on one day, the one of the higher
    order (a card enrolled and returned on one day is returned)."""
    by_day: dict[dt.date, str] = {}
    for _day, _order, status in sorted((local.date_of(at), o, s) for at, o, s in entries):
        by_day[_day] = status
    out: list[Dated] = []
    for day in sorted(by_day):
        if not out or out[-1].status != by_day[day]:
            out.append(Dated(day, by_day[day]))
    return tuple(out)


def build(c: Collector, rusun_id: int, as_of: dt.date, days: int | None = None) -> Snapshot:
    """The rusun's snapshot for the ``days`` local days ending with ``as_of`` (default: what its
    thresholds need, ``period_days``)."""
    with c.db.read() as tx:
        return build_in(tx, rusun_id, as_of, days)


def build_in(tx: Tx, rusun_id: int, as_of: dt.date, days: int | None) -> Snapshot:
    overrides = normal.overrides(tx).get(rusun_id, {})
    if days is None:
        days = period_days(with_overrides(Thresholds(), overrides))
    thresholds = with_overrides(Thresholds.for_period(days), overrides)
    first = as_of - dt.timedelta(days=days - 1)
    t0, t1 = local.start_of(first), local.start_of(as_of) + local.DAY
    names = {r.id: r.name for r in residents.rusun_all(tx)}
    flats = register.flats(tx, [rusun_id])
    people = register.people(tx, [rusun_id])
    cards = register.cards(tx, [rusun_id])
    events = register_events.of_kinds(tx, rusun_id, ("flat_added", *_FLAT_EVENTS))
    flat_key = {f.id: f"{rusun_id}/{f.name}" for f in flats}
    by_flat: dict[int, list[register.Person]] = {}
    for p in people:
        by_flat.setdefault(p.unit_id, []).append(p)
    flat_events: dict[int, list[tuple[int, int, str, str]]] = {}
    for e in events:
        status = _FLAT_EVENTS.get(e.kind) or (
            e.detail if e.detail in register.UNIT_STATUSES else "occupied"
        )
        if e.unit_id is not None:
            flat_events.setdefault(e.unit_id, []).append((e.at, e.id, status, e.kind))
    out_flats = []
    for f in flats:
        members = [p for p in by_flat.get(f.id, []) if p.kind == "member"]
        added = [e for e in flat_events.get(f.id, []) if e[3] == "flat_added"]
        entries = [e[:3] for e in flat_events.get(f.id, []) if e[3] != "flat_added"]
        relets = [at for at, _i, status in entries if status == "occupied"]
        # The first occupancy starts with the earliest of: the flat's lease start as the register
        # gave it when the flat was added, its first household's registration (a database older
        # than the register's trail has no "added" event: its lease start then).
        first_household = [
            p.registered_at for p in members if not relets or p.registered_at < relets[0]
        ]
        starts = first_household + [e[0] for e in added[:1]]
        if not added and f.let_since is not None and not relets:
            starts.append(f.let_since)
        start = min(starts, default=0)
        status = added[0][2] if added else "occupied"
        entries = [(start, -1, status), *entries]
        out_flats.append(
            Flat(
                flat_key[f.id],
                f.name,
                _dated(entries),
                tuple(_member(p, start, relets) for p in members),
            )
        )
    holder_kind = {p.resident_id: p.kind for p in people}
    replaced_on = {k.replaces: k.enrolled_at for k in cards if k.replaces is not None}
    out_cards = []
    visitor_cards: dict[str, list[str]] = {}
    for k in cards:
        if holder_kind.get(k.resident_id) != "member":
            visitor_cards.setdefault(k.resident_id, []).append(str(k.id))
            continue
        entries = [(k.enrolled_at, 0, "active")]
        if k.status != "active" and k.status_at is not None:
            entries.append((k.status_at, 1, _STATUS.get(k.status, k.status)))
        if k.id in replaced_on:
            entries.append((replaced_on[k.id], 2, "replaced"))
        out_cards.append(Card(str(k.id), k.resident_id, _dated(entries)))
    visitors = tuple(
        Visitor(
            p.resident_id,
            flat_key[p.unit_id],
            p.kind,
            tuple(visitor_cards.get(p.resident_id, [])),
            local.date_of(p.registered_at),
            local.date_of(p.status_at)
            if p.status != "active" and p.status_at is not None
            else (local.date_of(p.valid_until) if p.valid_until is not None else None),
        )
        for p in people
        if p.kind != "member"
    )
    absences = tuple(
        Absence(a.resident_id, local.date_of(a.first_day), local.date_of(a.last_day), a.kind)
        for a in normal.absences(tx, [rusun_id], t0)
        if a.cancelled_at is None
    )
    holidays = frozenset(
        local.date_of(h.day)
        for h in normal.holidays(tx)
        if h.rusun_id in (None, rusun_id) and t0 <= h.day < t1
    )
    mine = {k.id for k in cards}
    d0, d1 = rollups.day_of(t0), rollups.day_of(t1)
    here = rollups.review_days_at(tx, rusun_id, d0, d1)
    away = rollups.review_days_of(tx, sorted(mine), d0, d1, away_from=rusun_id)
    card_days = []
    foreign: set[str] = set()
    keys: dict[tuple[Any, Any, Any], str] = {}  # a card's key, once per card (not per day)
    for rid, token, day, times, clone, plain, card in sorted([*here, *away]):
        key = keys.get((rid, token, card))
        if key is None:
            key = keys[rid, token, card] = card_key(
                int(rid), int(token), None if card is None else int(card)
            )
            if card is not None and int(rid) == rusun_id and int(card) not in mine:
                foreign.add(key)
        at = tuple(rollups.times_of(int(day), times))
        card_days.append(CardDay(key, names[int(rid)], at, int(clone), int(plain)))
    return Snapshot(
        rusun=names[rusun_id],
        first_day=first,
        days=days,
        flats=tuple(out_flats),
        cards=tuple(out_cards),
        records=(),
        card_days=tuple(card_days),
        visitors=visitors,
        absences=absences,
        holidays=holidays,
        thresholds=thresholds,
        foreign_cards=frozenset(foreign),
    )


def _member(p: register.Person, flat_start: int, relets: list[int]) -> Member:
    """Active from registration, or from the flat's first occupancy for its first household
    (the register is often imported long after people moved in); then left, when dated."""
    since = p.registered_at
    left = p.status_at if p.status != "active" and p.status_at is not None else None
    if not relets or p.registered_at < relets[0] or (left is not None and left <= relets[0]):
        since = min(since, flat_start)
    if left is not None:
        since = min(since, left)  # recorded after the fact: they lived there until they left
    entries = [(since, 0, "active")]
    if left is not None:
        entries.append((left, 1, p.status))
    return Member(p.resident_id, _dated(entries), p.lease_holder)
