# world: one seeded fleet world (population, planted tap stream, ground truth) and its records.
# SPDX-License-Identifier: MIT
"""Build the whole world in one call, what the housing office knows of it, and the ideal record
stream a perfect fleet would store.

    w = build(seed=1, days=7)                       # confounders on (their documented defaults)
    w = build(seed=1, days=7, conf=Confounders.none(), counts=FIRST_COUNTS)   # the first world
    reg = register(w)                                # the office's register at the period's end
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tools.sim.fleet.behaviour import (
    HOLIDAYS,
    Ordinary,
    Tap,
    date_of,
    simulate,
    start_unix,
)
from tools.sim.fleet.cases import plant
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.population import Population, generate


@dataclass
class World:
    seed: int
    days: int
    start: int  # Unix time of day 0's local midnight
    pop: Population
    taps: list[Tap]
    truth: dict
    ordinary: Ordinary
    conf: Confounders


def build(
    seed: int,
    days: int = 7,
    counts: dict[str, int] | None = None,
    residents: int | None = None,
    conf: Confounders | None = None,
) -> World:
    """``residents`` scales the population down (default: the full 13,731); ``conf`` the
    confounders (default: ``Confounders()``, all on)."""
    start = start_unix()
    conf = Confounders() if conf is None else conf
    pop = generate(seed, days) if residents is None else generate(seed, days, residents)
    ordinary = simulate(pop, seed, start, conf)
    taps, truth = plant(pop, ordinary, seed, counts, start)
    return World(seed, days, start, pop, taps, truth, ordinary, conf)


def records(taps: list[Tap]) -> list[dict]:
    """Every tap stored exactly once, as the collector would hand records to the detector."""
    return [
        {"time": t.t, "rusun": t.rusun, "terminal": t.terminal, "card": t.card, "flags": t.flags}
        for t in taps
    ]


@dataclass(frozen=True)
class Register:
    """What the housing office knows on day ``day``: the tenant register (every member, with
    or without a card), cards with the day they were enrolled, departures it was told of,
    registered visitors, declared absences, the holiday calendar. It knows nothing of the
    planted cases: a sublet flat's tenants are still registered there."""

    day: int
    units: dict[
        str, tuple[str, list[str]]
    ]  # unit -> (rusun, member ids; the first holds the lease)
    cards: dict[str, tuple[str, int]]  # card UID -> (holder resident id, enrolled day)
    moved_out: dict[str, int]  # resident id -> day the office records the departure
    visitors: list[tuple[str, str, str, str]]  # (visitor id, unit, kind, card UID)
    izin: list[tuple[str, int, int]]  # (resident id, first day, last day)
    holidays: tuple[dt.date, ...]


def register(w: World, day: int | None = None) -> Register:
    """The office's register as of ``day`` (default: the period's last day)."""
    day = w.days - 1 if day is None else day
    pop = w.pop
    units = {u.unit_id: (u.rusun, list(u.members)) for u in pop.units.values()}
    cards = {
        r.card.uid_hex: (r.resident_id, r.registered_day)
        for r in pop.residents.values()
        if r.registered_day is not None and r.registered_day <= day
    }
    moved_out = {
        rid: life.reported_day
        for rid, life in w.ordinary.lives.items()
        if life.reported_day is not None and life.reported_day <= day
    }
    visitors = [
        (v.visitor_id, v.unit, v.kind, v.card) for v in w.ordinary.visitors if v.registered
    ]
    izin = [
        (rid, first, last)
        for unit, first, last in w.ordinary.izin
        if first <= day
        for rid in pop.units[unit].members
    ]
    first, last = date_of(0, w.start), date_of(w.days - 1, w.start)
    holidays = tuple(h for h in HOLIDAYS if first <= h <= last)
    return Register(day, units, cards, moved_out, visitors, izin, holidays)
