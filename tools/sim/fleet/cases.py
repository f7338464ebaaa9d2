# cases: planted misuse in the fleet world (sublets, handed-over and copied cards), ground truth.
# SPDX-License-Identifier: MIT
"""Plant known cases into the ordinary taps and say what a reviewer should find.

    taps, truth = plant(pop, ordinary, seed)

Each case uses a unit (flat) that no other case touches. The ground truth is a list of cases,
each with ``since_day`` (the first day of the misuse; 0 when it began before the period) and
``expect``: the (subject, reason) claims a perfect review would make. A subject is exactly one
of ``unit`` (the flat; a card's misuse is the flat of its holder) or ``card`` (UID hex, for a
card nobody registered, which names no flat). The reasons name what happened in the story, not
a detector's threshold: a handed-over card always changes the flat's pattern, even when the
subletter's routine happens to look like the tenant's.

Kinds (details and figures in docs/fleet.md):

- sublet: nobody of a fully registered household taps; in 60 % a stranger household (1-4
  people) taps its own unregistered cards instead. Expect unit `not_seen`, each stranger card
  `unknown_card`.
- lending: a subletting household uses the tenant's one card from before the period: each
  passage is a burst of one tap per member within 10-60 s; the others' cards never tap.
  Expect unit `one_card_household`.
- same_minute: a member has moved out; someone taps her card once a day at the same minute.
  Expect unit `same_minute`.
- two_rusun: the tenant household lives at another rusun and taps the lease holder's card
  there on its routine; nobody of it taps at home, where a stranger household may live.
  Expect unit `other_rusun` and `not_seen`.
- clone: a copy of a registered card is tapped at its rusun on 3-6 days, either a Gen1a magic
  card (flag magic suspect) or another chip (flag fingerprint mismatch). Expect unit `clone`.
- unknown: a card nobody registered is tapped at one rusun on 3-7 days, twice a day. Expect card
  `unknown_card`.
- handover (the hard adversary): on a day within the period the tenant household leaves and
  hands a card to a subletter who taps it on an ordinary routine of their own. Variants
  (``HANDOVER_VARIANTS``): one card (the others stop), all the household's cards (one per
  subletter), one card tapped for the whole subletting household (bursts), or an exact copy
  (UID, ATQA, SAK and ATS match: no clone flag) while the tenant keeps the original and comes
  by now and then. Expect unit `pattern_change`; `members_stopped` when registered cards of
  the household stop while the handed one goes on; `one_card_household` for bursts.
"""

from __future__ import annotations

import math
import random

from firmware import wire
from tools.sim.fleet.behaviour import (
    DAY,
    EVENING,
    MORNING,
    TAP_ORDER,
    Life,
    Ordinary,
    Person,
    Tap,
    new_routine,
    person_taps,
    start_unix,
)
from tools.sim.fleet.population import KINDS, Population, new_card

# Cases per kind for the 13,731-resident world (about 1 % of units are planted sublets; 30
# handed-over cards, as many as the experiment that found none of them).
COUNTS = {
    "sublet": 30,
    "lending": 12,
    "same_minute": 12,
    "two_rusun": 10,
    "clone": 8,
    "unknown": 12,
    "handover": 30,
}
# The first world's cases (no handover), for the first detector's tests.
FIRST_COUNTS = {k: n for k, n in COUNTS.items() if k != "handover"}
_FULL = 13731  # COUNTS are for the whole deployment


def scaled_counts(residents: int, first_world: bool = False) -> dict[str, int]:
    """``COUNTS`` (or ``FIRST_COUNTS``) for a smaller world, at least two cases of each kind."""
    f = residents / _FULL
    return {k: max(2, round(n * f)) for k, n in (FIRST_COUNTS if first_world else COUNTS).items()}


REASONS = (
    "not_seen",
    "one_card_household",
    "members_stopped",
    "pattern_change",
    "same_minute",
    "other_rusun",
    "clone",
    "unknown_card",
)
# Handover variants and their shares.
HANDOVER_VARIANTS = (("card", 0.45), ("all_cards", 0.2), ("burst", 0.2), ("copy", 0.15))
# A handover day leaves 40 % of the period before it and, when the period is long enough,
# 30 days after it (the bench measures what is found within 30 days).
HANDOVER_BEFORE_SHARE = 0.4
HANDOVER_AFTER_DAYS = 31


def _peak_second(rng: random.Random) -> int:
    lo, hi = MORNING if rng.random() < 0.5 else EVENING
    return rng.randint(lo, hi - 1)


class _Planter:
    def __init__(self, pop: Population, ordinary: Ordinary, seed: int, start: int):
        self.pop = pop
        self.rng = random.Random(seed * 104729 + 2)
        self.start = start
        self.by_actor: dict[str, list[Tap]] = {}
        for tap in ordinary.taps:
            self.by_actor.setdefault(tap.actor, []).append(tap)
        self.used_units: set[str] = set()
        self.uids = {r.card.uid for r in pop.residents.values()}
        self.uids |= {bytes.fromhex(v.card) for v in ordinary.visitors}
        self.cases: list[dict] = []
        self._candidates: dict[tuple[int, bool], list[str]] = {}

    def _units(self, min_size: int, all_registered: bool = True) -> list[str]:
        """Free units with at least ``min_size`` members, all (or at least one) registered at
        day 0."""
        key = (min_size, all_registered)
        if key not in self._candidates:
            out = []
            for uid, unit in sorted(self.pop.units.items()):
                members = [self.pop.residents[m] for m in unit.members]
                if len(members) < min_size:
                    continue
                registered = [m.registered_day == 0 for m in members]
                if all(registered) if all_registered else any(registered):
                    out.append(uid)
            self._candidates[key] = out
        return [u for u in self._candidates[key] if u not in self.used_units]

    def _take_unit(self, min_size: int, all_registered: bool = True) -> str:
        unit = self.rng.choice(self._units(min_size, all_registered))
        self.used_units.add(unit)
        return unit

    def _n_days(self, lo: int, hi: int) -> int:
        """A number of days in lo..hi, at most the period (short test worlds); the draw is the
        same as randint(lo, hi) whenever the period holds hi days."""
        days = self.pop.days
        return min(days, self.rng.randint(min(lo, days), min(hi, days)))

    def _add(self, kind: str, since: int, expect: list[dict], note: str, **extra) -> None:
        case = {"case": "C%03d" % (len(self.cases) + 1), "kind": kind, "since_day": since,
                "expect": expect, "note": note}  # fmt: skip
        case.update(extra)
        self.cases.append(case)

    def _drop_household(self, unit_id: str, from_day: int = 0) -> None:
        """The household's own taps stop on ``from_day`` (its members leave)."""
        cut = self.start + from_day * DAY
        for rid in self.pop.units[unit_id].members:
            kept = [t for t in self.by_actor.get(rid, []) if t.t < cut]
            self.by_actor[rid] = kept

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

    def _strangers(self, unit_id: str, expect: list[dict]) -> None:
        """In 60 % of emptied flats a stranger household taps its own unregistered cards."""
        if self.rng.random() < 0.6:
            days = list(range(self.pop.days))
            for k in range(self.rng.randint(1, 4)):
                label = "stranger:%s:%d" % (unit_id, k)
                card = self._stranger_card_taps(self.pop.units[unit_id].rusun, days, 2, label)
                expect.append({"card": card, "reason": "unknown_card"})

    def sublet(self) -> None:
        unit_id = self._take_unit(1)
        self._drop_household(unit_id)
        expect = [{"unit": unit_id, "reason": "not_seen"}]
        self._strangers(unit_id, expect)
        n = len(self.pop.units[unit_id].members)
        self._add("sublet", 0, expect, "household of %d never taps" % n)

    def lending(self) -> None:
        unit_id = self._take_unit(2)
        unit = self.pop.units[unit_id]
        lender = unit.members[0]
        others = unit.members[1:]
        for rid in others:
            self.by_actor.pop(rid, None)
        self.by_actor[lender] = self._bursts(self.by_actor.get(lender, []), len(others), lender)
        expect = [{"unit": unit_id, "reason": "one_card_household"}]
        self._add("lending", 0, expect, "one card tapped for %d people" % len(unit.members))

    def _bursts(self, taps: list[Tap], extra: int, label: str) -> list[Tap]:
        """Each tap followed by ``extra`` taps of the same card 10-60 s apart."""
        out = []
        for tap in taps:
            out.append(tap)
            t = tap.t
            for k in range(extra):
                t += self.rng.randint(10, 60)
                out.append(Tap(t, tap.rusun, tap.terminal, tap.card, tap.flags, f"{label}+{k}"))
        return out

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
        expect = [{"unit": unit_id, "reason": "same_minute"}]
        self._add("same_minute", 0, expect, "tapped daily at %02d:%02d" % divmod(minute, 60),
                  cards=[res.card.uid_hex])  # fmt: skip

    def two_rusun(self) -> None:
        unit_id = self._take_unit(1)
        unit = self.pop.units[unit_id]
        res = self.pop.residents[unit.members[0]]
        other = self.rng.choice([r.name for r in self.pop.rusun if r.name != res.rusun])
        self._drop_household(unit_id)
        life = Life(res.kind, [(0, new_routine(self.rng, res.kind))])
        doors = self.pop.terminals_of(other)
        person = Person("away:" + res.resident_id, res.card.uid_hex, other,
                        self.rng.randrange(len(doors)), None)  # fmt: skip
        self.by_actor[person.actor] = person_taps(self.rng, self.pop, person, life, self.start,
                                                  set())  # fmt: skip
        expect = [
            {"unit": unit_id, "reason": "other_rusun"},
            {"unit": unit_id, "reason": "not_seen"},
        ]
        self._strangers(unit_id, expect)
        self._add("two_rusun", 0, expect, "the household lives at %s" % other,
                  cards=[res.card.uid_hex])  # fmt: skip

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
        expect = [{"unit": unit_id, "reason": "clone"}]
        self._add("clone", days[0], expect,
                  "Gen1a magic copy" if magic else "copy on another chip",
                  cards=[res.card.uid_hex])  # fmt: skip

    def unknown(self) -> None:
        rusun = self.rng.choice(self.pop.rusun).name
        n = self._n_days(3, 7)
        days = sorted(self.rng.sample(range(self.pop.days), n))
        card = self._stranger_card_taps(rusun, days, 2, "unknown:%d" % len(self.cases))
        self._add("unknown", days[0], [{"card": card, "reason": "unknown_card"}],
                  "at %s" % rusun)  # fmt: skip

    def handover(self) -> None:
        rng, pop = self.rng, self.pop
        unit_id = self._take_unit(1, all_registered=False)
        unit = pop.units[unit_id]
        days = pop.days
        lo = math.ceil(HANDOVER_BEFORE_SHARE * days)
        day = rng.randint(lo, max(lo, days - HANDOVER_AFTER_DAYS))
        day = min(day, days - 1)
        cards = [pop.residents[m] for m in unit.members if pop.residents[m].registered_day == 0]
        holder = cards[0]  # the lease holder when registered, else the first registered member
        variant = rng.choices([v for v, _ in HANDOVER_VARIANTS],
                              [w for _, w in HANDOVER_VARIANTS])[0]  # fmt: skip
        subletters = rng.randint(2, 4) if variant == "burst" else rng.randint(1, 4)
        self._drop_household(unit_id, day)
        handed = [holder] if variant != "all_cards" else cards[:subletters]
        for k, res in enumerate(handed):
            kind = "worker" if k == 0 else str(rng.choices(*zip(*KINDS))[0])
            life = Life(kind, [(0, new_routine(rng, kind))], first_day=day)
            person = Person("sub:%s:%d" % (unit_id, k), res.card.uid_hex, unit.rusun,
                            rng.randrange(len(pop.terminals_of(unit.rusun))), 0)  # fmt: skip
            taps = person_taps(rng, pop, person, life, self.start, set())
            if variant == "burst":
                taps = self._bursts(taps, subletters - 1, person.actor)
            self.by_actor[person.actor] = taps
        if variant == "copy":
            self._tenant_visits(holder.card.uid_hex, unit.rusun, day, "tenant:" + unit_id)
        expect = [{"unit": unit_id, "reason": "pattern_change"}]
        if len(cards) > len(handed):
            expect.append({"unit": unit_id, "reason": "members_stopped"})
        if variant == "burst":
            expect.append({"unit": unit_id, "reason": "one_card_household"})
        note = "%s handed to %d subletter(s) on day %d" % (variant, subletters, day)
        self._add("handover", day, expect, note, variant=variant,
                  cards=[r.card.uid_hex for r in handed])  # fmt: skip

    def _tenant_visits(self, card: str, rusun: str, day: int, label: str) -> None:
        """The tenant keeps the original card and comes by on 0-2 days a week."""
        doors = self.pop.terminals_of(rusun)
        taps = []
        for week in range(day, self.pop.days, 7):
            pool = list(range(week, min(week + 7, self.pop.days)))
            for d in self.rng.sample(pool, min(len(pool), self.rng.randint(0, 2))):
                t = self.start + d * DAY + int(self.rng.uniform(10, 15) * 3600)
                for dt_ in (0, int(self.rng.uniform(0.5, 3) * 3600)):
                    term = self.rng.choice(doors)
                    taps.append(Tap(t + dt_, rusun, term.terminal_id, card, 1, label))
        self.by_actor[label] = taps


def plant(
    pop: Population,
    ordinary: Ordinary,
    seed: int,
    counts: dict[str, int] | None = None,
    start: int | None = None,
) -> tuple[list[Tap], dict]:
    """Return the planted tap stream (sorted) and the ground truth {seed, days, cases}."""
    planter = _Planter(pop, ordinary, seed, start_unix() if start is None else start)
    for kind, n in (COUNTS if counts is None else counts).items():
        for _ in range(n):
            getattr(planter, kind)()
    out = [tap for group in planter.by_actor.values() for tap in group]
    out.sort(key=TAP_ORDER)
    return out, {"seed": seed, "days": pop.days, "cases": planter.cases}


def expected_items(truth: dict) -> list[dict]:
    """All expect items of all cases, each with its case id."""
    return [dict(item, case=case["case"]) for case in truth["cases"] for item in case["expect"]]
