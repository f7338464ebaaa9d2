# Credentials end when they should (sync/service/sessions.py, accounts): a dashboard cookie dies
# at logout, at a password change and 12 hours after login; API tokens and users are revoked
# from the command line and stop working at once. Both backends.
# SPDX-License-Identifier: MIT
import os
import re
import subprocess
import sys

from fastapi.testclient import TestClient

from sync.service import accounts
from sync.service.sessions import LIFETIME_S
from sync.web.auth import SESSION_COOKIE
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

NAME, PASSWORD = "kepala", "kata-sandi-benar"


def _login(client) -> str:
    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "username": NAME, "password": PASSWORD, "next": "/dashboard/terminals"}
    r = client.post("/dashboard/login", data=form, follow_redirects=False)
    assert r.status_code == 303
    return client.cookies[SESSION_COOKIE]


def _signed_in(app, cookie: str) -> bool:
    """Whether a browser holding only this cookie is signed in."""
    other = TestClient(app)  # no "with": its lifespan would close the app's database
    other.cookies.set(SESSION_COOKIE, cookie, path="/dashboard")
    return other.get("/dashboard/terminals", follow_redirects=False).status_code == 200


def _csrf(client) -> str:
    page = client.get("/dashboard/terminals").text
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def test_logout_kills_the_cookie_even_a_copy(app, client, collector):
    accounts.add_user(collector, NAME, PASSWORD, "admin", [])
    copy = _login(client)
    assert _signed_in(app, copy)
    r = client.post("/dashboard/logout", data={"csrf": _csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    assert not _signed_in(app, copy)


def test_a_password_change_ends_every_session(app, client, collector):
    accounts.add_user(collector, NAME, PASSWORD, "admin", [])
    cookie = _login(client)
    accounts.add_user(collector, NAME, "kata-sandi-baru", "admin", [])
    assert not _signed_in(app, cookie)


def test_sessions_have_an_absolute_lifetime(client, collector, clock):
    accounts.add_user(collector, NAME, PASSWORD, "admin", [])
    _login(client)
    page = "/dashboard/terminals"
    for _ in range(LIFETIME_S // 3600 - 1):  # busy every hour (each answer re-sends the cookie)
        clock.now += 3600
        assert client.get(page, follow_redirects=False).status_code == 200
    clock.now += 3600  # ... yet 12 hours after login it ends
    assert client.get(page, follow_redirects=False).status_code == 303


def test_removing_a_user_ends_its_sessions_and_tokens(app, client, collector):
    accounts.add_user(collector, NAME, PASSWORD, "admin", [])
    cookie = _login(client)
    token = accounts.issue_token(collector, NAME)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=bearer).status_code == 200
    accounts.remove_user(collector, NAME)
    assert not _signed_in(app, cookie)
    assert client.get("/api/me", headers=bearer).status_code == 401


def _cli(db: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=db)
    return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip


def test_tokens_and_users_are_revoked_from_the_command_line(client, collector, db_url):
    accounts.add_user(collector, NAME, PASSWORD, "admin", [])
    accounts.add_user(collector, "lihat", PASSWORD, "viewer", [])
    r = _cli(db_url, "users", "token", NAME)
    assert r.returncode == 0, r.stderr
    first, first_id = r.stdout.strip(), r.stderr.split("token id ")[1].strip()
    second = accounts.issue_token(collector, NAME)
    listed = _cli(db_url, "users", "tokens", NAME)
    assert first_id in listed.stdout and first not in listed.stdout
    assert _cli(db_url, "users", "revoke-token", NAME, first_id).returncode == 0
    assert client.get("/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert _cli(db_url, "users", "revoke-token", NAME, "--all").returncode == 0
    assert client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    r = _cli(db_url, "users", "revoke-token", NAME, "0123456789ab")
    assert r.returncode == 1 and r.stderr.startswith("hadir: ") and "\n" == r.stderr[-1:]
    assert _cli(db_url, "users", "remove", "lihat").returncode == 0
    assert client.get("/api/me", auth=("lihat", PASSWORD)).status_code == 401
    r = _cli(db_url, "users", "remove", "lihat")
    assert r.returncode == 1 and "unknown user" in r.stderr
