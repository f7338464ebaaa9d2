# Card tokens without the cards x sites product: enrolling writes at most 3 rows, whatever the
# number of rusun; a card of another rusun is recognised where it is tapped, and only there.
# SPDX-License-Identifier: MIT
import re

from firmware import wire
from sync.service import admin, ingest, reports
from sync.service.scope import OPERATOR
from sync.store import schema
from sync.vault import card_tokens
from tests.kit.collector_calls import register
from tests.kit.wirekit import PaperTerminal

HOME_UID = "04A1B2C3D4E5F6"


def _rows(collector) -> int:
    """Rows in every table of the schema."""
    names = re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", " ".join(schema.statements("sqlite")))
    with collector.db.read() as tx:
        return sum(int(tx.value(f"SELECT COUNT(*) FROM {n}")) for n in names)


def _enroll(collector, *rows):
    text = ["resident_id,name,unit,rusun,card_uid", *rows]
    assert admin.import_residents(collector, text, scope=OPERATOR).refused == []


def _tap(collector, term, uid_hex):
    key = bytes.fromhex(term.bundle["card_key"])
    token = card_tokens(key, [bytes.fromhex(uid_hex)])[0]
    term.boot()
    term.clock(collector.now() - 3600 - wire.HOST_EPOCH_OFFSET)
    term.tap(token.to_bytes(4, "big"))
    assert ingest.upload(collector, term.batch()).http == 200


def test_enrolling_a_card_writes_at_most_three_rows_however_many_rusun(collector):
    for i in range(12):
        register(collector, f"Rusun-{i:02d}")
    before = _rows(collector)
    _enroll(collector, f"R1,Siti,A101,Rusun-03,{HOME_UID}")
    # the card, its home token, its register event (and the resident and flat it brings)
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 1
    assert _rows(collector) - before - 2 <= 3  # - the new resident and unit rows


def test_a_card_of_another_rusun_is_recognised_where_it_is_tapped(collector, clock):
    home = register(collector, "Marunda")
    away = register(collector, "Cakung")
    register(collector, "Pulogebang")
    _enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 1
    _tap(collector, home, HOME_UID)
    _tap(collector, away, HOME_UID)
    _tap(collector, away, HOME_UID)  # known now: no second row
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 2
    seen = reports.other_rusun(collector, days=2)
    assert [(r["resident_id"], r["home_rusun"], r["seen_at"], r["taps"]) for r in seen] == [
        ("R1", "Marunda", "Cakung", 2)
    ]


def test_a_rotated_key_keeps_the_cards_recognised_there(collector):
    away = register(collector, "Cakung")
    _enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    _tap(collector, away, HOME_UID)
    admin.rotate_card_key(collector, "Cakung", scope=OPERATOR)
    bundle = admin.rotate_terminal(collector, away.terminal_id, scope=OPERATOR)
    fresh = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    fresh.bundle = bundle
    _tap(collector, fresh, HOME_UID)
    seen = reports.other_rusun(collector, days=2)
    assert [(r["seen_at"], r["taps"]) for r in seen] == [("Cakung", 2)]


def test_only_the_rusun_district_is_searched(collector):
    away = register(collector, "Cakung")
    _enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}")
    with collector.db.write() as tx:
        tx.run("UPDATE rusun SET district = 'Jakarta Utara' WHERE name = 'Marunda'")
        tx.run("UPDATE rusun SET district = 'Jakarta Timur' WHERE name = 'Cakung'")
    _tap(collector, away, HOME_UID)
    assert reports.other_rusun(collector, days=2) == []
    with collector.db.write() as tx:
        tx.run("UPDATE rusun SET district = 'Jakarta Timur' WHERE name = 'Marunda'")
    _tap(collector, away, HOME_UID)  # same district now: recognised, its earlier tap too
    assert [r["taps"] for r in reports.other_rusun(collector, days=2)] == [2]
