# Collector reports: presence, the absence (subletting) review list, other rusun, unknown cards.
# SPDX-License-Identifier: MIT
import datetime as dt

from firmware import wire
from sync.service import admin, reports
from sync.service.scope import OPERATOR
from sync.vault import card_tokens
from tests.kit.collector_calls import post, reply
from tests.kit.wirekit import PaperTerminal

DAY0 = dt.date(2026, 11, 1)
UIDS = {"R1": "04A1B2C3D4E5F6", "R2": "04C0FFEE000001", "R3": "5A6B7C8D"}
STRANGER = bytes.fromhex("04DEADBEEF0001")


def _world(collector, client, clock):
    clock.now = reports.day_start(DAY0)
    terms = {}
    for rusun in ("Marunda", "Cakung"):
        bundle = admin.add_terminal(collector, rusun, 1, scope=OPERATOR)
        term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
        term.bundle = bundle
        terms[rusun] = term
    rows = [
        f"R1,Siti,MRD-A101,Marunda,{UIDS['R1']}",
        f"R2,Budi,MRD-A102,Marunda,{UIDS['R2']}",
        f"R3,Ani,CKG-A1,Cakung,{UIDS['R3']}",
    ]
    report = admin.import_residents(
        collector, ["resident_id,name,unit,rusun,card_uid"] + rows, scope=OPERATOR
    )
    assert report.refused == []
    key = bytes.fromhex(terms["Marunda"].bundle["card_key"])

    def token(uid):
        return card_tokens(key, [bytes.fromhex(uid) if isinstance(uid, str) else uid])[0]

    marunda = terms["Marunda"]
    visits = {1: ["R1", "R2"], 5: ["R3", STRANGER], 6: [STRANGER], 20: ["R1"]}
    for day, who in visits.items():
        at = reports.day_start(DAY0 + dt.timedelta(days=day)) + 8 * 3600
        marunda.boot()
        marunda.clock(at - wire.HOST_EPOCH_OFFSET)
        for w in who:
            tok = token(UIDS[w] if isinstance(w, str) else w)
            marunda.tap(tok.to_bytes(4, "big"), flags=1 if isinstance(w, str) else 0)
        body = marunda.batch()
        clock.now = at + 3600  # uploaded that day (a record dated after receipt is held back)
        reply(marunda, body, post(client, body))
    clock.now = reports.day_start(DAY0 + dt.timedelta(days=21)) + 12 * 3600
    return terms


def test_presence_per_rusun_and_day(collector, client, clock):
    _world(collector, client, clock)
    rows = reports.presence(collector, start=DAY0, days=21, rusun="Marunda")
    assert [(r["date"], r["residents"], r["units"], r["taps"]) for r in rows] == [
        ("2026-11-02", 2, 2, 2),
        ("2026-11-21", 1, 1, 1),
    ]


def test_review_list_explains_each_entry(collector, client, clock):
    _world(collector, client, clock)
    rows = reports.review_report(collector, days=14)
    assert reports.absent(collector, days=14) == rows  # the first name of the list
    got = {(r["subject"], r["id"]): r for r in rows}
    # The one review queue (sync.review): household subjects are units, no tap of any member's
    # card during the last 14 days (R3's one tap, at another rusun, was 16 days ago).
    assert set(got) == {("unit", "MRD-A102"), ("unit", "CKG-A1")}
    a102, ckg = got[("unit", "MRD-A102")], got[("unit", "CKG-A1")]
    assert a102["reasons"] == ["not_seen"] and a102["resident_id"] == "R2"
    assert a102["last_seen"] == "2026-11-02" and a102["days_absent"] == 20
    assert a102["reason"] == "tidak terlihat 14 hari / not seen for 14 days"
    assert ckg["last_seen"] == "2026-11-06" and ckg["rusun"] == "Cakung"
    assert a102["key"] == f"{a102['rusun_id']}/MRD-A102"
    # 30 days: the stranger's card (days 5 and 6) is an unregistered card used on >= 2 days.
    wide = reports.review_report(collector, days=30)
    card = [r for r in wide if r["subject"] == "card"]
    assert [(r["id"][:6], r["rusun"], r["reasons"]) for r in card] == [
        ("token ", "Marunda", ["unknown_card"])
    ]
    assert "unregistered card used often" in card[0]["reason"]
    assert card[0]["resident_id"] is None
    # Registered 10 days before: not yet 14 days without a tap, nobody is listed.
    early = reports.review_report(collector, days=14, as_of=DAY0 + dt.timedelta(days=10))
    assert [r["subject"] for r in early] == ["card"]
    assert reports.review_report(collector, days=14, rusun="Cakung") == [ckg]


def test_cards_at_another_rusun_and_unknown_cards(collector, client, clock):
    _world(collector, client, clock)
    other = reports.other_rusun(collector, start=DAY0, days=30)
    assert [(r["resident_id"], r["home_rusun"], r["seen_at"], r["days"]) for r in other] == [
        ("R3", "Cakung", "Marunda", 1)
    ]
    unknown = reports.unknown_cards(collector, start=DAY0, days=30)
    assert [(r["rusun"], r["taps"], r["days"]) for r in unknown] == [("Marunda", 2, 2)]


def test_csv_export_has_no_names_or_uids(collector, client, clock):
    _world(collector, client, clock)
    for rows in (
        reports.review_report(collector, days=30),
        reports.presence(collector, start=DAY0, days=30),
        reports.other_rusun(collector, start=DAY0, days=30),
    ):
        text = reports.to_csv(rows)
        assert text.count("\n") == len(rows) + 1
        for secret in ("Siti", "Budi", "Ani", *UIDS.values()):
            assert secret not in text
