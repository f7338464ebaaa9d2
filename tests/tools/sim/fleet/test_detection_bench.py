# bench/detection run as a program on a small world: the JSON the acceptance names, the table.
# SPDX-License-Identifier: MIT
"""A smoke run (1,500 residents, 84 days, one development seed): the full-size run on the
evaluation seeds is bench/detection.py's own (minutes), never the test suite's."""

import json
import subprocess
import sys

from tests.kit.paths import ROOT

KEYS = {"seed", "queue_precision", "queue_recall", "handover_recall_30d",
        "handover_precision", "by_reason"}  # fmt: skip


def test_bench_writes_per_seed_figures(tmp_path):
    out = tmp_path / "det.json"
    args = ["--json", str(out), "--seeds", "2", "--residents", "1500", "--days", "84"]
    r = subprocess.run([sys.executable, "-m", "bench.detection", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=900)  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["bench"] == "detection" and data["confounders"]["kin_share"] > 0
    [seed] = data["seeds"]
    assert KEYS <= set(seed) and seed["seed"] == 2 and seed["days"] == 84
    for name in ("queue_precision", "queue_recall", "handover_recall_30d"):
        assert seed[name] is None or 0 <= seed[name] <= 1, name
    assert seed["handover"]["handovers"] >= 2
    # Every planted reason is scored, and the table prints each.
    assert {"not_seen", "pattern_change", "unknown_card", "clone"} <= set(seed["by_reason"])
    for reason, f in seed["by_reason"].items():
        assert reason in r.stdout
        assert f["true_positives"] <= f["claimed"] and f["found"] <= f["expected"]
    assert "handed-over cards" in r.stdout and "queue (flats" in r.stdout
