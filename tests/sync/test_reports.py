# Collector reports: presence, the absence (subletting) review list, other rusun, unknown cards.
# SPDX-License-Identifier: MIT
import datetime as dt

from firmware import wire
from sync import service_admin, service_reports
from sync.vault import card_tokens
from tests.sync.helpers import post, reply
from tests.wirekit import PaperTerminal

DAY0 = dt.date(2026, 11, 1)
UIDS = {"R1": "04A1B2C3D4E5F6", "R2": "04C0FFEE000001", "R3": "5A6B7C8D"}
STRANGER = bytes.fromhex("04DEADBEEF0001")


def _world(collector, client, clock):
    clock.now = service_reports.day_start(DAY0)
    terms = {}
    for rusun in ("Marunda", "Cakung"):
        bundle = service_admin.add_terminal(collector, rusun, 1)
        term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
        term.bundle = bundle
        terms[rusun] = term
    rows = [
        f"R1,Siti,MRD-A101,Marunda,{UIDS['R1']}",
        f"R2,Budi,MRD-A102,Marunda,{UIDS['R2']}",
        f"R3,Ani,CKG-A1,Cakung,{UIDS['R3']}",
    ]
    report = service_admin.import_residents(
        collector, ["resident_id,name,unit,rusun,card_uid"] + rows
    )
    assert report.refused == []
    key = bytes.fromhex(terms["Marunda"].bundle["card_key"])

    def token(uid):
        return card_tokens(key, [bytes.fromhex(uid) if isinstance(uid, str) else uid])[0]

    marunda = terms["Marunda"]
    visits = {1: ["R1", "R2"], 5: ["R3", STRANGER], 6: [STRANGER], 20: ["R1"]}
    for day, who in visits.items():
        at = service_reports.day_start(DAY0 + dt.timedelta(days=day)) + 8 * 3600
        marunda.boot()
        marunda.clock(at - wire.HOST_EPOCH_OFFSET)
        for w in who:
            tok = token(UIDS[w] if isinstance(w, str) else w)
            marunda.tap(tok.to_bytes(4, "big"), flags=1 if isinstance(w, str) else 0)
        body = marunda.batch()
        reply(marunda, body, post(client, body))
    clock.now = service_reports.day_start(DAY0 + dt.timedelta(days=21)) + 12 * 3600
    return terms


def test_presence_per_rusun_and_day(collector, client, clock):
    _world(collector, client, clock)
    rows = service_reports.presence(collector, start=DAY0, days=21, rusun="Marunda")
    assert [(r["date"], r["residents"], r["units"], r["taps"]) for r in rows] == [
        ("2026-11-02", 2, 2, 2),
        ("2026-11-21", 1, 1, 1),
    ]


def test_absent_lists_units_and_residents_with_reasons(collector, client, clock):
    _world(collector, client, clock)
    rows = service_reports.absent(collector, days=14)
    got = {(r["subject"], r["id"]): r for r in rows}
    assert set(got) == {("unit", "MRD-A102"), ("unit", "CKG-A1"), ("resident", "R2"),
                        ("resident", "R3")}  # fmt: skip
    assert got[("resident", "R2")]["last_seen"] == "2026-11-02"
    assert "20 days ago" in got[("resident", "R2")]["reason"]
    assert "never seen" in got[("resident", "R3")]["reason"]
    assert "another rusun" in got[("resident", "R3")]["reason"]
    assert service_reports.absent(collector, days=30) == []  # registered < 30 days ago


def test_cards_at_another_rusun_and_unknown_cards(collector, client, clock):
    _world(collector, client, clock)
    other = service_reports.other_rusun(collector, start=DAY0, days=30)
    assert [(r["resident_id"], r["home_rusun"], r["seen_at"], r["days"]) for r in other] == [
        ("R3", "Cakung", "Marunda", 1)
    ]
    unknown = service_reports.unknown_cards(collector, start=DAY0, days=30)
    assert [(r["rusun"], r["taps"], r["days"]) for r in unknown] == [("Marunda", 2, 2)]


def test_csv_export_has_no_names_or_uids(collector, client, clock):
    _world(collector, client, clock)
    for rows in (
        service_reports.absent(collector),
        service_reports.presence(collector, start=DAY0, days=30),
        service_reports.other_rusun(collector, start=DAY0, days=30),
    ):
        text = service_reports.to_csv(rows)
        assert text.count("\n") == len(rows) + 1
        for secret in ("Siti", "Budi", "Ani", *UIDS.values()):
            assert secret not in text
