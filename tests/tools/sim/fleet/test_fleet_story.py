# test_fleet_story: the demo's case work on the collector a small simulated world filled:
# register, registration progress, flags, a day's visit list, outcomes, a case to SP1.
# SPDX-License-Identifier: MIT
import json

import pytest

from tools.sim.fleet.population import generate
from tools.sim.fleet.run import Scale, simulate
from tools.sim.fleet.story import register_csv


@pytest.fixture(scope="module")
def fig():
    return simulate(
        Scale(seed=3, days=2, residents=240, power_cuts=0, small_blocks=0, sync_interval_s=3600,
              first_world=True),
        story=True,
    )  # fmt: skip


def test_registration_progress_counts_the_whole_register(fig):
    s, w = fig["story"], fig["world"]
    assert s["register"]["previewed"] == s["register"]["changes"] > 0  # the preview was honest
    # Every resident of the world is in the register; those with a card are the registered.
    assert s["progress"]["residents"] == w["residents"]
    assert s["progress"]["with_card"] == w["registered_end"] < w["residents"]
    line = "Registration progress, city-wide: %d of %d" % (w["registered_end"], w["residents"])
    assert line in fig["story_text"]


def test_flags_a_visit_list_by_risk_with_a_sample_and_outcomes(fig):
    s = fig["story"]
    assert s["flagged_flats"] >= 1
    sources = [source for _unit, source in s["visit_list"]]
    assert "flag" in sources and "sample" in sources
    assert sources == sorted(sources, key=lambda x: x != "flag")  # flags first, then the sample
    assert sum(s["outcomes"].values()) == len(s["visit_list"])


def test_a_confirmed_case_goes_through_teguran_to_sp1(fig):
    case = fig["story"]["case"]
    assert case["steps"] == ["flagged", "visit_scheduled", "visited", "teguran", "sp1"]
    assert len(case["letters"]) == 2 and case["letters"][0] != case["letters"][1]
    assert "TEGURAN" in case["letters"][0] and "SP1" in case["letters"][1]
    assert all(p == 1.0 for p in fig["story"]["precision"].values())  # the world's truth
    json.dumps(fig["story"])  # --json writes it


def test_the_register_file_names_every_member_once():
    pop = generate(5, 1, 120)  # a tiny world's register, as the office writes it
    lines = register_csv(pop).splitlines()
    assert lines[0].startswith("Wilayah,Rusun,Blok,No. Unit,ID Penghuni")
    ids = [line.split(",")[4] for line in lines[1:]]
    assert sorted(ids) == sorted(pop.residents) and len(set(ids)) == len(ids)
    assert sum(line.endswith(",kepala keluarga,ya") for line in lines) == len(pop.units)
