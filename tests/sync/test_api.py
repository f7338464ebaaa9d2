# Collector admin API: authentication (basic and bearer), roles, rusun scope, CSV export.
# SPDX-License-Identifier: MIT
import pytest

from firmware import wire
from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from tests.kit.collector_calls import day_of_taps, post, register, reply
from tests.kit.paths import DOCS

ADMIN = ("admin", "rahasia-admin-1")
VIEWER = ("lihat", "rahasia-lihat-1")


@pytest.fixture
def users(collector):
    admin.add_terminal(collector, "Cakung", 1, scope=OPERATOR)
    accounts.add_user(collector, *ADMIN, "admin", [])
    accounts.add_user(collector, *VIEWER, "viewer", ["Cakung"])


def test_admin_api_needs_a_user(client, users):
    assert client.get("/api/terminals").status_code == 401
    assert client.get("/api/terminals", auth=("admin", "wrong-password")).status_code == 401
    assert (
        client.get("/api/terminals", headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert client.get("/api/me", auth=ADMIN).json() == {"name": "admin", "role": "admin",
                                                        "rusun": []}  # fmt: skip


def test_admin_registers_a_terminal_viewer_cannot(client, users):
    new = {"rusun": "Marunda", "door": 1}
    assert client.post("/api/terminals", json=new, auth=VIEWER).status_code == 403
    response = client.post("/api/terminals", json=new, auth=ADMIN)
    assert response.status_code == 200
    assert response.json()["format"] == "hadir-provision-1"
    assert "k0" not in str(client.get("/api/terminals", auth=ADMIN).json())


def test_viewer_sees_only_its_rusun(client, users):
    client.post("/api/terminals", json={"rusun": "Marunda", "door": 1}, auth=ADMIN)
    assert {t["rusun"] for t in client.get("/api/terminals", auth=VIEWER).json()} == {"Cakung"}
    r = client.get("/api/reports/presence", params={"rusun": "Marunda"}, auth=VIEWER)
    assert r.status_code == 403
    assert client.get("/api/reports/unknown-cards", auth=VIEWER).status_code == 403
    assert client.get("/api/reports/presence", auth=VIEWER).status_code == 200


def test_bearer_token(collector, client, users):
    token = accounts.issue_token(collector, "lihat")
    r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.json()["name"] == "lihat"


def test_import_and_csv_export_over_the_api(collector, client, users):
    csv_text = "resident_id,name,unit,rusun,card_uid\nR1,Siti,CKG-1,Cakung,04A1B2C3D4E5F6\n"
    r = client.post("/api/residents/import", content=csv_text.encode(), auth=ADMIN,
                    headers={"content-type": "text/csv"})  # fmt: skip
    assert r.json() == {"residents": 1, "cards": 1, "unchanged": 0, "refused": []}
    term = register(collector, "Cakung", 2)
    body = day_of_taps(term)
    reply(term, body, post(client, body))
    r = client.get("/api/reports/health", params={"format": "csv"}, auth=ADMIN)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("terminal_id,rusun,door")
    assert len(r.text.splitlines()) == 3
    cards = client.get("/api/cards", auth=VIEWER).json()
    assert len(cards) == 1 and "04A1B2C3D4E5F6" not in str(cards)


def test_healthz(client):
    assert client.get("/healthz").json()["status"] == "ok"


def test_every_route_is_in_the_openapi_document_and_the_docs(app):
    import re

    doc = "".join((DOCS / f"{n}.md").read_text() for n in ("collector", "cases", "privacy"))
    paths = app.openapi()["paths"]
    assert {"/v1/batches", "/v1/config", "/v1/allowlist", "/healthz"} <= set(paths)
    for path, ops in paths.items():
        for method in ops:
            pattern = re.escape(f"{method.upper()} {path}").replace(r"\{terminal_id\}", r"\{id\}")
            assert re.search(pattern, doc), f"{method.upper()} {path} is not in docs/"


@pytest.mark.parametrize("tid", [2**31, 2**32 - 1])
def test_terminal_ids_span_the_whole_u32_of_the_wire(collector, client, users, tid):
    """Every route takes any id of the wire's u32; registration stops at what a terminal can
    hold (``wire.TERMINAL_ID_MAX``, tests/sync/test_bundle_file.py)."""
    assert client.post(f"/api/terminals/{tid}/revoke", auth=ADMIN).status_code == 400  # unknown
    new = {"rusun": "Cakung", "door": 1, "id": tid}
    r = client.post("/api/terminals", json=new, auth=ADMIN)
    assert r.status_code == 400 and str(wire.TERMINAL_ID_MAX) in r.json()["detail"]
    new["id"] = wire.TERMINAL_ID_MAX
    r = client.post("/api/terminals", json=new, auth=ADMIN)
    assert r.json()["terminal_id"] == wire.TERMINAL_ID_MAX
    assert client.get("/api/reports/health", params={"terminal_id": tid}, auth=ADMIN).is_success


def test_text_with_a_nul_character_is_a_clear_400_on_both_backends(client, users):
    new = {"rusun": "Cakung\x00", "door": 1}
    r = client.post("/api/terminals", json=new, auth=ADMIN)
    assert r.status_code == 400 and "NUL" in r.json()["detail"]
    r = client.get("/api/reports/presence", params={"rusun": "\x00"}, auth=ADMIN)
    assert r.status_code == 400
    csv_text = "resident_id,name,unit,rusun,card_uid\nR1,Si\x00ti,CKG-1,Cakung,04A1B2C3D4E5F6\n"
    r = client.post("/api/residents/import", content=csv_text.encode(), auth=ADMIN,
                    headers={"content-type": "text/csv"})  # fmt: skip
    assert r.status_code == 200 and r.json()["residents"] == 0 and "NUL" in r.json()["refused"][0]
    r = client.post("/dashboard/login", data={"username": "ad\x00min", "password": "x"})
    assert r.status_code < 500
    assert client.get("/api/terminals", auth=ADMIN).status_code == 200  # nothing broke


def test_text_that_is_not_valid_unicode_is_refused_without_echoing_it(client, users):
    body = '{"rusun": "Cakung\\ud800", "door": 1}'  # a lone surrogate: JSON allows it, UTF-8 not
    r = client.post("/api/terminals", content=body.encode(), auth=ADMIN,
                    headers={"content-type": "application/json"})  # fmt: skip
    assert r.status_code == 422 and "input" not in r.json()["detail"][0]
