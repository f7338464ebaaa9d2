# bench/board: the board suite's figures, at a benchmark's size, on the emulated ESP32.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/board.py [--json FILE] [--taps 10000] [--live 20]
[--lanes 4] [--cuts 10]``.

Runs the board suite (``tests/board``, docs/hardware.md) in a pytest process of its own with a
benchmark's numbers: ``--taps`` taps in the terminal's log (all but ``--live`` appended on the
host by the firmware's own log code into the flash image, ``--live`` tapped through the PN532
simulator on the running terminal), 1,000 residents in the allow-list, ``--lanes`` boards with
``--cuts`` power cuts each. Figures come from the emulated ESP32 (official MicroPython,
``shared/esp32-qemu``): times are emulator times, never device times; heap figures are the
firmware's own ``gc`` at the high-water mark. JSON keys: ``taps``, ``power_cuts``,
``lost_acknowledged``, ``duplicates``, ``heap_peak_bytes``, ``heap_free_min_bytes``,
``firmware`` and the details.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
KEYS = ("taps", "power_cuts", "lost_acknowledged", "duplicates", "heap_peak_bytes",
        "heap_free_min_bytes", "firmware")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--taps", type=int, default=10_000)
    parser.add_argument("--live", type=int, default=20)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--cuts", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        figures = pathlib.Path(tmp) / "figures.json"
        env = dict(os.environ, HADIR_BOARD="1", HADIR_BOARD_FIGURES=str(figures),
                   HADIR_BOARD_PREFILL=str(args.taps - args.live),
                   HADIR_BOARD_TAPS=str(args.live), HADIR_BOARD_LANES=str(args.lanes),
                   HADIR_BOARD_CUTS=str(args.cuts))  # fmt: skip
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "tests/board"],
                           cwd=ROOT, env=env)  # fmt: skip
        wall = time.monotonic() - t0
        if r.returncode or not figures.exists():
            print("board suite failed: no figures", file=sys.stderr)
            return 1
        got = json.loads(figures.read_text())
    got["wall_s"] = round(wall)
    print(f"{'figure':<28} value")
    for key in KEYS + ("boot_s", "app_start_s", "live_taps", "acknowledged", "wall_s"):
        print(f"{key:<28} {got.get(key)}")
    heap = got.get("heap", {})
    for key in ("base_alloc", "idle_alloc", "backlog", "pull_batches", "modules"):
        print(f"heap.{key:<23} {heap.get(key)}")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(got, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
