# Scope is enforced for every write: an admin bound to one rusun changes only that rusun, through
# the admin API and the dashboard alike; a target of another rusun is answered as an unknown one;
# scopes are rows, so no rusun name stands for another (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import re

import pytest

from sync.service import accounts, admin, reports
from sync.service.scope import OPERATOR

HEAD = ("kepala", "rahasia-kepala-1")  # every rusun
CAKUNG = ("kepala-ckg", "rahasia-cakung-1")  # bound to Cakung
CSV = "resident_id,name,unit,rusun,card_uid\n"


@pytest.fixture
def world(collector):
    ids = {}
    for rusun in ("Cakung", "Marunda", "A,B", "B"):
        ids[rusun] = admin.add_terminal(collector, rusun, 1, scope=OPERATOR)["terminal_id"]
    rows = ["R1,Siti,CKG-1,Cakung,04A1B2C3D4E5F6", "R2,Budi,MRD-1,Marunda,04C0FFEE000001",
            "R3,Ani,AB-1,\"A,B\",04C0FFEE000002", "R4,Eko,B-1,B,04C0FFEE000003"]  # fmt: skip
    report = admin.import_residents(collector, (CSV + "\n".join(rows)).splitlines(),
                                    scope=OPERATOR)  # fmt: skip
    assert report.refused == []
    accounts.add_user(collector, *HEAD, "admin", [])
    accounts.add_user(collector, *CAKUNG, "admin", ["Cakung"])
    accounts.add_user(collector, "lihat-ab", "rahasia-lihat-1", "viewer", ["A,B"])
    return ids


def _marunda_state(collector):
    """Everything a write to Marunda could change."""
    t = [t for t in admin.list_terminals(collector, scope=OPERATOR) if t["rusun"] == "Marunda"]
    people = admin.list_residents(collector, "Marunda", scope=OPERATOR)
    cards = admin.list_cards(collector, "Marunda", scope=OPERATOR)
    return t, people, cards


def _same_as_unknown(client, method, path, tid, unknown=4_000_000_000, **kw):
    """The answer for another rusun's terminal is the unknown terminal's, word for word."""
    a = client.request(method, path.format(tid), auth=CAKUNG, **kw)
    b = client.request(method, path.format(unknown), auth=CAKUNG, **kw)
    assert a.status_code == b.status_code and a.status_code >= 400
    assert a.json() == {"detail": re.sub(str(unknown), str(tid), b.json()["detail"])}


def test_an_admin_bound_to_a_rusun_cannot_change_another(collector, client, world):
    before = _marunda_state(collector)
    mrd = world["Marunda"]
    new = client.post("/api/terminals", json={"rusun": "Marunda", "door": 2}, auth=CAKUNG)
    assert new.status_code == 403 and "card_key" not in new.text
    fresh = client.post("/api/terminals", json={"rusun": "Baru", "door": 2}, auth=CAKUNG)
    assert (fresh.status_code, fresh.json()) == (new.status_code, new.json())
    _same_as_unknown(client, "POST", "/api/terminals/{}/revoke", mrd)
    _same_as_unknown(client, "POST", "/api/terminals/{}/rotate", mrd)
    _same_as_unknown(client, "PUT", "/api/terminals/{}/config", mrd, json={"debounce_s": 5})
    r = client.post("/api/rusun/card-key/rotate", json={"rusun": "Marunda"}, auth=CAKUNG)
    assert r.status_code == 403
    rows = ["R5,Dewi,MRD-2,Marunda,04C0FFEE000009",  # a new resident of Marunda
            "R2,Budi,CKG-2,Cakung,04C0FFEE00000A"]  # Marunda's R2 moved to Cakung  # fmt: skip
    r = client.post("/api/residents/import", content=(CSV + "\n".join(rows)).encode(),
                    auth=CAKUNG, headers={"content-type": "text/csv"})  # fmt: skip
    assert r.status_code == 200 and r.json()["residents"] == 0 and r.json()["cards"] == 0
    refused = r.json()["refused"]
    assert "outside your scope" in refused[0] and "already in use" in refused[1]
    assert _marunda_state(collector) == before
    # The same requests by an admin of every rusun do change Marunda: the refusals above were
    # the scope's, not the requests'.
    assert client.post(f"/api/terminals/{mrd}/revoke", auth=HEAD).status_code == 200
    assert _marunda_state(collector) != before


def test_an_admin_bound_to_a_rusun_changes_its_own(collector, client, world):
    ckg = world["Cakung"]
    r = client.post("/api/terminals", json={"rusun": "Cakung", "door": 2}, auth=CAKUNG)
    assert r.status_code == 200 and r.json()["rusun"] == "Cakung"
    assert client.put(f"/api/terminals/{ckg}/config", json={"debounce_s": 5},
                      auth=CAKUNG).status_code == 200  # fmt: skip
    r = client.post("/api/rusun/card-key/rotate", json={"rusun": "Cakung"}, auth=CAKUNG)
    assert r.status_code == 200 and r.json()["card_key_generation"] == 1
    assert client.post(f"/api/terminals/{ckg}/revoke", auth=CAKUNG).status_code == 200
    rows = {t["id"]: t["rusun"] for t in client.get("/api/terminals", auth=CAKUNG).json()}
    assert set(rows.values()) == {"Cakung"}


def test_a_rusun_named_with_a_comma_grants_only_itself(collector, client, world):
    viewer = ("lihat-ab", "rahasia-lihat-1")
    assert client.get("/api/me", auth=viewer).json()["rusun"] == ["A,B"]
    assert {t["rusun"] for t in client.get("/api/terminals", auth=viewer).json()} == {"A,B"}
    assert [r["resident_id"] for r in client.get("/api/residents", auth=viewer).json()] == ["R3"]
    for rusun in ("B", "A"):
        assert client.get("/api/residents", params={"rusun": rusun},
                          auth=viewer).status_code == 403  # fmt: skip
    assert {r["rusun"] for r in reports.health(collector, scope=_scope(collector, viewer))} == {
        "A,B"
    }


def _scope(collector, login):
    user = accounts.authenticate(collector, *login)
    assert user is not None
    return user.scope


def test_another_rusuns_residents_answer_as_unknown_ones(collector, client, world):
    def ask(params):
        r = client.get("/api/residents", params=params, auth=CAKUNG)
        return r.status_code, r.json()

    assert ask({"rusun": "Marunda"}) == ask({"rusun": "Atlantis"})
    assert ask({"rusun": "Marunda"})[0] == 403
    names = {r["resident_id"] for r in client.get("/api/residents", auth=CAKUNG).json()}
    assert names == {"R1"}
    cards = client.get("/api/cards", auth=CAKUNG).json()
    assert [c["rusun"] for c in cards] == ["Cakung"]


def _dashboard_login(client, login):
    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "username": login[0], "password": login[1], "next": "/dashboard/"}
    assert client.post("/dashboard/login", data=form, follow_redirects=False).status_code == 303
    page = client.get("/dashboard/review").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_the_dashboard_answers_another_rusuns_subjects_as_unknown_ones(collector, client, world):
    csrf = _dashboard_login(client, CAKUNG)
    ckg = admin.list_residents(collector, "Cakung", scope=OPERATOR)[0]
    units = {r: f"{rid}/{unit}" for r, rid, unit in (
        ("Cakung", _rusun_id(collector, "Cakung"), "CKG-1"),
        ("Marunda", _rusun_id(collector, "Marunda"), "MRD-1"),
    )}  # fmt: skip

    def mark(key):
        form = {"csrf": csrf, "kind": "unit", "key": key, "reasons": "not_seen", "note": "x"}
        return client.post("/dashboard/review/mark", data=form, follow_redirects=False)

    assert mark(units["Marunda"]).status_code == mark("999/NOWHERE").status_code == 404
    assert mark(units["Cakung"]).status_code == 303
    other = client.get("/dashboard/resident/R2")
    unknown = client.get("/dashboard/resident/R999")
    assert other.status_code == unknown.status_code == 404
    assert client.get("/dashboard/resident/" + ckg["resident_id"]).status_code == 200
    assert client.get("/dashboard/rusun/Marunda").status_code == 404


def _rusun_id(collector, name):
    from sync.store import residents

    with collector.db.read() as tx:
        row = residents.rusun_by_name(tx, name)
    assert row is not None
    return row.id
