# Field verification: a case's steps and their rules, numbered letters, attachments, visit lists
# with a random sample, per-rule precision from outcomes; izin, holidays, thresholds.
# SPDX-License-Identifier: MIT
import datetime as dt

import pytest

from sync.service import admin, cases, lifecycle, normal, snapshot, visits
from sync.service.admin import Forbidden, Unknown
from sync.service.scope import OPERATOR
from sync.store import register as store
from tests.kit import register as kit

TODAY = dt.date(2026, 11, 30)
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _flat(c, name):
    with c.db.read() as tx:
        return next(f for f in store.flats(tx) if f.name == name)


def test_a_case_goes_from_flag_to_sp1_with_numbered_letters(collector):
    kit.load(collector)
    a101 = _flat(collector, "MRD-A101")
    case = cases.open_case(collector, kit.ADMIN, a101.id, ["not_seen"], "flag", "dari antrean")
    assert cases.open_case(collector, kit.ADMIN, a101.id, ["clone"], "flag") == case  # one open
    with pytest.raises(admin.AdminError, match="not allowed"):  # no letter on taps alone
        cases.advance(collector, kit.ADMIN, case, "teguran")
    cases.advance(collector, kit.ADMIN, case, "visit_scheduled", TODAY)
    with pytest.raises(admin.AdminError, match="outcome"):
        cases.advance(collector, kit.ADMIN, case, "visited", TODAY)
    cases.advance(collector, kit.ADMIN, case, "visited", TODAY, "orang lain", "others_found")
    cases.set_letter_format(
        collector, kit.ADMIN, "{seq:03d}/{letter}/UPRS-{rusun}/{month_roman}/{year}"
    )
    cases.set_letter_counter(collector, kit.ADMIN, "Marunda", 2026, 41)
    t = cases.advance(collector, kit.ADMIN, case, "teguran", TODAY)
    s1 = cases.advance(collector, kit.ADMIN, case, "sp1", TODAY)
    assert t["letter_no"] == "042/TEGURAN/UPRS-Marunda/XI/2026"
    assert s1["letter_no"] == "043/SP1/UPRS-Marunda/XI/2026"
    page = cases.case_page(collector, kit.ADMIN, case)
    assert [s["state"] for s in page["steps"]] == [
        "flagged", "visit_scheduled", "visited", "teguran", "sp1"]  # fmt: skip
    assert page["reasons"] == ["clone", "not_seen"] and page["next"] == [
        "visit_scheduled", "sp2", "cleared"]  # fmt: skip
    assert page["letters"] == [t["letter_no"], s1["letter_no"]]
    assert all(s["user_name"] == "kepala" for s in page["steps"])


def test_letter_format_names_only_known_fields(collector):
    for bad in ("{seq.__class__}", "{nik}", "{seq[0]}", "{seq!r}", "{"):
        with pytest.raises(admin.AdminError):
            cases.check_letter_format(bad)
    with pytest.raises(admin.AdminError, match="every rusun"):
        cases.set_letter_format(collector, kit.MARUNDA_ADMIN, "{seq}")


def test_sealing_ends_the_tenancy_in_the_register(collector):
    kit.load(collector)
    lifecycle.enrol_card(collector, kit.ADMIN, "P4", "04A1B2C3D4E5F6")
    a102 = _flat(collector, "MRD-A102")
    case = cases.open_case(collector, kit.ADMIN, a102.id, ["not_seen"], "flag")
    cases.advance(collector, kit.ADMIN, case, "visit_scheduled", TODAY)
    cases.advance(collector, kit.ADMIN, case, "visited", TODAY, "", "empty")
    for step in ("teguran", "sp1", "sp2", "sp3"):
        cases.advance(collector, kit.ADMIN, case, step, TODAY)
    cases.advance(collector, kit.ADMIN, case, "sealed", TODAY, "disegel")
    assert _flat(collector, "MRD-A102").status == "sealed"
    assert [c["status"] for c in admin.list_cards(collector, scope=OPERATOR)] == ["revoked"]
    assert cases.case_page(collector, kit.ADMIN, case)["next"] == []
    with pytest.raises(admin.AdminError, match="not allowed"):
        cases.advance(collector, kit.ADMIN, case, "cleared", TODAY)


def test_attachments_are_checked_by_content_and_scoped(collector):
    kit.load(collector)
    case = cases.open_case(collector, kit.ADMIN, _flat(collector, "MRD-A101").id, [], "manual")
    fid = cases.attach(collector, kit.ADMIN, case, "foto pintu.jpg", JPEG)
    info, data = cases.attachment(collector, kit.VIEWER, fid)
    assert (info.mime, info.name, data) == ("image/jpeg", "foto pintu.jpg", JPEG)
    with pytest.raises(admin.AdminError, match="JPEG, PNG or PDF"):
        cases.attach(collector, kit.ADMIN, case, "x.jpg", b"<script>alert(1)</script>")
    with pytest.raises(admin.AdminError, match="5 MB"):
        cases.attach(collector, kit.ADMIN, case, "big.jpg", JPEG + b"\x00" * cases.MAX_FILE)
    with pytest.raises(Unknown):
        cases.attachment(collector, kit.PULO_ADMIN, fid)
    with pytest.raises(Forbidden):
        cases.attach(collector, kit.VIEWER, case, "a.jpg", JPEG)


def test_visit_list_orders_flags_by_risk_and_adds_a_random_sample(collector, monkeypatch):
    kit.load(collector)
    ids = {f.name: f.id for f in _flats(collector)}
    flagged = [
        visits.flags.Flagged(ids["MRD-A102"], "1/MRD-A102", ["not_seen"], 0.4),
        visits.flags.Flagged(ids["MRD-A101"], "1/MRD-A101", ["clone", "not_seen"], 0.9),
    ]
    monkeypatch.setattr(visits.flags, "flagged_flats",
                        lambda c, rid, day: sorted(flagged, key=lambda f: -f.score))  # fmt: skip
    lifecycle.relet(collector, kit.ADMIN, ids["MRD-B101"], TODAY)  # occupied, not flagged
    lid = visits.plan(collector, kit.ADMIN, "Marunda", TODAY, sample=2, seed=1)
    lst = visits.visit_list(collector, kit.ADMIN, lid)
    assert [(v["unit"], v["source"]) for v in lst["visits"]] == [
        ("MRD-A101", "flag"), ("MRD-A102", "flag"), ("MRD-B101", "sample")]  # fmt: skip
    assert lst["visits"][0]["lease_holder"] == "Siti Aminah" and lst["visits"][0]["members"] == 3
    assert all(v["case_state"] == "visit_scheduled" for v in lst["visits"])
    with pytest.raises(admin.AdminError, match="exists"):
        visits.plan(collector, kit.ADMIN, "Marunda", TODAY)
    with pytest.raises(Unknown):
        visits.plan(collector, kit.PULO_ADMIN, "Marunda", TODAY + dt.timedelta(days=1))
    v1, v2, v3 = lst["visits"]
    visits.record(collector, kit.ADMIN, v1["id"], "others_found", "penyewa lain")
    visits.record(collector, kit.ADMIN, v2["id"], "no_answer")
    visits.record(collector, kit.ADMIN, v3["id"], "empty")
    p = cases.precision(collector, None)
    assert p["rules"]["clone"] == {"flags": 1, "visited": 1, "confirmed": 1, "precision": 1.0,
                                   "interval": p["rules"]["clone"]["interval"]}  # fmt: skip
    assert (p["rules"]["not_seen"]["flags"], p["rules"]["not_seen"]["visited"]) == (2, 1)
    assert (p["all"]["flags"], p["all"]["visited"], p["all"]["confirmed"]) == (2, 1, 1)
    assert (p["sample"]["visited"], p["sample"]["confirmed"]) == (1, 1)  # the review missed it
    low, high = p["all"]["interval"]
    assert 0.2 < low < 0.21 and high == 1.0  # one visit says little: the interval says so
    # The flat nobody answered at waits for a visit: it is on the next day's list again.
    nxt = visits.visit_list(collector, kit.ADMIN, visits.plan(
        collector, kit.ADMIN, "Marunda", TODAY + dt.timedelta(days=1), sample=0))  # fmt: skip
    assert [v["unit"] for v in nxt["visits"]] == ["MRD-A102"]


def _flats(c):
    with c.db.read() as tx:
        return store.flats(tx)


def test_sample_is_drawn_only_from_unflagged_flats_without_an_open_case(collector, monkeypatch):
    kit.load(collector)
    ids = {f.name: f.id for f in _flats(collector)}
    monkeypatch.setattr(visits.flags, "flagged_flats", lambda c, rid, day: [])
    cases.open_case(collector, kit.ADMIN, ids["MRD-A101"], [], "manual")
    cases.advance(collector, kit.ADMIN, _case_of(collector, ids["MRD-A101"]),
                  "visit_scheduled", TODAY)  # fmt: skip
    seen = set()
    for k in range(6):
        day = TODAY + dt.timedelta(days=10 + k)
        lid = visits.plan(collector, kit.ADMIN, "Marunda", day, sample=5)
        lst = visits.visit_list(collector, kit.ADMIN, lid)
        seen |= {v["unit"] for v in lst["visits"] if v["source"] == "sample"}
    assert seen <= {"MRD-A102"}  # A101 has an open case, B101 is vacant


def _case_of(c, unit_id):
    return next(k["id"] for k in cases.list_cases(c, kit.ADMIN, None) if k["unit_id"] == unit_id)


def test_izin_holidays_and_thresholds_reach_the_snapshot(collector):
    kit.load(collector)
    rid = _flat(collector, "MRD-A101").rusun_id
    aid = normal.absence(collector, kit.ADMIN, "P2", dt.date(2026, 11, 20), dt.date(2026, 11, 26),
                         "mudik", "pulang kampung")  # fmt: skip
    normal.absence(collector, kit.ADMIN, "P3", dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    normal.cancel_absence(collector, kit.ADMIN, aid)
    with pytest.raises(admin.AdminError, match="ending on or after"):
        normal.absence(collector, kit.ADMIN, "P1", TODAY, TODAY - dt.timedelta(days=1))
    normal.holiday(collector, kit.ADMIN, dt.date(2026, 11, 25), "Hari Guru (contoh)")
    normal.holiday(collector, kit.MARUNDA_ADMIN, dt.date(2026, 11, 27), "Kerja bakti", "Marunda")
    with pytest.raises(admin.AdminError, match="every rusun"):
        normal.holiday(collector, kit.MARUNDA_ADMIN, dt.date(2026, 11, 28), "Libur")
    normal.set_threshold(collector, kit.ADMIN, "Marunda", "not_seen_days", 21)
    normal.set_threshold(collector, kit.MARUNDA_ADMIN, "Marunda", "same_minute_days", 12)
    normal.set_threshold(collector, kit.ADMIN, "Marunda", "same_minute_days", None)
    with pytest.raises(admin.AdminError, match="2-90"):
        normal.set_threshold(collector, kit.ADMIN, "Marunda", "not_seen_days", 500)
    with pytest.raises(admin.AdminError, match="unknown threshold"):
        normal.set_threshold(collector, kit.ADMIN, "Marunda", "nik", 1)
    snap = snapshot.build(collector, rid, TODAY, 45)
    assert [(a.resident_id, a.kind) for a in snap.absences] == [("P3", "other")]  # P2's cancelled
    assert snap.holidays == {dt.date(2026, 11, 25), dt.date(2026, 11, 27)}
    assert (snap.thresholds.not_seen_days, snap.thresholds.same_minute_days) == (21, 10)
    trail = normal.thresholds_trail(collector, None)
    assert [(t["name"], t["value"], t["by"]) for t in trail] == [
        ("not_seen_days", 21, "kepala"), ("same_minute_days", 12, "pengelola-mrd"),
        ("same_minute_days", None, "kepala")]  # fmt: skip
    other = snapshot.build(collector, _flat(collector, "PLG-C301").rusun_id, TODAY, 45)
    assert other.holidays == {dt.date(2026, 11, 25)} and other.thresholds.not_seen_days == 14
