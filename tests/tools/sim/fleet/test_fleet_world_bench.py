# bench/fleet_world run as a program: prints the table, writes the figures and the world files.
# SPDX-License-Identifier: MIT
import csv
import json
import subprocess
import sys

from tests.kit.paths import ROOT


def test_bench_writes_figures_and_exports(world1, tmp_path):
    out = tmp_path / "fw.json"
    args = ["--json", str(out), "--seeds", "1", "--days", "7", "--export", str(tmp_path)]
    r = subprocess.run([sys.executable, "-m", "bench.fleet_world", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    run = json.loads(out.read_text())["runs"][0]
    assert (run["rusun"], run["terminals"], run["residents"]) == (23, 32, 13731)
    # The same seed builds the same world: the fixture's is the program's.
    assert run["registered_day0"] == 9459 and run["taps"] == len(world1.taps)
    assert run["planted_cases"] == len(world1.truth["cases"])
    printed = r.stdout
    assert "13731 residents" in printed and "overall" in printed
    for reason in run["score"]["by_reason"]:
        assert reason in printed
    with open(tmp_path / "residents.csv", newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 9459
    assert json.loads((tmp_path / "truth.json").read_text()) == world1.truth
    assert len(json.loads((tmp_path / "terminals.json").read_text())) == 32
    assert isinstance(json.loads((tmp_path / "queue.json").read_text()), list)
