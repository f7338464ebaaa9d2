# cases: planted misuse in the fleet world (sublet, lending, cloned cards...) with ground truth.
# SPDX-License-Identifier: MIT
"""Plant known cases into a tap schedule and say what a reviewer should find.

    taps, truth = plant(pop, schedule(pop, seed), seed)

Each case uses units and residents that no other case touches. The ground truth is a list of cases,
each with ``expect``: the (subject, reason) items a perfect review queue holds for it. A subject is
exactly one of ``unit``, ``resident`` or ``card`` (UID hex).

Kinds (details and figures in docs/fleet.md):

- sublet: nobody of a registered household taps; in 60 % a stranger household (1-4 people) taps
  its own unregistered cards instead. Expect unit `not_seen`, each stranger card `unknown_card`.
- lending: one member's card is tapped for the whole household: each passage is a burst of one
  tap per member within 10-60 s; the others never tap. Expect unit `one_card_household`.
- same_minute: a resident has moved out; someone taps her card once a day at the same minute.
  Expect card `same_minute`.
- two_rusun: a registered card is also used at another rusun on 3-5 days. Expect card
  `other_rusun`.
- clone: a copy of a registered card is tapped at its rusun on 3-6 days, either a Gen1a magic
  card (flag magic suspect) or another chip (flag fingerprint mismatch). Expect card `clone`.
- unknown: a card nobody registered is tapped at one rusun on 3-7 days, twice a day. Expect card
  `unknown_card`.
"""

import random

from firmware import wire
from tools.sim.fleet.behaviour import DAY, EVENING, MORNING, Tap, start_unix
from tools.sim.fleet.population import Population, new_card

# Cases per kind for the 13,731-resident world (about 1 % of units are planted sublets).
COUNTS = {
    "sublet": 30,
    "lending": 12,
    "same_minute": 12,
    "two_rusun": 10,
    "clone": 8,
    "unknown": 12,
}
REASONS = ("not_seen", "one_card_household", "same_minute", "other_rusun", "clone", "unknown_card")


def _peak_second(rng: random.Random) -> int:
    lo, hi = MORNING if rng.random() < 0.5 else EVENING
    return rng.randint(lo, hi - 1)


class _Planter:
    def __init__(self, pop: Population, taps: list[Tap], seed: int, start: int):
        self.pop = pop
        self.rng = random.Random(seed * 104729 + 2)
        self.start = start
        self.by_actor: dict[str, list[Tap]] = {}
        for tap in taps:
            self.by_actor.setdefault(tap.actor, []).append(tap)
        self.used_units: set[str] = set()
        self.uids = {r.card.uid for r in pop.residents.values()}
        self.cases: list[dict] = []

    def _units(self, min_size: int) -> list[str]:
        """Free units whose members all registered at day 0, at least ``min_size`` of them."""
        out = []
        for uid, unit in sorted(self.pop.units.items()):
            members = [self.pop.residents[m] for m in unit.members]
            if uid in self.used_units or len(members) < min_size:
                continue
            if all(m.registered_day == 0 for m in members):
                out.append(uid)
        return out

    def _take_unit(self, min_size: int) -> str:
        unit = self.rng.choice(self._units(min_size))
        self.used_units.add(unit)
        return unit

    def _n_days(self, lo: int, hi: int) -> int:
        """A number of days in lo..hi, at most the period (short test worlds); the draw is the
        same as randint(lo, hi) whenever the period holds hi days."""
        days = self.pop.days
        return min(days, self.rng.randint(min(lo, days), min(hi, days)))

    def _add(self, kind: str, expect: list[dict], note: str) -> None:
        self.cases.append(
            {"case": "C%03d" % (len(self.cases) + 1), "kind": kind, "expect": expect, "note": note}
        )

    def _stranger_card_taps(self, rusun: str, days: list[int], per_day: int, label: str) -> str:
        card = new_card(self.rng, self.uids)
        doors = self.pop.terminals_of(rusun)
        for day in days:
            for _ in range(per_day):
                t = self.start + day * DAY + _peak_second(self.rng)
                term = self.rng.choice(doors)
                tap = Tap(t, rusun, term.terminal_id, card.uid_hex, 0, label)
                self.by_actor.setdefault(label, []).append(tap)
        return card.uid_hex

    def sublet(self) -> None:
        unit_id = self._take_unit(1)
        unit = self.pop.units[unit_id]
        for rid in unit.members:
            self.by_actor.pop(rid, None)
        expect = [{"unit": unit_id, "reason": "not_seen"}]
        if self.rng.random() < 0.6:
            days = list(range(self.pop.days))
            for k in range(self.rng.randint(1, 4)):
                label = "stranger:%s:%d" % (unit_id, k)
                card = self._stranger_card_taps(unit.rusun, days, 2, label)
                expect.append({"card": card, "reason": "unknown_card"})
        self._add("sublet", expect, "household of %d never taps" % len(unit.members))

    def lending(self) -> None:
        unit_id = self._take_unit(2)
        unit = self.pop.units[unit_id]
        lender = unit.members[0]
        others = unit.members[1:]
        for rid in others:
            self.by_actor.pop(rid, None)
        burst = []
        for tap in self.by_actor.get(lender, []):
            burst.append(tap)
            t = tap.t
            for k in range(len(others)):
                t += self.rng.randint(10, 60)
                burst.append(
                    Tap(t, tap.rusun, tap.terminal, tap.card, tap.flags, lender + "+%d" % k)
                )
        self.by_actor[lender] = burst
        expect = [{"unit": unit_id, "reason": "one_card_household"}]
        self._add("lending", expect, "one card tapped for %d people" % len(unit.members))

    def same_minute(self) -> None:
        unit_id = self._take_unit(2)
        res = self.pop.residents[self.pop.units[unit_id].members[-1]]
        self.by_actor.pop(res.resident_id, None)
        minute = _peak_second(self.rng) // 60
        doors = self.pop.terminals_of(res.rusun)
        taps = []
        for day in range(self.pop.days):
            t = self.start + day * DAY + minute * 60 + self.rng.randint(0, 59)
            taps.append(Tap(t, res.rusun, doors[0].terminal_id, res.card.uid_hex, 1, "helper"))
        self.by_actor["helper:" + res.resident_id] = taps
        expect = [{"card": res.card.uid_hex, "reason": "same_minute"}]
        self._add("same_minute", expect, "tapped daily at %02d:%02d" % divmod(minute, 60))

    def two_rusun(self) -> None:
        unit_id = self._take_unit(1)
        res = self.pop.residents[self.pop.units[unit_id].members[0]]
        other = self.rng.choice([r.name for r in self.pop.rusun if r.name != res.rusun])
        doors = self.pop.terminals_of(other)
        days = sorted(self.rng.sample(range(self.pop.days), self._n_days(3, 5)))
        taps = []
        for day in days:
            t = self.start + day * DAY + self.rng.randint(EVENING[0], EVENING[1] - 3600)
            term = self.rng.choice(doors)
            for dt in (0, self.rng.randint(1800, 3600)):
                taps.append(Tap(t + dt, other, term.terminal_id, res.card.uid_hex, 0, "away"))
        self.by_actor["away:" + res.resident_id] = taps
        expect = [{"card": res.card.uid_hex, "reason": "other_rusun"}]
        self._add("two_rusun", expect, "also used at %s" % other)

    def clone(self) -> None:
        unit_id = self._take_unit(1)
        res = self.pop.residents[self.pop.units[unit_id].members[0]]
        magic = self.rng.random() < 0.5
        flags = wire.CARD_ENROLLED | (
            wire.CARD_MAGIC_SUSPECT if magic else wire.CARD_FINGERPRINT_MISMATCH
        )
        doors = self.pop.terminals_of(res.rusun)
        days = sorted(self.rng.sample(range(self.pop.days), self._n_days(3, 6)))
        taps = []
        for day in days:
            for _ in range(self.rng.randint(1, 2)):
                t = self.start + day * DAY + _peak_second(self.rng)
                term = self.rng.choice(doors)
                taps.append(Tap(t, res.rusun, term.terminal_id, res.card.uid_hex, flags, "clone"))
        self.by_actor["clone:" + res.resident_id] = taps
        expect = [{"card": res.card.uid_hex, "reason": "clone"}]
        self._add("clone", expect, "Gen1a magic copy" if magic else "copy on another chip")

    def unknown(self) -> None:
        rusun = self.rng.choice(self.pop.rusun).name
        n = self._n_days(3, 7)
        days = sorted(self.rng.sample(range(self.pop.days), n))
        card = self._stranger_card_taps(rusun, days, 2, "unknown:%d" % len(self.cases))
        self._add("unknown", [{"card": card, "reason": "unknown_card"}], "at %s" % rusun)


def plant(
    pop: Population,
    taps: list[Tap],
    seed: int,
    counts: dict[str, int] | None = None,
    start: int | None = None,
) -> tuple[list[Tap], dict]:
    """Return the planted tap stream (sorted) and the ground truth {seed, days, cases}."""
    planter = _Planter(pop, taps, seed, start_unix() if start is None else start)
    for kind, n in (COUNTS if counts is None else counts).items():
        for _ in range(n):
            getattr(planter, kind)()
    out = [tap for group in planter.by_actor.values() for tap in group]
    out.sort(key=lambda tap: (tap.t, tap.terminal, tap.card))
    return out, {"seed": seed, "days": pop.days, "cases": planter.cases}


def expected_items(truth: dict) -> list[dict]:
    """All expect items of all cases, each with its case id."""
    return [dict(item, case=case["case"]) for case in truth["cases"] for item in case["expect"]]
