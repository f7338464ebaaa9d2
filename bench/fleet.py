# fleet: soak run of the simulated deployment: 32 terminals x 7 days with faults, real collector.
# SPDX-License-Identifier: MIT
"""Taps, stored, lost, duplicates, wall time and collector CPU of one simulated week.

    .venv/bin/python bench/fleet.py --json fleet.json [--residents 13731] [--days 7] [--seed 1]

Runs ``tools.sim.fleet.run.simulate`` (docs/fleet.md, "The simulated deployment") at the full
deployment's size by default: 23 rusun, 32 terminals, 13,731 residents, every fault kind (network
outages of hours to days, 12 power cuts, 8 of them inside a flash operation, lost clocks, a reader
lock-up, a terminal whose 4-sector log fills). Prints a table and writes all figures as JSON.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tools.sim.fleet.run import Scale, simulate  # noqa: E402
from tools.sim.fleet.summary import exact  # noqa: E402


def _f(x: float | None) -> str:
    return "-" if x is None else "%.3f" % x


def table(fig: dict) -> str:
    r, w, ws = fig["reconcile"], fig["world"], fig["wall_s"]
    out = r["outcomes"]
    o = fig["review"]["queue"]
    rows = [
        ("terminals x days", "%d x %d" % (w["terminals"], w["days"])),
        ("residents (registered at end)", "%d (%d)" % (w["residents"], w["registered_end"])),
        ("taps generated", r["generated"]),
        ("answered and stored by the terminals", r["answered_stored"]),
        ("refused by the full log (resident told)", out.get("refused", 0)),
        ("repeats within debounce_s (answered, stored once)", out.get("repeat", 0)),
        ("not answered", out.get("none", 0) + out.get("dark", 0)),
        ("tap records stored by the collector", r["stored_tap_records"]),
        ("lost", r["lost"]),
        ("duplicates (by content / by terminal+seq)", "%d / %d" % (r["duplicates"],
                                                                 r["duplicate_seq"])),
        ("sequence gaps", r["seq_gaps"]),
        ("records dated backward / undated", "%d / %d" % (r["time_derived"], r["undated"])),
        ("all records stored (incl. boot, clock, heartbeat)", r["stored_records"]),
        ("sync rounds (offline)", "%d (%d)" % (fig["syncs"], fig["sync_offline"])),
        ("power cuts / torn inside a flash write", "%d / %d" % (
            sum(t["power_cuts"] for t in fig["terminals"].values()),
            sum(t["torn"] for t in fig["terminals"].values()))),
        ("review queue (flats) precision / recall", "%s / %s" % (_f(o["precision"]),
                                                                 _f(o["recall"]))),
        ("wall time: simulation / total (s)", "%.1f / %.1f" % (ws["run"], ws["total"])),
        ("collector CPU (s)", "%.1f" % fig["collector_cpu_s"]),
    ]  # fmt: skip
    return "\n".join("%-52s %s" % (k, v) for k, v in rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="bench/fleet.py", description=__doc__.splitlines()[0])
    ap.add_argument("--json", required=True)
    ap.add_argument("--residents", type=int, default=13731)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    fig = simulate(Scale(seed=a.seed, days=a.days, residents=a.residents, power_cuts=12,
                         small_blocks=4, progress=True))  # fmt: skip
    print(table(fig))
    keep = {k: v for k, v in fig.items() if k not in ("queue", "presence", "health")}
    keep["bench"] = "fleet"
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(keep, f, indent=1, default=str)
    return 0 if exact(fig["reconcile"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
