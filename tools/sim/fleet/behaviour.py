# behaviour: seeded tap schedule of the fleet's residents over N days, in Asia/Jakarta time.
# SPDX-License-Identifier: MIT
"""When each registered resident taps, at which door, over the simulated days.

    taps = schedule(pop, seed=1)          # sorted list of Tap, day 0 starts at START_DATE

Every resident has a routine drawn once (``kind`` from the population):

- worker: leaves on weekdays around a personal time in 05:30-08:15 and comes back around a
  personal time in 16:30-20:30 (each with a personal spread of 6-20 minutes); sometimes goes out
  again in the evening;
- student: leaves 05:45-06:45, back 13:00-17:30;
- homebody: goes out on about 60 % of days, mostly in the morning (06:00-08:30 for 1-3 hours),
  sometimes in the late afternoon.

Weekends are later and looser (out 07:00-10:00 for 2-6 hours, an evening outing in 18:00-20:30) and
a resident stays in on 20 % of weekend days. A resident is away 4 % of weekdays and 10 % of weekend
days; a household sometimes travels together for 1-7 days (mudik). Each passage is one tap at the
resident's usual door (85 %) or the building's other one; 3 % of taps are repeated 5-40 s
later (the resident did not hear the beep). Visitors tap cards the system does not know: a few
one-off taps per door and day, a third of them phones presenting a random UID (first byte 0x08).

Jakarta has no daylight saving time, so local time is UTC+7 all year.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from firmware import wire
from firmware.config import UTC_OFFSET_MIN
from tools.sim.fleet.population import Population, Resident, Terminal

JAKARTA = timezone(timedelta(minutes=UTC_OFFSET_MIN))
START_DATE = datetime(2017, 2, 6, tzinfo=JAKARTA)  # a Monday, the week attendance became mandatory
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


@dataclass(frozen=True)
class Tap:
    t: int  # Unix seconds (UTC)
    rusun: str
    terminal: int
    card: str  # UID, upper-case hex
    flags: int  # wire card flags (wire.CARD_*) the terminal would record
    actor: str  # who tapped: a resident id, or a label for visitors and planted strangers


def start_unix(start: datetime = START_DATE) -> int:
    return int(start.timestamp())


def local_day(t: int, start: int) -> int:
    """Simulated day index of Unix time ``t`` (day 0 begins at local midnight ``start``)."""
    return (t - start) // DAY


def local_minute(t: int) -> int:
    """Minute of the local (UTC+7) day, 0-1439."""
    return ((t + UTC_OFFSET_MIN * 60) % DAY) // 60


def is_weekend(day: int, start: int) -> bool:
    return datetime.fromtimestamp(start + day * DAY, JAKARTA).weekday() >= 5


@dataclass
class _Routine:
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


def _routine(rng: random.Random, kind: str) -> _Routine:
    if kind in _ROUTINES:
        out, out_sd, back, back_sd, evening = _ROUTINES[kind]
        return _Routine(
            rng.uniform(*out) * 3600,
            rng.uniform(*out_sd) * 60,
            rng.uniform(*back) * 3600,
            rng.uniform(*back_sd) * 60,
            evening,
        )
    return _Routine(rng.uniform(6, 8.5) * 3600, rng.uniform(10, 30) * 60, 0, 0, 0.3)


def _passages(rng: random.Random, kind: str, rt: _Routine, weekend: bool) -> list[float]:
    """Seconds after local midnight of one day's door passages (out, in, out, in...)."""
    if weekend:
        if rng.random() < 0.2:
            return []
        out = rng.uniform(7, 10) * 3600
        times = [out, out + rng.uniform(2, 6) * 3600]
        if rng.random() < 0.4:
            ev = rng.uniform(18, 20.5) * 3600
            times += [ev, ev + rng.uniform(0.5, 2.5) * 3600]
        return times
    if kind == "homebody":
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


def _door(rng: random.Random, res: Resident, doors: list[Terminal]) -> Terminal:
    if len(doors) > 1 and rng.random() < OTHER_DOOR:
        return doors[1 - res.home_door]
    return doors[res.home_door]


def household_trips(pop: Population, rng: random.Random) -> dict[str, set[int]]:
    """Days each unit's whole household is away (only units with a trip are listed)."""
    trips: dict[str, set[int]] = {}
    lengths = [n for n, _ in TRIP_DAYS]
    weights = [w for _, w in TRIP_DAYS]
    for unit_id in sorted(pop.units):
        for day in range(pop.days):
            if rng.random() < TRIP_START:
                n = rng.choices(lengths, weights)[0]
                trips.setdefault(unit_id, set()).update(range(day, min(day + n, pop.days)))
    return trips


def resident_taps(
    rng: random.Random, pop: Population, res: Resident, start: int, away: set[int]
) -> list[Tap]:
    """All taps of one registered resident over the period, with their own card."""
    if res.registered_day is None:
        return []
    doors = pop.terminals_of(res.rusun)
    rt = _routine(rng, res.kind)
    out: list[Tap] = []
    for day in range(res.registered_day, pop.days):
        weekend = is_weekend(day, start)
        if day in away or rng.random() < (AWAY_WEEKEND if weekend else AWAY_WEEKDAY):
            continue
        for sec in _passages(rng, res.kind, rt, weekend):
            door = _door(rng, res, doors)
            t = start + day * DAY + int(sec)
            out.append(Tap(t, res.rusun, door.terminal_id, res.card.uid_hex, 1, res.resident_id))
            if rng.random() < REPEAT_TAP:
                t2 = t + rng.randint(5, 40)
                out.append(
                    Tap(t2, res.rusun, door.terminal_id, res.card.uid_hex, 1, res.resident_id)
                )
    return out


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


def schedule(pop: Population, seed: int, start: int | None = None) -> list[Tap]:
    """Every ordinary tap of the period (residents and visitors), sorted by time."""
    rng = random.Random(seed * 7919 + 1)
    start = start_unix() if start is None else start
    trips = household_trips(pop, rng)
    taps: list[Tap] = []
    for rid in sorted(pop.residents):
        res = pop.residents[rid]
        taps += resident_taps(rng, pop, res, start, trips.get(res.unit, set()))
    taps += visitor_taps(rng, pop, start)
    taps.sort(key=lambda tap: (tap.t, tap.terminal, tap.card))
    return taps
