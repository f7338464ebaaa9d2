# The tap schedule clusters at Jakarta's morning and evening peaks, differs at weekends, is seeded.
# SPDX-License-Identifier: MIT
from collections import Counter

from tools.sim.fleet.behaviour import (
    EVENING,
    MORNING,
    is_weekend,
    local_day,
    local_minute,
    schedule,
    start_unix,
)
from tools.sim.fleet.population import Population


def _resident_taps(world):
    return [t for t in world.taps if t.actor.startswith("R") and "+" not in t.actor]


def _in(window, minute):
    return window[0] <= minute * 60 < window[1]


def test_day_zero_is_a_monday_at_jakarta_midnight():
    start = start_unix()
    assert local_minute(start) == 0
    assert [is_weekend(d, start) for d in range(7)] == [False] * 5 + [True] * 2
    assert local_day(start + 86400 * 3 + 5, start) == 3


def test_weekday_taps_cluster_at_peaks(clean1):
    start = clean1.start
    taps = [t for t in _resident_taps(clean1) if not is_weekend(local_day(t.t, start), start)]
    minutes = [local_minute(t.t) for t in taps]
    in_peaks = sum(_in(MORNING, m) or _in(EVENING, m) for m in minutes)
    assert in_peaks / len(minutes) > 0.7
    hours = Counter(m // 60 for m in minutes)
    morning_peak = max(range(0, 12), key=lambda h: hours[h])
    evening_peak = max(range(12, 24), key=lambda h: hours[h])
    assert 5 <= morning_peak < 9 and 16 <= evening_peak < 21
    lull = (hours[10] + hours[11]) / 2
    assert min(hours[morning_peak], hours[evening_peak]) > 5 * lull
    assert hours[2] == hours[3] == 0  # nobody taps in the middle of the night


def test_weekends_are_later_and_quieter(clean1):
    start = clean1.start
    by_day = Counter(local_day(t.t, start) for t in _resident_taps(clean1))
    weekday = sum(by_day[d] for d in range(5)) / 5
    weekend = (by_day[5] + by_day[6]) / 2
    assert weekend < weekday
    early = Counter()
    for t in _resident_taps(clean1):
        if local_minute(t.t) < 7 * 60:
            early[is_weekend(local_day(t.t, start), start)] += 1
    assert early[True] / weekend < 0.5 * early[False] / weekday


def test_each_resident_taps_several_times_at_home_and_is_sometimes_away(clean1):
    pop, start = clean1.pop, clean1.start
    doors = {r.name: {t.terminal_id for t in pop.terminals_of(r.name)} for r in pop.rusun}
    days_with_taps = set()
    for t in _resident_taps(clean1):
        res = pop.residents[t.actor]
        assert t.terminal in doors[res.rusun] and t.card == res.card.uid_hex
        assert local_day(t.t, start) >= res.registered_day
        days_with_taps.add((t.actor, local_day(t.t, start)))
    possible = sum(pop.days - r["registered_day"] for r in pop.registry())
    assert 0.6 < len(days_with_taps) / possible < 0.95
    assert 2 <= len(_resident_taps(clean1)) / len(days_with_taps) <= 4


def test_without_confounders_unregistered_residents_never_tap(clean1):
    registered = {r["resident_id"] for r in clean1.pop.registry()}
    assert {t.actor for t in _resident_taps(clean1)} <= registered


def _small(pop, n_units):
    units = dict(sorted(pop.units.items())[:n_units])
    residents = {m: pop.residents[m] for u in units.values() for m in u.members}
    return Population(pop.seed, pop.days, pop.rusun, pop.terminals, units, residents)


def test_schedule_is_deterministic_by_seed(clean1):
    small = _small(clean1.pop, 60)
    a, b, c = schedule(small, 9), schedule(small, 9), schedule(small, 10)
    assert a == b
    assert a != c
    assert all(x.t <= y.t for x, y in zip(a, a[1:]))
