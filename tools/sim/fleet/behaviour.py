# behaviour: seeded ordinary life of the fleet's residents and guests over N days, Jakarta time.
# SPDX-License-Identifier: MIT
"""When each resident taps, at which door, over the simulated days; and the confounders
(``confounders.Confounders``): regular visitors, kin at other rusun, punctual residents,
unregistered residents who tap, households away for a week, shift workers, routine changes,
members who leave, residents who stop tapping.

    life = simulate(pop, seed=1, conf=Confounders())   # taps, lives, trips, izin, visitors
    taps = schedule(pop, seed=1)                       # just the sorted taps

Every person has a routine drawn once (``kind`` from the population):

- worker: leaves on weekdays around a personal time in 05:30-08:15 and comes back around a
  personal time in 16:30-20:30 (each with a personal spread of 6-30 minutes); sometimes goes
  out again in the evening; a share works rotating shifts instead (06-14, 14-22, 22-06, a new
  shift every week);
- student: leaves 05:45-06:45, back 13:00-17:30;
- homebody: goes out on about 60 % of days, mostly in the morning (06:00-08:30 for 1-3 hours),
  sometimes in the late afternoon.

Weekends and public holidays are later and looser (out 07:00-10:00 for 2-6 hours, an evening
outing in 18:00-20:30) and a resident stays in on 20 % of them. A resident is away 4 % of
weekdays and 10 % of rest days; a household sometimes travels together for 1-7 days, and now
and then for a week or more. Each passage is one tap at the resident's usual door (85 %) or the
building's other one; 3 % of taps are repeated 5-40 s later (the resident did not hear the
beep). One-off visitors tap cards the system does not know: a few taps per door and day, a
third of them phones presenting a random UID (first byte 0x08).

Jakarta has no daylight saving time, so local time is UTC+7 all year.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
import random
from dataclasses import dataclass, field

from firmware import wire
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.population import RESIDENTS, Population, Terminal, new_card

JAKARTA = dt.timezone(dt.timedelta(minutes=wire.UTC_OFFSET_MIN))
START_DATE = dt.datetime(2017, 2, 6, tzinfo=JAKARTA)  # a Monday: attendance became mandatory
DAY = 86400
MORNING = (5 * 3600 + 1800, 8 * 3600 + 1800)  # 05:30-08:30
EVENING = (16 * 3600, 21 * 3600)  # 16:00-21:00
AWAY_WEEKDAY = 0.04
AWAY_WEEKEND = 0.10
TRIP_START = 0.004  # per household and day
TRIP_DAYS = ((1, 3), (2, 4), (3, 3), (4, 2), (5, 1), (7, 1))
REPEAT_TAP = 0.03
OTHER_DOOR = 0.15
VISITORS_PER_DOOR = 3
# Public holidays in Jakarta in the first months of mandatory attendance (2017): the governor
# election days (both rounds were declared holidays), Nyepi, Good Friday, Isra Mi'raj, Labour
# Day, Waisak, Ascension, Pancasila Day.
HOLIDAYS = tuple(
    dt.date.fromisoformat(d)
    for d in ("2017-02-15", "2017-03-28", "2017-04-14", "2017-04-19", "2017-04-24",
              "2017-05-01", "2017-05-11", "2017-05-25", "2017-06-01")
)  # fmt: skip
# Rotating shifts: (leave, back) in hours; the night shift comes back the next morning.
SHIFTS = ((5.25, 14.75), (13.25, 22.75), (21.25, 6.75))


@dataclass(frozen=True)
class Tap:
    t: int  # Unix seconds (UTC)
    rusun: str
    terminal: int
    card: str  # UID, upper-case hex
    flags: int  # wire card flags (wire.CARD_*) the terminal would record
    actor: str  # who tapped: a resident id, or a label for visitors and planted strangers


def start_unix(start: dt.datetime = START_DATE) -> int:
    return int(start.timestamp())


def local_day(t: int, start: int) -> int:
    """Simulated day index of Unix time ``t`` (day 0 begins at local midnight ``start``)."""
    return (t - start) // DAY


def local_minute(t: int) -> int:
    """Minute of the local (UTC+7) day, 0-1439."""
    return ((t + wire.UTC_OFFSET_MIN * 60) % DAY) // 60


@functools.lru_cache(maxsize=4096)
def date_of(day: int, start: int) -> dt.date:
    return dt.datetime.fromtimestamp(start + day * DAY, JAKARTA).date()


def is_weekend(day: int, start: int) -> bool:
    return date_of(day, start).weekday() >= 5


@functools.lru_cache(maxsize=4096)
def is_rest_day(day: int, start: int) -> bool:
    """A weekend day or a public holiday."""
    d = date_of(day, start)
    return d.weekday() >= 5 or d in HOLIDAYS


def first_event(rng: random.Random, rate: float, days: int) -> int | None:
    """The first day (0..days-1) an event of daily probability ``rate`` happens, or None."""
    if rate <= 0:
        return None
    day = int(math.log(1.0 - rng.random()) / math.log(1.0 - rate))
    return day if day < days else None


@dataclass
class Routine:
    out: float  # seconds after local midnight
    out_sd: float
    back: float
    back_sd: float
    evening_outing: float  # probability


# Per kind: out hour range, out spread (min), back hour range, back spread (min), evening outing.
_ROUTINES = {
    "worker": ((5.5, 8.25), (6, 20), (16.5, 20.5), (10, 30), 0.2),
    "student": ((5.75, 6.75), (6, 12), (13, 17.5), (15, 40), 0.15),
}


def new_routine(rng: random.Random, kind: str, punctual: bool = False) -> Routine:
    if kind in _ROUTINES:
        out, out_sd, back, back_sd, evening = _ROUTINES[kind]
        rt = Routine(
            rng.uniform(*out) * 3600,
            rng.uniform(*out_sd) * 60,
            rng.uniform(*back) * 3600,
            rng.uniform(*back_sd) * 60,
            evening,
        )
        if punctual:
            rt.out_sd = rng.uniform(5, 20)  # seconds: the same minute nearly every day
        return rt
    return Routine(rng.uniform(6, 8.5) * 3600, rng.uniform(10, 30) * 60, 0, 0, 0.3)


@dataclass
class Kin:
    rusun: str  # where the kin live
    visits: dict[int, bool] = field(default_factory=dict)  # day -> overnight


@dataclass
class Life:
    """One person's ordinary life over the period, drawn once."""

    kind: str
    routines: list[tuple[int, Routine]]  # (from day, routine), the first from day 0
    shift: int | None = None  # rotating shifts: the shift of week 0; None: no shift work
    punctual: bool = False
    first_day: int = 0  # first day the person taps
    last_day: int | None = None  # last day the person taps (left, stopped); None: to the end
    left: bool = False  # last_day ends with leaving the household (not just stopping)
    reported_day: int | None = None  # the day the office records the departure
    kin: Kin | None = None

    def routine(self, day: int) -> Routine:
        out = self.routines[0][1]
        for since, rt in self.routines:
            if since <= day:
                out = rt
        return out


def _shift_passages(rng: random.Random, shift: int) -> list[float]:
    leave, back = SHIFTS[shift]
    out = rng.gauss(leave * 3600, 600)
    home = rng.gauss(back * 3600, 1200)
    return sorted([out, home])  # the night shift's return is this morning's first tap


def passages(rng: random.Random, life: Life, day: int, rest: bool) -> list[float]:
    """Seconds after local midnight of one day's door passages (out, in, out, in...)."""
    if rest:
        if rng.random() < 0.2:
            return []
        out = rng.uniform(7, 10) * 3600
        times = [out, out + rng.uniform(2, 6) * 3600]
        if rng.random() < 0.4:
            ev = rng.uniform(18, 20.5) * 3600
            times += [ev, ev + rng.uniform(0.5, 2.5) * 3600]
        return times
    if life.shift is not None:
        times = _shift_passages(rng, (life.shift + day // 7) % 3)
        return [min(max(x, 0.0), DAY - 1.0) for x in times]
    rt = life.routine(day)
    if life.kind == "homebody":
        if rng.random() > 0.6:
            return []
        out = rng.gauss(rt.out, rt.out_sd)
        times = [out, out + rng.uniform(1, 3) * 3600]
    else:
        out = rng.gauss(rt.out, rt.out_sd)
        times = [out, max(out + 3600, rng.gauss(rt.back, rt.back_sd))]
    if rng.random() < rt.evening_outing:
        ev = rng.uniform(max(times[-1] / 3600 + 0.25, 16.5), 20.5) * 3600
        times += [ev, ev + rng.uniform(0.3, 1.5) * 3600]
    return [min(max(x, 0.0), DAY - 1.0) for x in times]


@dataclass(frozen=True)
class Person:
    """Whoever taps a card on a routine: a resident, a subletter, a regular visitor."""

    actor: str
    card: str  # UID hex
    rusun: str
    home_door: int
    enrolled_from: int | None  # day the card is on the allow-list (flag enrolled), None never


def _door(rng: random.Random, home_door: int, doors: list[Terminal]) -> Terminal:
    if len(doors) > 1 and rng.random() < OTHER_DOOR:
        return doors[1 - home_door]
    return doors[home_door]


def _tap(
    rng: random.Random, out: list[Tap], p: Person, t: int, door: Terminal, flags: int
) -> None:
    out.append(Tap(t, door.rusun, door.terminal_id, p.card, flags, p.actor))
    if rng.random() < REPEAT_TAP:
        out.append(Tap(t + rng.randint(5, 40), door.rusun, door.terminal_id, p.card, flags,
                       p.actor))  # fmt: skip


def _flags(p: Person, day: int, at_home: bool) -> int:
    enrolled = at_home and p.enrolled_from is not None and day >= p.enrolled_from
    return wire.CARD_ENROLLED if enrolled else 0


def person_taps(
    rng: random.Random,
    pop: Population,
    p: Person,
    life: Life,
    start: int,
    away: set[int],
    days: range | None = None,
) -> list[Tap]:
    """All taps of one person over ``days`` (default: the person's own first..last day)."""
    doors = pop.terminals_of(p.rusun)
    last = pop.days - 1 if life.last_day is None else min(life.last_day, pop.days - 1)
    days = range(life.first_day, last + 1) if days is None else days
    out: list[Tap] = []
    for day in days:
        if life.kin is not None and (day in life.kin.visits or life.kin.visits.get(day - 1)):
            _kin_day(rng, pop, p, life.kin, day, start, out)
            continue
        rest = is_rest_day(day, start)
        if day in away or rng.random() < (AWAY_WEEKEND if rest else AWAY_WEEKDAY):
            continue
        flags = _flags(p, day, True)
        for sec in passages(rng, life, day, rest):
            _tap(rng, out, p, start + day * DAY + int(sec), _door(rng, p.home_door, doors), flags)
    return out


def _kin_day(
    rng: random.Random, pop: Population, p: Person, kin: Kin, day: int, start: int, out: list
) -> None:
    """A visit to kin at another rusun: leave home, tap there on arrival and departure, come
    home; an overnight visit leaves in the evening and comes back the next morning."""
    home = pop.terminals_of(p.rusun)
    there = pop.terminals_of(kin.rusun)
    base = start + day * DAY
    travel = int(rng.uniform(30, 75) * 60)
    t_there = there[rng.randrange(len(there))]
    if day in kin.visits and not kin.visits[day]:  # a day visit
        leave = base + int(rng.uniform(9, 14) * 3600)
        stay = int(rng.uniform(2, 5) * 3600)
        _tap(rng, out, p, leave, _door(rng, p.home_door, home), _flags(p, day, True))
        _tap(rng, out, p, leave + travel, t_there, 0)
        _tap(rng, out, p, leave + travel + stay, t_there, 0)
        _tap(rng, out, p, leave + 2 * travel + stay, _door(rng, p.home_door, home),
             _flags(p, day, True))  # fmt: skip
    elif day in kin.visits:  # the evening an overnight visit starts
        leave = base + int(rng.uniform(16, 19) * 3600)
        _tap(rng, out, p, leave, _door(rng, p.home_door, home), _flags(p, day, True))
        _tap(rng, out, p, leave + travel, t_there, 0)
    if day - 1 in kin.visits and kin.visits[day - 1]:  # the morning after an overnight visit
        back = base + int(rng.uniform(7, 10) * 3600)
        _tap(rng, out, p, back, t_there, 0)
        _tap(rng, out, p, back + travel, _door(rng, p.home_door, home), _flags(p, day, True))


def household_trips(
    pop: Population, rng: random.Random, conf: Confounders
) -> tuple[dict[str, set[int]], list[tuple[str, int, int]]]:
    """Days each unit's whole household is away (units with a trip only), and the trips
    declared to the office as izin: (unit, first day, last day)."""
    trips: dict[str, set[int]] = {}
    izin: list[tuple[str, int, int]] = []
    lengths = [n for n, _ in TRIP_DAYS]
    weights = [w for _, w in TRIP_DAYS]
    for unit_id in sorted(pop.units):
        for day in range(pop.days):
            n = 0
            if rng.random() < TRIP_START:
                n = rng.choices(lengths, weights)[0]
            elif conf.week_away_rate and rng.random() < conf.week_away_rate:
                n = rng.randint(*conf.week_away_days)
            if n:
                last = min(day + n, pop.days) - 1
                trips.setdefault(unit_id, set()).update(range(day, last + 1))
                if n >= 3 and rng.random() < conf.izin_share:
                    izin.append((unit_id, day, day + n - 1))
    return trips, izin


def _kin(rng: random.Random, pop: Population, rusun: str, conf: Confounders, start: int) -> Kin:
    kin = Kin(rng.choice([r.name for r in pop.rusun if r.name != rusun]))
    rest = [d for d in range(pop.days - 1) if is_rest_day(d, start)]
    work = [d for d in range(pop.days - 1) if not is_rest_day(d, start)]
    for block in range(0, pop.days, 30):
        for _ in range(rng.randint(*conf.kin_visits_per_30d)):
            pool = rest if rng.random() < 0.7 else work
            pool = [d for d in pool if block <= d < block + 30 and d not in kin.visits]
            pool = [d for d in pool if d - 1 not in kin.visits and d + 1 not in kin.visits]
            if pool:
                kin.visits[rng.choice(pool)] = rng.random() < conf.kin_overnight_share
    return kin


def plan_lives(
    pop: Population, rng: random.Random, conf: Confounders, start: int
) -> dict[str, Life]:
    """A life for every resident who taps at some point: registered ones from their
    registration day, unregistered tappers (``unregistered_tap_share``) from day 0."""
    lives: dict[str, Life] = {}
    for rid in sorted(pop.residents):
        res = pop.residents[rid]
        tapper = rng.random() < conf.unregistered_tap_share
        if res.registered_day is None and not tapper:
            continue
        first = res.registered_day if res.registered_day is not None and not tapper else 0
        shift = None
        if res.kind == "worker" and rng.random() < conf.shift_share:
            shift = rng.randrange(3)
        punctual = res.kind != "homebody" and shift is None and rng.random() < conf.punctual_share
        life = Life(res.kind, [(0, new_routine(rng, res.kind, punctual))], shift, punctual, first)
        change = first_event(rng, conf.routine_change_rate, pop.days)
        if change is not None and change > first and shift is None:
            kind = res.kind if rng.random() < 0.7 else rng.choice(("worker", "student"))
            life.routines.append((change, new_routine(rng, kind)))
            life.kind = kind
        leaves = first_event(rng, conf.member_leaves_rate, pop.days)
        stops = first_event(rng, conf.stops_tapping_rate, pop.days)
        if leaves is not None and leaves > first and (stops is None or leaves <= stops):
            life.last_day, life.left = leaves - 1, True
            if rng.random() < conf.leaving_reported_share:
                life.reported_day = min(pop.days - 1, leaves + rng.randint(0, 14))
        elif stops is not None and stops > first:
            life.last_day = stops - 1
        if rng.random() < conf.kin_share and res.registered_day is not None:
            life.kin = _kin(rng, pop, res.rusun, conf, start)
        lives[rid] = life
    return lives


@dataclass(frozen=True)
class RegularVisitor:
    visitor_id: str
    unit: str
    kind: str  # "visitor" or "carer"
    card: str
    registered: bool  # known to the office (its card is not "unknown")


def regular_visitors(
    pop: Population, rng: random.Random, conf: Confounders, start: int, used: set[bytes]
) -> tuple[list[RegularVisitor], list[Tap]]:
    """Regular visitors and carers: each comes to one flat with the same card, taps in and out."""
    visitors: list[RegularVisitor] = []
    taps: list[Tap] = []
    units_of: dict[str, list[str]] = {}
    for uid, unit in sorted(pop.units.items()):
        units_of.setdefault(unit.rusun, []).append(uid)
    for r in pop.rusun:
        if r.name not in units_of:
            continue
        per_rusun = conf.regular_visitors_per_rusun * len(pop.residents) / RESIDENTS
        n = int(per_rusun) + (rng.random() < per_rusun % 1)
        doors = pop.terminals_of(r.name)
        for k in range(n):
            carer = rng.random() < conf.carer_share
            card = new_card(rng, used).uid_hex
            v = RegularVisitor("V-%s-%d" % (r.code, k + 1), rng.choice(units_of[r.name]),
                               "carer" if carer else "visitor", card,
                               rng.random() < conf.visitors_registered_share)  # fmt: skip
            visitors.append(v)
            per_week = 5 if carer else rng.randint(1, 4)
            p = Person(v.visitor_id, card, r.name, rng.randrange(r.doors), None)
            for week in range(0, pop.days, 7):
                week_days = [d for d in range(week, min(week + 7, pop.days))]
                if carer:
                    week_days = [d for d in week_days if not is_rest_day(d, start)]
                for day in sorted(rng.sample(week_days, min(per_week, len(week_days)))):
                    arrive = (rng.gauss(7.5, 0.3) if carer else rng.uniform(9, 19)) * 3600
                    stay = (rng.gauss(9, 0.5) if carer else rng.uniform(1, 4)) * 3600
                    for sec in (arrive, min(arrive + stay, DAY - 60.0)):
                        t = start + day * DAY + int(sec)
                        _tap(rng, taps, p, t, _door(rng, p.home_door, doors), 0)
    return visitors, taps


def visitor_taps(rng: random.Random, pop: Population, start: int) -> list[Tap]:
    """One-off taps of cards nobody registered: guests' own cards and phones (random UIDs)."""
    out = []
    for term in pop.terminals:
        for day in range(pop.days):
            for _ in range(rng.randint(0, 2 * VISITORS_PER_DOOR)):
                if rng.random() < 1 / 3:
                    uid, flags = bytes([0x08]) + rng.randbytes(3), wire.CARD_RANDOM_UID
                else:
                    uid, flags = bytes([0x04]) + rng.randbytes(6), 0
                sec = rng.uniform(7, 21) * 3600
                t = start + day * DAY + int(sec)
                out.append(
                    Tap(t, term.rusun, term.terminal_id, uid.hex().upper(), flags, "visitor")
                )
    return out


@dataclass
class Ordinary:
    """The ordinary life of the period, before any planted case."""

    taps: list[Tap]
    lives: dict[str, Life]
    trips: dict[str, set[int]]
    izin: list[tuple[str, int, int]]  # (unit, first day, last day), declared trips
    visitors: list[RegularVisitor]


def resident_person(pop: Population, rid: str) -> Person:
    res = pop.residents[rid]
    return Person(rid, res.card.uid_hex, res.rusun, res.home_door, res.registered_day)


def simulate(
    pop: Population, seed: int, start: int | None = None, conf: Confounders | None = None
) -> Ordinary:
    """Every ordinary tap of the period (residents, visitors, guests; not sorted) and the lives
    behind them."""
    conf = Confounders() if conf is None else conf
    rng = random.Random(seed * 7919 + 1)
    start = start_unix() if start is None else start
    trips, izin = household_trips(pop, rng, conf)
    lives = plan_lives(pop, rng, conf, start)
    taps: list[Tap] = []
    for rid, life in lives.items():
        person = resident_person(pop, rid)
        away = trips.get(pop.residents[rid].unit, set())
        taps += person_taps(rng, pop, person, life, start, away)
    taps += visitor_taps(rng, pop, start)
    used = {r.card.uid for r in pop.residents.values()}
    visitors, vtaps = regular_visitors(pop, rng, conf, start, used)
    taps += vtaps
    return Ordinary(taps, lives, trips, izin, visitors)


def schedule(
    pop: Population, seed: int, start: int | None = None, conf: Confounders | None = None
) -> list[Tap]:
    """Every ordinary tap of the period (residents and visitors), sorted by time."""
    taps = simulate(pop, seed, start, conf).taps
    taps.sort(key=TAP_ORDER)
    return taps


TAP_ORDER = operator.attrgetter("t", "terminal", "card")
