# __main__: `python -m tools.sim.fleet demo|run`: the README demo and custom simulated deployments.
# SPDX-License-Identifier: MIT
"""Commands:

``demo``  the README demo: one simulated week of the whole 2017 deployment (23 rusun, 32
          terminals, 13,731 residents) with every fault, in about 90 s on a 2-core machine;
          then the office's case work on it (tools/sim/fleet/story.py: the register,
          registration progress, the flags, a day's visit list, outcomes, a case to SP1)
``run``   the same with your own scale: ``--residents --days --seed --cuts --small-blocks
          --sync-interval --json FILE``

Both print the summary (tools/sim/fleet/summary.py); ``--json FILE`` writes all figures;
``--serve`` keeps the collector (and the dashboard it serves) running afterwards until Ctrl-C.
"""

import argparse
import json
import os
import sys

import cliframe
from tools.sim.fleet.run import Scale, simulate
from tools.sim.fleet.summary import exact, summary

# The demo ends at 20.00 on its last day (Jakarta time): "today" on the dashboard has its taps.
DEMO = Scale(
    seed=1, days=7, residents=13731, power_cuts=12, small_blocks=4, progress=True, end_hour=20
)


def _small_blocks(text: str) -> int:
    n = int(text)
    if n != 0 and n < 4:  # firmware.log needs 2 key blocks and a ring of 2 sectors at least
        raise argparse.ArgumentTypeError(
            "0 atau minimal 4 (2 blok untuk kunci) / 0 or at least 4 (2 blocks hold the keys)"
        )
    return n


def _args(argv):
    ap = cliframe.ArgumentParser(prog="python -m tools.sim.fleet", description=__doc__)
    ap.add_argument("command", choices=("demo", "run"))
    ap.add_argument("--seed", type=int)
    ap.add_argument("--days", type=int)
    ap.add_argument("--residents", type=int)
    ap.add_argument("--cuts", type=int, help="power cuts")
    ap.add_argument(
        "--small-blocks",
        type=_small_blocks,
        help="flash blocks of the terminal that fills: 2 hold its keys, the rest its log (4 or "
        "more; 0: none)",
    )
    ap.add_argument("--sync-interval", type=int, help="seconds between sync rounds")
    ap.add_argument("--json", metavar="FILE", help="write all figures here")
    ap.add_argument(
        "--end-hour",
        type=int,
        choices=range(1, 25),
        metavar="1-24",
        help="local hour of the last day the run ends at (demo: 20)",
    )
    ap.add_argument(
        "--keep",
        metavar="DIR",
        help="keep the database, its master key and the terminal files here",
    )
    ap.add_argument("--serve", action="store_true", help="keep the collector running at the end")
    return ap.parse_args(argv)


def _show(fig: dict) -> None:
    print(summary(fig) + fig.get("story_text", ""), flush=True)


def _keep_folder(path: str) -> None:
    """``--keep DIR``: made if its parent exists; refused in one line before the simulation
    starts (not minutes into it) when it cannot be made or written."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise cliframe.file_error(exc) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise cliframe.Failure("folder tidak dapat ditulisi", "folder not writable", path)


def main(argv=None) -> int:
    a = _args(argv)
    if a.keep:
        _keep_folder(a.keep)
    s = Scale(**vars(DEMO)) if a.command == "demo" else Scale(progress=True)
    for name, field in (("seed", "seed"), ("days", "days"), ("residents", "residents"),
                        ("cuts", "power_cuts"), ("small_blocks", "small_blocks"),
                        ("sync_interval", "sync_interval_s"), ("end_hour", "end_hour"),
                        ("keep", "keep")):  # fmt: skip
        v = getattr(a, name)
        if v is not None:
            setattr(s, field, v)
    print("hadir fleet simulation: %d residents, %d days, seed %d; starting the collector"
          % (s.residents, s.days, s.seed), flush=True)  # fmt: skip
    fig = simulate(s, serve=a.serve, before_stop=_show, story=a.command == "demo")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump(fig, f, indent=1, default=str)
    return 0 if exact(fig["reconcile"]) else 1


if __name__ == "__main__":
    sys.exit(cliframe.run(main, "python -m tools.sim.fleet"))
