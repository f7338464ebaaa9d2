# The fleet population has the 2017 deployment's shape, real-looking cards, and is seeded.
# SPDX-License-Identifier: MIT
import csv
import json
from collections import Counter

from tools.sim.fleet import population
from tools.sim.fleet.population import generate, split_exact


def test_shape_is_the_deployment(world1):
    pop = world1.pop
    assert len(pop.rusun) == 23
    assert len({r.name for r in pop.rusun}) == 23
    assert len(pop.terminals) == 32
    assert len({t.terminal_id for t in pop.terminals}) == 32
    doors = Counter(t.rusun for t in pop.terminals)
    assert set(doors) == {r.name for r in pop.rusun}
    assert set(doors.values()) == {1, 2}
    assert len(pop.residents) == 13731
    assert sum(len(u.members) for u in pop.units.values()) == 13731


def test_registered_share(world1):
    pop = world1.pop
    at_start = pop.registry(0)
    assert len(at_start) == 9459
    assert 0.68 < len(at_start) / len(pop.residents) < 0.70
    end = pop.registry()
    assert len(end) > len(at_start)  # more enrol during the week
    assert all(r["registered_day"] in range(pop.days) for r in end)


def test_households_live_in_units_of_their_rusun(world1):
    pop = world1.pop
    for unit in pop.units.values():
        assert 1 <= len(unit.members) <= 6
        for rid in unit.members:
            res = pop.residents[rid]
            assert (res.unit, res.rusun) == (unit.unit_id, unit.rusun)
    sizes = Counter(len(u.members) for u in pop.units.values())
    assert sizes.most_common(1)[0][0] in (3, 4)


def test_cards_look_like_real_mifare(world1):
    cards = [r.card for r in world1.pop.residents.values()]
    assert len({c.uid for c in cards}) == len(cards)
    kinds = Counter(len(c.uid) for c in cards)
    assert set(kinds) == {4, 7}
    assert 0.5 < kinds[7] / len(cards) < 0.7
    for c in cards:
        if len(c.uid) == 7:
            assert (c.uid[0], c.atqa, c.sak) == (0x04, 0x0344, 0x20) and c.ats
        else:
            assert c.uid[0] not in (0x08, 0x88)
            assert (c.atqa, c.sak, c.ats) == (0x0004, 0x08, b"")


def test_fingerprint_tells_a_different_chip():
    card = population.Card(bytes.fromhex("04112233445566"), 0x0344, 0x20, population.DESFIRE_ATS)
    other_chip = population.Card(card.uid, 0x0044, 0x08)
    assert card.fingerprint() != other_chip.fingerprint()
    assert card.fingerprint() == population.Card(card.uid, 0x0344, 0x20, card.ats).fingerprint()


def test_deterministic_by_seed():
    a, b, c = generate(5), generate(5), generate(6)
    assert [(r.name, r.unit, r.card, r.registered_day) for r in a.residents.values()] == [
        (r.name, r.unit, r.card, r.registered_day) for r in b.residents.values()
    ]
    assert [r.card for r in a.residents.values()] != [r.card for r in c.residents.values()]


def test_split_exact_sums_and_follows_weights():
    assert split_exact(10, [1.0, 1.0, 1.0]) in ([4, 3, 3], [3, 4, 3], [3, 3, 4])
    assert sum(split_exact(13731, [26.0, 16.0, 5.0])) == 13731
    assert split_exact(7, [6.0, 1.0]) == [6, 1]


def test_exports_in_collector_format(world1, tmp_path):
    pop = world1.pop
    n = population.write_residents_csv(pop, str(tmp_path / "residents.csv"))
    with open(tmp_path / "residents.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert n == len(rows) == 9459
    assert list(rows[0]) == ["resident_id", "name", "unit", "rusun", "card_uid"]
    assert all(r["card_uid"] == r["card_uid"].upper() and r["name"] for r in rows)
    population.write_terminals_json(pop, str(tmp_path / "terminals.json"))
    terms = json.loads((tmp_path / "terminals.json").read_text())
    assert len(terms) == 32
    assert set(terms[0]) == {"id", "rusun", "door"}
