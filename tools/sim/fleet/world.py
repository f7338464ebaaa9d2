# world: one seeded fleet world (population, planted tap stream, ground truth) and its records.
# SPDX-License-Identifier: MIT
"""Build the whole world in one call, and the ideal record stream a perfect fleet would store.

w = build(seed=1, days=7)
queue = review_queue(records(w.taps), w.pop.registry(), w.start, w.days)
"""

from dataclasses import dataclass

from tools.sim.fleet.behaviour import Tap, schedule, start_unix
from tools.sim.fleet.cases import plant
from tools.sim.fleet.population import Population, generate


@dataclass
class World:
    seed: int
    days: int
    start: int  # Unix time of day 0's local midnight
    pop: Population
    taps: list[Tap]
    truth: dict


def build(
    seed: int, days: int = 7, counts: dict[str, int] | None = None, residents: int | None = None
) -> World:
    """``residents`` scales the population down (default: the full 13,731)."""
    start = start_unix()
    pop = generate(seed, days) if residents is None else generate(seed, days, residents)
    taps, truth = plant(pop, schedule(pop, seed, start), seed, counts, start)
    return World(seed, days, start, pop, taps, truth)


def records(taps: list[Tap]) -> list[dict]:
    """Every tap stored exactly once, as the collector would hand records to the detector."""
    return [
        {"time": t.t, "rusun": t.rusun, "terminal": t.terminal, "card": t.card, "flags": t.flags}
        for t in taps
    ]
