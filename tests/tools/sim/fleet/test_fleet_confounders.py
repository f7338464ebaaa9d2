# The honest world: each confounder happens at its documented rate, the office's register knows
# what it was told and nothing else, handed-over cards tell their story; the generator knows
# nothing of the detector.
# SPDX-License-Identifier: MIT
import ast
import dataclasses
from collections import Counter

import pytest

from firmware import wire
from tests.kit.paths import ROOT
from tools.sim.fleet.behaviour import local_day, local_minute
from tools.sim.fleet.cases import HANDOVER_VARIANTS, scaled_counts
from tools.sim.fleet.confounders import GROUPS, Confounders
from tools.sim.fleet.world import build, register

GENERATOR = ("population", "names", "behaviour", "confounders", "cases", "world")


@pytest.fixture(scope="module")
def month():
    """A 6,000-resident world over 70 days: long enough for handovers and departures."""
    return build(seed=4, days=70, counts=scaled_counts(6000), residents=6000)


def test_the_generator_shares_nothing_with_the_detector_but_the_wire_format():
    for name in GENERATOR:
        path = ROOT / "tools" / "sim" / "fleet" / f"{name}.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                assert (
                    mod in ("__future__", "firmware")
                    or mod.startswith("tools.sim.fleet.")
                    or ("." not in mod and mod not in ("sync", "tools", "tests", "bench"))
                ), (name, mod)
                if mod == "firmware":
                    assert [a.name for a in node.names] == ["wire"], name
            elif isinstance(node, ast.Import):
                for a in node.names:
                    assert a.name.split(".")[0] not in ("sync", "tools", "tests", "bench"), name


def test_no_confounder_switches_every_one_off():
    none = Confounders.none()
    assert none.only() == none
    for group, names in GROUPS.items():
        on = Confounders().only(group)
        changed = {
            f.name for f in dataclasses.fields(on) if getattr(on, f.name) != getattr(none, f.name)
        }
        assert changed and changed <= set(names), group
    assert {n for names in GROUPS.values() for n in names} == {
        f.name for f in dataclasses.fields(Confounders)
    }


def test_confounders_happen_at_their_rates(world1):
    lives = world1.ordinary.lives
    tapping = [lv for rid, lv in lives.items() if world1.pop.residents[rid].registered_day == 0]
    workers = [lv for lv in tapping if lv.kind == "worker"]
    assert 0.07 < sum(lv.shift is not None for lv in workers) / len(workers) < 0.13
    eligible = [lv for lv in tapping if lv.kind != "homebody" and lv.shift is None]
    assert 0.03 < sum(lv.punctual for lv in eligible) / len(eligible) < 0.07
    assert 0.005 < sum(lv.kin is not None for lv in tapping) / len(tapping) < 0.015
    unregistered = [r for r in world1.pop.residents.values() if r.registered_day != 0]
    tappers = [
        r for r in unregistered if r.resident_id in lives and lives[r.resident_id].first_day == 0
    ]
    assert 0.07 < len(tappers) / len(unregistered) < 0.13
    visitors = world1.ordinary.visitors
    assert len(visitors) == pytest.approx(5 * 23, abs=15)
    assert 0.3 < sum(v.registered for v in visitors) / len(visitors) < 0.7


def test_confounders_show_in_the_taps(world1):
    pop, start = world1.pop, world1.start
    lives = world1.ordinary.lives
    by_actor = {}
    for t in world1.taps:
        by_actor.setdefault(t.actor, []).append(t)
    # An unregistered resident who taps does so with no allow-list flag until enrolled.
    tapper = next(rid for rid, lv in sorted(lives.items())
                  if lv.first_day == 0 and pop.residents[rid].registered_day is None
                  and by_actor.get(rid))  # fmt: skip
    assert all(not t.flags & wire.CARD_ENROLLED for t in by_actor[tapper])
    # Kin visits: taps at the kin's rusun, denied there, on a visit day.
    rid, kin = next((r, lv.kin) for r, lv in sorted(lives.items()) if lv.kin and lv.kin.visits
                    and any(d < world1.days for d in lv.kin.visits))  # fmt: skip
    there = [t for t in by_actor.get(rid, []) if t.rusun == kin.rusun]
    assert there and all(t.flags == 0 for t in there)
    assert {local_day(t.t, start) for t in there} <= {d for v in kin.visits for d in (v, v + 1)}
    # Punctual people leave in the same minute or the next on most weekdays.
    punctual = [r for r, lv in sorted(lives.items()) if lv.punctual and by_actor.get(r)][:20]
    same = 0
    for r in punctual:
        firsts = {}
        for t in by_actor[r]:
            d = local_day(t.t, start)
            if d < 5:
                firsts.setdefault(d, local_minute(t.t))
        if len(firsts) >= 3 and max(firsts.values()) - min(firsts.values()) <= 1:
            same += 1
    assert same >= len(punctual) // 2
    # Carers come on weekdays with the same card.
    carer = next(v for v in world1.ordinary.visitors if v.kind == "carer")
    assert len({local_day(t.t, start) for t in by_actor[carer.visitor_id]}) >= 4


def test_the_register_knows_what_the_office_was_told(month):
    reg = register(month)
    lives = month.ordinary.lives
    left = {rid for rid, lv in lives.items() if lv.left}
    assert set(reg.moved_out) <= left and 0 < len(reg.moved_out) < len(left)
    assert all(month.ordinary.lives[r].reported_day <= reg.day for r in reg.moved_out)
    registered = [v for v in month.ordinary.visitors if v.registered]
    assert {v[0] for v in reg.visitors} == {v.visitor_id for v in registered}
    assert reg.izin and all(first <= last for _r, first, last in reg.izin)
    assert [h.isoformat() for h in reg.holidays] == ["2017-02-15", "2017-03-28", "2017-04-14"]
    # The register at day 10 knows only what happened by then.
    early = register(month, 10)
    assert len(early.cards) < len(reg.cards) and all(d <= 10 for d in early.moved_out.values())
    # Planted cases are not in the register: a handed-over flat's tenants are still members.
    case = next(c for c in month.truth["cases"] if c["kind"] == "handover")
    unit = case["expect"][0]["unit"]
    assert reg.units[unit][1] == month.pop.units[unit].members


def test_a_handed_over_card_goes_on_while_its_household_stops(month):
    start = month.start
    cases = [c for c in month.truth["cases"] if c["kind"] == "handover"]
    assert {c["variant"] for c in cases} <= {v for v, _w in HANDOVER_VARIANTS}
    for case in cases:
        h, unit = case["since_day"], case["expect"][0]["unit"]
        assert 0.4 * month.days <= h <= month.days - 1
        members = month.pop.units[unit].members
        after = [t for t in month.taps if t.actor in members and local_day(t.t, start) >= h]
        assert after == []  # the tenant household left on day h
        for card in case["cards"]:
            taps = [t for t in month.taps if t.card == card]
            days_after = {local_day(t.t, start) for t in taps if local_day(t.t, start) >= h}
            assert len(days_after) >= 0.5 * (month.days - h) - 3, case
            assert all(not t.flags & (wire.CARD_MAGIC_SUSPECT | wire.CARD_FINGERPRINT_MISMATCH)
                       for t in taps)  # fmt: skip
        reasons = {e["reason"] for e in case["expect"]}
        assert "pattern_change" in reasons
        assert ("one_card_household" in reasons) == (case["variant"] == "burst")


def test_without_confounders_the_world_is_the_first_one():
    w = build(seed=5, days=7, residents=2000, conf=Confounders.none())
    assert w.ordinary.visitors == [] and w.ordinary.izin == []
    lives = w.ordinary.lives
    assert all(lv.shift is None and not lv.punctual and lv.kin is None and lv.last_day is None
               and len(lv.routines) == 1 for lv in lives.values())  # fmt: skip
    assert Counter(r.registered_day is not None for r in w.pop.residents.values())[True] == len(
        lives
    )
