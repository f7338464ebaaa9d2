# Login over HTTP (no browser): CSRF on the login form, throttling of wrong passwords, redirects.
# SPDX-License-Identifier: MIT
import re

import pytest
from fastapi.testclient import TestClient

from sync.app import create_app
from sync.service import accounts
from sync.settings import Settings
from tests.kit.seed import Clock

PASSWORD = "kata-sandi-benar"


@pytest.fixture
def client(tmp_path):
    clock = Clock(1_796_000_000)
    app = create_app(Settings(db=str(tmp_path / "hadir.db"), master_key=bytes(32), clock=clock))
    accounts.add_user(app.state.collector, "kepala", PASSWORD, "admin", [])
    with TestClient(app) as c:
        c.clock = clock  # type: ignore[attr-defined]
        yield c
    app.state.collector.db.close()


def _csrf(client) -> str:
    page = client.get("/dashboard/login").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def _login(client, password, csrf=None):
    form = {"csrf": csrf or _csrf(client), "username": "kepala", "password": password,
            "next": "/dashboard/terminals"}  # fmt: skip
    return client.post("/dashboard/login", data=form, follow_redirects=False)


def test_login_needs_the_forms_csrf_token(client):
    _csrf(client)
    assert _login(client, PASSWORD, csrf="forged").status_code == 403
    r = _login(client, PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/terminals"


def test_login_redirects_only_to_local_pages(client):
    form = {"csrf": _csrf(client), "username": "kepala", "password": PASSWORD,
            "next": "https://evil.example/"}  # fmt: skip
    r = client.post("/dashboard/login", data=form, follow_redirects=False)
    assert r.headers["location"] == "/dashboard/"


def test_five_wrong_passwords_lock_the_user_name_for_fifteen_minutes(client):
    for _ in range(5):
        assert _login(client, "salah").status_code == 401
    r = _login(client, PASSWORD)  # even the right password, while locked
    assert r.status_code == 429
    assert "Terlalu banyak percobaan" in r.text
    client.clock.t += 15 * 60 - 1
    assert _login(client, PASSWORD).status_code == 429
    client.clock.t += 1
    assert _login(client, PASSWORD).status_code == 303


def test_a_success_clears_earlier_failures(client):
    for _ in range(4):
        assert _login(client, "salah").status_code == 401
    assert _login(client, PASSWORD).status_code == 303
    for _ in range(4):
        assert _login(client, "salah").status_code == 401
    assert _login(client, PASSWORD).status_code == 303
