# fleet_world: build a 7-day fleet world, run the reference detector on its ideal record stream.
# SPDX-License-Identifier: MIT
"""Detection quality of the first queue's call against the planted cases, on a week.

    .venv/bin/python -m bench.fleet_world --json fleet_world.json [--seeds 1 2 3] [--days 7]
        [--first] [--export DIR]

For each seed: generates the world (docs/fleet.md; ``--first``: the first world, without
confounders or handed-over cards), stores every generated tap once (the ideal record stream,
no faults), runs ``tools.sim.fleet.registry_queue.review_queue`` and scores it with
``tools.sim.fleet.scoring.score`` (a registered card's claim counted as its flat's). Prints one
table per seed and writes all figures as JSON. The detector's figures on the honest world, per
reason and for handed-over cards, are ``bench/detection.py``'s.
``--export DIR`` also writes the first seed's residents.csv (registered at day 0, collector import
format), terminals.json, truth.json and queue.json.
"""

import argparse
import json
import os

from sync.review import Params
from tools.sim.fleet.cases import FIRST_COUNTS
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.population import terminals_dicts, write_residents_csv
from tools.sim.fleet.registry_queue import review_queue
from tools.sim.fleet.scoring import score, to_units
from tools.sim.fleet.world import build, records


def run_seed(seed: int, days: int, first: bool = False) -> tuple[dict, list[dict], object]:
    if first:
        w = build(seed, days, counts=FIRST_COUNTS, conf=Confounders.none())
    else:
        w = build(seed, days)
    registry = w.pop.registry()
    queue = review_queue(records(w.taps), registry, w.start, w.days, Params.for_period(days))
    queue = to_units(queue, {r["card_uid"]: r["unit"] for r in registry})
    figures = {
        "seed": seed,
        "days": days,
        "world": "first" if first else "honest",
        "rusun": len(w.pop.rusun),
        "terminals": len(w.pop.terminals),
        "residents": len(w.pop.residents),
        "units": len(w.pop.units),
        "registered_day0": len(w.pop.registry(0)),
        "registered_end": len(registry),
        "cards_tapped": len({t.card for t in w.taps}),
        "taps": len(w.taps),
        "planted_cases": len(w.truth["cases"]),
        "queue_items": len(queue),
        "score": score(queue, w.truth),
    }
    return figures, queue, w


def _pct(x: float | None) -> str:
    return "-" if x is None else "%.3f" % x


def table(f: dict) -> str:
    s = f["score"]
    lines = [
        "seed %d, %d days: %d rusun, %d terminals, %d residents in %d units"
        % (f["seed"], f["days"], f["rusun"], f["terminals"], f["residents"], f["units"]),
        "registered %d at day 0, %d at the end; %d cards tapped, %d taps; %d planted cases"
        % (
            f["registered_day0"],
            f["registered_end"],
            f["cards_tapped"],
            f["taps"],
            f["planted_cases"],
        ),
        "%-20s %8s %8s %6s %9s %7s"
        % ("reason", "expected", "claimed", "tp", "precision", "recall"),
    ]
    rows = list(s["by_reason"].items()) + [("overall", s["overall"])]
    for reason, r in rows:
        lines.append(
            "%-20s %8d %8d %6d %9s %7s"
            % (
                reason,
                r["expected"],
                r["claimed"],
                r["true_positives"],
                _pct(r["precision"]),
                _pct(r["recall"]),
            )
        )
    o = s["overall"]
    lines.append("cases found %d of %d" % (o["cases_found"], o["cases"]))
    return "\n".join(lines)


def export(w, queue: list[dict], out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    write_residents_csv(w.pop, os.path.join(out_dir, "residents.csv"), day=0)
    for name, data in (
        ("terminals.json", terminals_dicts(w.pop)),
        ("truth.json", w.truth),
        ("queue.json", queue),
    ):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fleet_world", description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True, help="write all figures to this file")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--first", action="store_true", help="the first world (no confounders)")
    ap.add_argument("--export", metavar="DIR", help="write the first seed's world files here")
    args = ap.parse_args(argv)
    results = []
    for i, seed in enumerate(args.seeds):
        figures, queue, w = run_seed(seed, args.days, args.first)
        print(table(figures), end="\n\n")
        results.append(figures)
        if i == 0 and args.export:
            export(w, queue, args.export)
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump({"bench": "fleet_world", "runs": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
