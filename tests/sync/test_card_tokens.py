# Card tokens without the cards x sites product: enrolling writes at most 3 rows, whatever the
# number of rusun; a card of another rusun is recognised where it is tapped, and only there.
# SPDX-License-Identifier: MIT
import re

from sync.service import admin, reports
from sync.service.scope import OPERATOR
from sync.store import schema
from tests.kit.collector_calls import enroll, register, tap_card
from tests.kit.wirekit import PaperTerminal

HOME_UID = "04A1B2C3D4E5F6"


def _rows(collector) -> int:
    """Rows in every table of the schema."""
    names = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(schema.statements("sqlite")))
    with collector.db.read() as tx:
        return sum(int(tx.value(f"SELECT COUNT(*) FROM {n}")) for n in names)


def test_enrolling_a_card_writes_at_most_three_rows_however_many_rusun(collector):
    for i in range(12):
        register(collector, f"Rusun-{i:02d}")
    before = _rows(collector)
    enroll(collector, f"R1,Siti,A101,Rusun-03,{HOME_UID}")
    # the card, its home token, its register event (and the resident and flat it brings)
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 1
    assert _rows(collector) - before - 2 <= 3  # - the new resident and unit rows


def test_a_card_of_another_rusun_is_recognised_where_it_is_tapped(collector, clock):
    home = register(collector, "Marunda")
    away = register(collector, "Cakung")
    register(collector, "Pulogebang")
    enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 1
    tap_card(collector, home, HOME_UID)
    tap_card(collector, away, HOME_UID)
    tap_card(collector, away, HOME_UID)  # known now: no second row
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 2
    seen = reports.other_rusun(collector, days=2)
    assert [(r["resident_id"], r["home_rusun"], r["seen_at"], r["taps"]) for r in seen] == [
        ("R1", "Marunda", "Cakung", 2)
    ]


def test_a_rotated_key_keeps_the_cards_recognised_there(collector):
    away = register(collector, "Cakung")
    enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    tap_card(collector, away, HOME_UID)
    admin.rotate_card_key(collector, "Cakung", scope=OPERATOR)
    bundle = admin.rotate_terminal(collector, away.terminal_id, scope=OPERATOR)
    fresh = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    fresh.bundle = bundle
    tap_card(collector, fresh, HOME_UID)
    seen = reports.other_rusun(collector, days=2)
    assert [(r["seen_at"], r["taps"]) for r in seen] == [("Cakung", 2)]


def test_only_the_rusun_district_is_searched(collector):
    away = register(collector, "Cakung")
    enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    with collector.db.write() as tx:
        tx.run("UPDATE rusun SET district = 'Jakarta Utara' WHERE name = 'Marunda'")
        tx.run("UPDATE rusun SET district = 'Jakarta Timur' WHERE name = 'Cakung'")
    tap_card(collector, away, HOME_UID)
    assert reports.other_rusun(collector, days=2) == []
    with collector.db.write() as tx:
        tx.run("UPDATE rusun SET district = 'Jakarta Timur' WHERE name = 'Marunda'")
    tap_card(collector, away, HOME_UID)  # same district now: recognised, its earlier tap too
    assert [r["taps"] for r in reports.other_rusun(collector, days=2)] == [2]
