# Dashboard forms over HTTP (no browser): a body is read only for a signed-in user and only up to
# its limit; a refused change shows its reason; out of scope is "not found".
# SPDX-License-Identifier: MIT
import re

import pytest
from fastapi.testclient import TestClient

from sync.app import create_app
from sync.service import accounts, cases
from sync.settings import Settings
from sync.web import routes
from tests.kit import register as kit
from tests.kit.seed import Clock

PASSWORD = "kata-sandi-benar"


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "h.db"), master_key=bytes(32),
                              clock=Clock(1_796_000_000)))  # fmt: skip
    c = app.state.collector
    kit.load(c)
    accounts.add_user(c, "kepala", PASSWORD, "admin", [])
    accounts.add_user(c, "plg", PASSWORD, "admin", ["Pulo Gebang"])
    with TestClient(app) as tc:
        yield tc
    c.db.close()


def _login(client, user="kepala"):
    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    client.post("/dashboard/login", data={"csrf": csrf, "username": user, "password": PASSWORD},
                follow_redirects=False)  # fmt: skip
    page = client.get("/dashboard/normal").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_an_anonymous_upload_is_not_read(client, monkeypatch):
    read = []
    real = routes.Request.form
    monkeypatch.setattr(
        routes.Request, "form", lambda self, **kw: read.append(1) or real(self, **kw)
    )
    body = b"x" * 1000
    r = client.post("/dashboard/case/1/attach", content=body, follow_redirects=False,
                    headers={"content-type": "multipart/form-data; boundary=b"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    assert read == []  # redirected to the login without parsing the body
    big = {"content-length": str(routes.MAX_FORM_BYTES + 1), "content-type": "text/plain"}
    r = client.post("/dashboard/case/1/attach", content=b"", headers=big)
    assert r.status_code == 413


def test_a_refused_change_says_why_and_out_of_scope_is_not_found(client):
    csrf = _login(client)
    c = client.app.state.collector
    case = cases.open_case(c, kit.ADMIN, 1, ["not_seen"], "flag")
    r = client.post(f"/dashboard/case/{case}/step", data={"csrf": csrf, "state": "teguran"})
    assert r.status_code == 400 and "step teguran not allowed after flagged" in r.text
    r = client.post("/dashboard/normal/threshold", data={
        "csrf": csrf, "rusun": "Marunda", "name": "not_seen_days", "value": "x"})  # fmt: skip
    assert r.status_code == 400 and "a whole number" in r.text
    client.cookies.clear()
    csrf = _login(client, "plg")
    r = client.post(f"/dashboard/case/{case}/step", data={"csrf": csrf, "state": "cleared"})
    assert r.status_code == 404  # Marunda's case: as if it did not exist
    assert client.get(f"/dashboard/case/{case}").status_code == 404
