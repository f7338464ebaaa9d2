# bench/fleet_world prints the table and writes the JSON figures and the exported world files.
# SPDX-License-Identifier: MIT
import csv
import json

from bench import fleet_world


def test_main_writes_figures_and_exports(world1, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fleet_world, "build", lambda seed, days: world1)
    out = tmp_path / "fw.json"
    assert fleet_world.main(["--json", str(out), "--seeds", "1", "--export", str(tmp_path)]) == 0
    run = json.loads(out.read_text())["runs"][0]
    assert (run["rusun"], run["terminals"], run["residents"]) == (23, 32, 13731)
    assert run["registered_day0"] == 9459 and run["taps"] == len(world1.taps)
    assert run["planted_cases"] == len(world1.truth["cases"])
    printed = capsys.readouterr().out
    assert "13731 residents" in printed and "overall" in printed
    for reason in run["score"]["by_reason"]:
        assert reason in printed
    with open(tmp_path / "residents.csv", newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.DictReader(f)) == 9459
    assert json.loads((tmp_path / "truth.json").read_text()) == world1.truth
    assert len(json.loads((tmp_path / "terminals.json").read_text())) == 32
    assert isinstance(json.loads((tmp_path / "queue.json").read_text()), list)
