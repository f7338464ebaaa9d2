# Every planted case has ground truth, and the tap stream really shows what the truth claims.
# SPDX-License-Identifier: MIT
from collections import Counter

from firmware import wire
from tools.sim.fleet.behaviour import local_day, local_minute
from tools.sim.fleet.cases import COUNTS, REASONS

CLONE_FLAGS = wire.CARD_FINGERPRINT_MISMATCH | wire.CARD_MAGIC_SUSPECT


def _cards_seen(world):
    return {t.card for t in world.taps}


def test_every_case_has_ground_truth(world1):
    cases = world1.truth["cases"]
    assert Counter(c["kind"] for c in cases) == Counter(COUNTS)
    assert len({c["case"] for c in cases}) == len(cases)
    for case in cases:
        assert case["expect"] and case["note"]
        for item in case["expect"]:
            assert item["reason"] in REASONS
            assert len([k for k in ("unit", "resident", "card") if k in item]) == 1


def _unit(case):
    units = {item["unit"] for item in case["expect"] if "unit" in item}
    assert len(units) <= 1, case
    return units.pop() if units else None


def test_cases_do_not_share_units(world1):
    units = [_unit(case) for case in world1.truth["cases"] if _unit(case) is not None]
    assert len(units) == len(set(units))
    assert all(u in world1.pop.units for u in units)


def test_sublet_households_never_tap(world1):
    pop, seen = world1.pop, _cards_seen(world1)
    for case in world1.truth["cases"]:
        if case["kind"] == "sublet":
            unit = pop.units[case["expect"][0]["unit"]]
            assert not {pop.residents[m].card.uid_hex for m in unit.members} & seen
            registry = {r["card_uid"] for r in pop.registry()}
            for item in case["expect"][1:]:
                assert item["reason"] == "unknown_card" and item["card"] not in registry


def test_lending_uses_one_card_in_bursts(world1):
    pop = world1.pop
    for case in world1.truth["cases"]:
        if case["kind"] != "lending":
            continue
        unit = pop.units[case["expect"][0]["unit"]]
        cards = {pop.residents[m].card.uid_hex for m in unit.members}
        taps = sorted(t.t for t in world1.taps if t.card in cards)
        assert len({t.card for t in world1.taps if t.card in cards}) == 1
        gaps = [b - a for a, b in zip(taps, taps[1:])]
        assert sum(g <= 60 for g in gaps) >= (len(unit.members) - 1) * 3


def test_card_cases_show_in_the_stream(world1):
    pop, start = world1.pop, world1.start
    home = {r.card.uid_hex: r.rusun for r in pop.residents.values()}
    for case in world1.truth["cases"]:
        card = (case.get("cards") or [case["expect"][0].get("card")])[0]
        taps = [t for t in world1.taps if t.card == card]
        if case["kind"] == "same_minute":
            assert len({local_minute(t.t) for t in taps}) == 1
            assert len({local_day(t.t, start) for t in taps}) == world1.days
        elif case["kind"] == "two_rusun":
            away = {local_day(t.t, start) for t in taps if t.rusun != home[card]}
            assert len(away) >= 3
        elif case["kind"] == "clone":
            flagged = [t for t in taps if t.flags & CLONE_FLAGS]
            assert flagged and all(t.flags & wire.CARD_ENROLLED for t in flagged)
        elif case["kind"] == "unknown":
            assert card not in home and len({local_day(t.t, start) for t in taps}) >= 3


def test_genuine_taps_carry_no_clone_flags(world1):
    clones = {c["cards"][0] for c in world1.truth["cases"] if c["kind"] == "clone"}
    assert {t.card for t in world1.taps if t.flags & CLONE_FLAGS} == clones
