# faults: the seeded fault plan of a deployment: outages, power cuts, clocks, reader, storage.
# SPDX-License-Identifier: MIT
"""``plan(world, seed)`` -> ``FaultPlan``: what goes wrong, where and when.

- Network outages per rusun (all its doors): 2 hours to 3 days; at least one site is offline
  for several days, long enough to build a large backlog.
- Power cuts at random moments: the terminal loses RAM and is rebuilt from its flash (a
  reboot); power comes back before the next tap at that door (nobody can tap a dark terminal,
  so no tap is "generated" while it is off). Some cuts strike inside a flash operation
  (``during`` = "sync" or "tap"): the flash tears that program or erase, as a real cut does.
- Clock lost at boot: after some reboots the terminal has no wall time until a collector
  reply sets it; its records are dated backward from the first clock anchor.
- A reader lock-up: the PN532 stops answering from the next command until a reset pulse.
- A terminal with a small log partition and a long outage: its storage fills.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.sim.fleet.world import World

HOUR = 3600
DAY = 86400


@dataclass
class PowerCut:
    terminal: int
    at: int  # Unix s
    off_s: int
    clock_lost: bool
    during: str = ""  # "" between operations, "sync": inside a sync round, "tap": inside a tap


@dataclass
class FaultPlan:
    outages: list[tuple[str, int, int]] = field(default_factory=list)  # (rusun, start, end) Unix s
    power_cuts: list[PowerCut] = field(default_factory=list)
    lockups: list[tuple[int, int]] = field(default_factory=list)  # (terminal, Unix s)
    small_storage: dict[int, int] = field(default_factory=dict)  # terminal -> log blocks

    def describe(self) -> list[str]:
        lines = []
        for rusun, a, b in self.outages:
            lines.append("network down at %s for %.1f h" % (rusun, (b - a) / HOUR))
        lost = sum(c.clock_lost for c in self.power_cuts)
        torn = sum(bool(c.during) for c in self.power_cuts)
        lines.append(
            "%d power cuts (%d inside a flash operation), %d of them lose the clock"
            % (len(self.power_cuts), torn, lost)
        )
        for term, _ in self.lockups:
            lines.append("reader lock-up at terminal %d" % term)
        for term, blocks in self.small_storage.items():
            lines.append("terminal %d has a small log (%d blocks)" % (term, blocks))
        return lines


def plan(
    world: World,
    seed: int,
    outage_share: float = 0.35,
    power_cuts: int = 12,
    small_blocks: int = 0,
    small_terminal: int | None = None,
) -> FaultPlan:
    """A reproducible fault plan for ``world``. ``small_blocks`` > 0 gives one terminal a log of
    that many blocks and takes its site offline from day 1 to the last day."""
    rng = random.Random(seed * 31337 + 9)
    start, end = world.start, world.start + world.days * DAY
    fp = FaultPlan()
    names = [r.name for r in world.pop.rusun]
    # One long outage (2-3 days) somewhere, then shorter ones at a share of the sites.
    long_site = rng.choice(names)
    a = start + rng.randint(1, max(1, world.days - 3)) * DAY + rng.randint(0, DAY)
    fp.outages.append((long_site, a, min(end - HOUR, a + rng.randint(2 * DAY, 3 * DAY))))
    for name in names:
        if name != long_site and rng.random() < outage_share:
            a = rng.randint(start, end - 3 * HOUR)
            fp.outages.append((name, a, min(end - HOUR, a + rng.randint(2 * HOUR, DAY))))
    by_terminal: dict[int, list[int]] = {}
    for tap in world.taps:
        by_terminal.setdefault(tap.terminal, []).append(tap.t)
    terms = [t.terminal_id for t in world.pop.terminals]
    for k in range(power_cuts):
        term = rng.choice(terms)
        times = by_terminal.get(term, [])
        at = rng.randint(start + HOUR, end - 2 * HOUR)
        nxt = min((t for t in times if t > at), default=end)
        off = max(1, min(rng.randint(60, 2 * HOUR), nxt - at - 1))
        during = ("", "sync", "tap")[k % 3]
        fp.power_cuts.append(PowerCut(term, at, off, clock_lost=k % 2 == 1, during=during))
    fp.power_cuts.sort(key=lambda c: c.at)
    fp.lockups.append((rng.choice(terms), rng.randint(start + DAY, end - DAY)))
    if small_blocks:
        term = small_terminal or rng.choice(terms)
        fp.small_storage[term] = small_blocks
        site = next(t.rusun for t in world.pop.terminals if t.terminal_id == term)
        fp.outages = [o for o in fp.outages if o[0] != site]
        fp.outages.append((site, start + DAY, end - 2 * HOUR))
    fp.outages.sort(key=lambda o: o[1])
    return fp
