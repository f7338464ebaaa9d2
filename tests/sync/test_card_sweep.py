# The city-wide card sweep: a card tapped outside its district is recognised off the batch's
# path, incrementally (old tokens are not compared with old cards again), under a lease.
# SPDX-License-Identifier: MIT
import datetime as dt
import json
import os
import subprocess
import sys
import threading

import pytest

from sync.service import audit, cardsweep, reports, rights, snapshot
from sync.service.accounts import User
from sync.settings import CARD_SWEEP_EVERY_S, SettingsError, every
from sync.store import notices, residents
from tests.kit.collector_calls import enroll, register, tap_card
from tests.kit.paths import ROOT

HOME_UID = "04A1B2C3D4E5F6"
STRANGER_UID = "04FFEEDDCCBBAA"
LATE_UID = "04112233445566"


def _districts(collector, **by_rusun):
    with collector.db.write() as tx:
        for name, district in by_rusun.items():
            tx.run("UPDATE rusun SET district = ? WHERE name = ?", (district, name))


def _world(collector):
    """Marunda (Jakarta Utara) with a card and two neighbours; Cakung (Jakarta Timur) with a
    door and a card of its own (never compared: its tokens there are stored): Marunda's cards
    are not Cakung's district's."""
    away = register(collector, "Cakung")
    enroll(collector, f"R1,Siti,A101,Marunda,{HOME_UID}", "R2,Budi,A102,Marunda,04000000000001",
           "R3,Ani,A103,Marunda,04000000000002", "R4,Eko,C101,Cakung,04000000000003")  # fmt: skip
    _districts(collector, Marunda="Jakarta Utara", Cakung="Jakarta Timur")
    return away


def _sightings(collector) -> int:
    with collector.db.read() as tx:
        return int(tx.value("SELECT COUNT(*) FROM card_tokens ct JOIN cards c ON"
                            " c.id = ct.card_id WHERE c.rusun_id <> ct.rusun_id"))  # fmt: skip


def _rusun_id(collector, name):
    with collector.db.read() as tx:
        return int(tx.value("SELECT id FROM rusun WHERE name = ?", (name,)))


def test_a_card_of_another_district_is_recognised_by_the_sweep_its_earlier_taps_too(collector):
    away = _world(collector)
    tap_card(collector, away, HOME_UID)
    tap_card(collector, away, HOME_UID)
    assert reports.other_rusun(collector, days=2) == []  # the district match stops at Timur
    assert len(reports.unknown_cards(collector, days=2)) == 1
    done = cardsweep.run(collector)
    assert (done["busy"], done["pending"], done["matched"], done["done"]) == (0, 1, 1, 1)
    seen = reports.other_rusun(collector, days=2)
    assert [(r["resident_id"], r["home_rusun"], r["seen_at"], r["taps"]) for r in seen] == [
        ("R1", "Marunda", "Cakung", 2)
    ]
    assert reports.unknown_cards(collector, days=2) == []
    # the review: Marunda's sees its card's days at Cakung, Cakung's sees a foreign card
    today = dt.date.fromtimestamp(collector.now())
    home = snapshot.build(collector, _rusun_id(collector, "Marunda"), today, 7)
    assert [d.rusun for d in home.card_days] == ["Cakung"]
    there = snapshot.build(collector, _rusun_id(collector, "Cakung"), today, 7)
    assert len(there.foreign_cards) == 1
    tap_card(collector, away, HOME_UID)  # known now: nothing left for the next pass
    assert cardsweep.run(collector)["pending"] == 0
    assert _sightings(collector) == 1


def test_a_second_sweep_with_nothing_new_computes_no_token(collector):
    away = _world(collector)
    tap_card(collector, away, STRANGER_UID)  # nobody's card: unknown for ever
    first = cardsweep.run(collector)
    assert (first["matched"], first["tokens_computed"]) == (0, 3)  # Marunda's three cards
    second = cardsweep.run(collector)
    assert (second["pending"], second["cards_read"], second["tokens_computed"]) == (0, 0, 0)
    tap_card(collector, away, STRANGER_UID)  # the same stranger again: still nothing to do
    assert cardsweep.run(collector)["tokens_computed"] == 0


def test_a_card_enrolled_after_a_sweep_is_found_by_the_next_against_it_alone(collector):
    away = _world(collector)
    tap_card(collector, away, LATE_UID)
    tap_card(collector, away, STRANGER_UID)
    assert cardsweep.run(collector)["matched"] == 0
    enroll(collector, f"R9,Dewi,B201,Marunda,{LATE_UID}")
    assert reports.other_rusun(collector, days=2) == []
    found = cardsweep.run(collector)
    # the two old tokens are compared with the new card only: one token computed
    assert (found["pending"], found["tokens_computed"], found["matched"]) == (2, 1, 1)
    assert [r["resident_id"] for r in reports.other_rusun(collector, days=2)] == ["R9"]


def test_an_erased_card_is_not_matched_and_its_match_is_forgotten(collector):
    away = _world(collector)
    tap_card(collector, away, HOME_UID)
    rights.erase(collector, User("petugas", "admin", ()), "R1")
    done = cardsweep.run(collector)
    assert (done["matched"], done["tokens_computed"]) == (0, 2)  # the two cards left
    assert _sightings(collector) == 0
    enroll(collector, f"R9,Dewi,B201,Marunda,{LATE_UID}")
    tap_card(collector, away, LATE_UID)
    assert cardsweep.run(collector)["matched"] == 1
    rights.erase(collector, User("petugas", "admin", ()), "R9")
    assert _sightings(collector) == 0
    assert reports.other_rusun(collector, days=2) == []


def test_a_pass_has_a_budget_and_the_next_resumes_where_it_stopped(collector, monkeypatch):
    monkeypatch.setattr(cardsweep, "CHUNK", 1)
    away = _world(collector)
    tap_card(collector, away, "04000000000002")  # R3's card, the last enrolled
    first = cardsweep.run(collector, cards=2)
    assert (first["cards_read"], first["matched"], first["done"]) == (2, 0, 0)
    second = cardsweep.run(collector, cards=2)
    # not the first two again; the fourth is Cakung's own
    assert (second["cards_read"], second["tokens_computed"]) == (2, 1)
    assert (second["matched"], second["done"]) == (1, 1)


def test_the_lease_keeps_two_sweeps_from_overlapping(collector, monkeypatch):
    monkeypatch.setattr(cardsweep, "CHUNK", 1)
    away = _world(collector)
    tap_card(collector, away, STRANGER_UID)
    inside = []

    def second_pass() -> bool:  # asked between the first pass's chunks
        if not inside:
            inside.append(cardsweep.run(collector, holder="other"))
        return False

    first = cardsweep.run(collector, holder="first", stop=second_pass)
    assert inside[0]["busy"] == 1 and inside[0]["tokens_computed"] == 0
    assert (first["busy"], first["tokens_computed"], first["done"]) == (0, 3, 1)
    # given back at the end: the next pass runs
    assert cardsweep.run(collector, holder="other")["busy"] == 0


def test_a_lease_held_elsewhere_means_nothing_done_until_it_expires(collector, clock):
    away = _world(collector)
    tap_card(collector, away, STRANGER_UID)
    now = collector.now()
    with collector.db.write() as tx:
        assert notices.take_lease(tx, cardsweep.LEASE, "elsewhere", now, now + 60)
    assert cardsweep.run(collector)["busy"] == 1
    clock.now += 61  # its holder died: the lease expires
    assert cardsweep.run(collector)["tokens_computed"] == 3


def test_a_token_not_seen_within_the_records_retention_is_forgotten(collector, clock):
    away = _world(collector)
    tap_card(collector, away, STRANGER_UID)
    assert cardsweep.run(collector)["forgotten"] == 0
    keep = cardsweep.retention.days(collector)["records"]
    clock.now += (keep + 1) * 86400
    done = cardsweep.run(collector)
    assert (done["forgotten"], done["pending"]) == (1, 0)


def test_the_purge_forgets_unknown_tokens_with_the_records(collector, clock):
    away = _world(collector)
    tap_card(collector, away, STRANGER_UID)
    keep = cardsweep.retention.days(collector)["records"]
    clock.now += (keep + 1) * 86400
    cardsweep.retention.purge(collector, audit.Who("cli", "cli"))
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM unknown_tokens") == 0


def test_serve_sweeps_by_itself_and_stops_cleanly(settings, clock):
    from fastapi.testclient import TestClient

    from sync.app import create_app

    settings.card_sweep_every_s = 0.05
    app = create_app(settings)
    collector = app.state.collector
    away = _world(collector)
    tap_card(collector, away, HOME_UID)
    with TestClient(app):
        loop = app.state.sweep_loop
        for _ in range(400):  # a deadline for the loop's first passes, not a timing assertion
            if loop.passes >= 1 and _sightings(collector) == 1:
                break
            threading.Event().wait(0.05)
        assert _sightings(collector) == 1  # nothing but the loop sweeps here
    assert not loop.running()  # the lifespan stopped it


def test_the_card_sweep_period_is_checked(monkeypatch):
    monkeypatch.setenv("HADIR_CARD_SWEEP_EVERY", "0")
    assert every("HADIR_CARD_SWEEP_EVERY", CARD_SWEEP_EVERY_S) == 0
    monkeypatch.delenv("HADIR_CARD_SWEEP_EVERY")
    assert every("HADIR_CARD_SWEEP_EVERY", CARD_SWEEP_EVERY_S) == 0  # off unless asked for
    monkeypatch.setenv("HADIR_CARD_SWEEP_EVERY", "3600")
    assert every("HADIR_CARD_SWEEP_EVERY", CARD_SWEEP_EVERY_S) == 3600
    monkeypatch.setenv("HADIR_CARD_SWEEP_EVERY", "-1")
    with pytest.raises(SettingsError, match="HADIR_CARD_SWEEP_EVERY=-1: detik 0..86400 / seconds"):
        every("HADIR_CARD_SWEEP_EVERY", CARD_SWEEP_EVERY_S)


def test_the_command_line_prints_the_counts(tmp_path):
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"))
    run = [sys.executable, "-m", "sync", "rusun", "sweep-cards"]
    r = subprocess.run([*run, "--json"], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"busy": 0, "pending": 0, "cards_read": 0,
                                    "tokens_computed": 0, "matched": 0, "forgotten": 0,
                                    "done": 1}  # fmt: skip
    r = subprocess.run([*run, "--cards", "0"], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=60)  # fmt: skip
    assert r.returncode != 0 and "--cards" in r.stderr


def test_taps_stored_before_the_sweep_existed_are_swept_too(collector):
    away = _world(collector)
    tap_card(collector, away, HOME_UID)
    with collector.db.write() as tx:  # a database of before: no unknown_tokens rows, no mark
        tx.run("DELETE FROM unknown_tokens")
        tx.run("DELETE FROM meta WHERE key = 'unknown_tokens_seeded'")
    assert cardsweep.run(collector)["matched"] == 1
    assert [r["resident_id"] for r in reports.other_rusun(collector, days=2)] == ["R1"]


def test_one_match_stored_by_two_transactions_at_once_is_one_row_and_no_error(collector):
    """The sweep and a batch at ingest (or two batches) may store the same match together: on
    PostgreSQL the second waits for the first's row, then keeps it (no unique violation)."""
    _world(collector)
    with collector.db.read() as tx:
        card = int(tx.value("SELECT id FROM cards WHERE resident_id = 'R1'"))
    row = (_rusun_id(collector, "Cakung"), 0, 123456, card)
    inside, release, errors = threading.Event(), threading.Event(), []

    def first() -> None:
        with collector.db.write() as tx:
            residents.add_sightings(tx, [row])
            inside.set()
            release.wait(30)

    def second() -> None:
        try:
            with collector.db.write() as tx:
                residents.add_sightings(tx, [row])
        except Exception as exc:  # the failure this test is about
            errors.append(exc)

    one = threading.Thread(target=first)
    one.start()
    assert inside.wait(30)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # let it reach the row the first holds (ordering only, nothing timed)
    release.set()
    one.join(30)
    two.join(30)
    assert errors == []
    assert _sightings(collector) == 1
