# Residents' rights: the report of everything held, correction, erasure after an open case.
# SPDX-License-Identifier: MIT
# The report is Indonesian HTML; a correction has a trail (SQLite and PostgreSQL).
import pytest

from firmware import wire
from sync.service import accounts, cases, rights
from sync.service.accounts import User
from sync.service.admin import AdminError, Forbidden, Unknown
from sync.store import cases as case_store
from sync.store import residents
from sync.web import subject
from tests.kit import register as kit
from tests.kit.collector_calls import TWO_FLATS, two_flats_tapped

OFFICER = User("petugas", "admin", ())
PASSWORD = "kata-sandi-benar"


@pytest.fixture
def world(collector, client, clock):
    """Siti (R1) and Budi (R2) in two flats of Marunda, 3 taps each today; a case on Siti's."""
    units = two_flats_tapped(collector, client, clock.now)
    return cases.open_case(collector, kit.ADMIN, units["R1"], ["not_seen"], "manual")


def test_the_report_holds_everything_and_its_making_is_audited(collector, world):
    data = rights.subject_data(collector, OFFICER, "R1", 0, collector.now() + 1)
    assert data["identity"]["name"] == "Siti" and data["identity"]["unit"] == "MRD-A101"
    assert len(data["cards"]) == 1 and len(data["taps"]) == 3
    assert [k["id"] for k in data["cases"]] == [world]
    html = subject.render(data, {"records": 183})
    assert html.startswith("<!doctype html>") and 'lang="id"' in html
    for text in ("Laporan data pribadi warga", "Siti", "MRD-A101", "Tap kartu", "masih terbuka",
                 "183 hari"):  # fmt: skip
        assert text in html
    assert "<script" not in html and TWO_FLATS["R1"] not in html  # the UID is never shown
    again = rights.subject_data(collector, OFFICER, "R1", 0, collector.now() + 1)
    assert [x["action"] for x in again["accesses"]] == ["privacy.report"]  # the first one


def test_out_of_scope_is_unknown_and_a_viewer_may_not(collector, world):
    with pytest.raises(Unknown):
        rights.subject_data(collector, User("plg", "admin", ("Pulo Gebang",)), "R1", 0, 1)
    with pytest.raises(Forbidden):
        rights.subject_data(collector, User("pantau", "viewer", ()), "R1", 0, 1)
    with pytest.raises(Unknown):
        rights.subject_data(collector, OFFICER, "R404", 0, 1)


def test_a_correction_keeps_the_old_value_in_the_trail(collector, world):
    with pytest.raises(AdminError, match="reason"):
        rights.correct(collector, OFFICER, "R1", "name", "Siti Aminah", " ")
    with pytest.raises(AdminError, match="only name, relation"):
        rights.correct(collector, OFFICER, "R1", "unit_id", "7", "x")
    rights.correct(collector, OFFICER, "R1", "name", "Siti Aminah", "KTP shown")
    data = rights.subject_data(collector, OFFICER, "R1", 0, 1)
    assert data["identity"]["name"] == "Siti Aminah"
    (event,) = [e for e in data["events"] if e["kind"] == "corrected"]
    assert '"old": "Siti"' in event["detail"] and '"new": "Siti Aminah"' in event["detail"]
    assert event["user_name"] == "petugas"


def test_erasure_waits_for_the_open_case_then_leaves_nothing_of_the_person(collector, world):
    with pytest.raises(rights.Kept, match="open case .*kept as its evidence"):
        rights.erase(collector, OFFICER, "R1")
    with collector.db.write() as tx:
        case_store.set_state(tx, world, "closed", collector.now(), True)
        rusun_id = residents.rusun_by_name(tx, "Marunda").id
        before = residents.allowlist_version(tx, rusun_id)
        assert tx.value("SELECT SUM(taps) FROM tap_days") == 6  # Siti's 3 and Budi's 3
    done = rights.erase(collector, OFFICER, "R1")
    assert done["removed"]["records"] == 3 and done["removed"]["cards"] == 1
    assert any("access audit" in line for line in done["kept"])
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM residents WHERE resident_id = 'R1'") == 0
        assert tx.value("SELECT COUNT(*) FROM cards") == 1  # Budi's
        assert tx.value(f"SELECT COUNT(*) FROM records WHERE kind = {wire.TAP}") == 3  # Budi's
        assert tx.value("SELECT SUM(taps) FROM tap_days") == 3  # Budi's day: the roll-up too
        keys = "SELECT rusun_id, token, day FROM {} ORDER BY 1, 2, 3"  # the review's too
        assert tx.all(keys.format("tap_times")) == tx.all(keys.format("tap_days")) != []
        assert residents.allowlist_version(tx, rusun_id) == before + 1  # terminals drop it
        assert tx.value("SELECT COUNT(*) FROM access_audit WHERE action = 'privacy.erase'") == 1
    with pytest.raises(Unknown):
        rights.subject_data(collector, OFFICER, "R1", 0, 1)


def test_the_api_answers_the_report_in_html_and_refuses_erasure_during_a_case(
    collector, client, world
):
    accounts.add_user(collector, "petugas", PASSWORD, "admin", [])
    r = client.get("/api/privacy/residents/R1/report", auth=("petugas", PASSWORD))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "Siti" in r.text
    r = client.post("/api/privacy/residents/R1/erase", auth=("petugas", PASSWORD))
    assert r.status_code == 409 and "open case" in r.json()["detail"]
    change = {"field": "relation", "value": "Kepala Keluarga", "note": "KK"}
    r = client.post("/api/privacy/residents/R1/correct", auth=("petugas", PASSWORD), json=change)
    assert r.status_code == 200 and r.json()["new"] == "Kepala Keluarga"
