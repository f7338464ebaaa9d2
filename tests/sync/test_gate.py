# sync/gate.py: what a request may cost before it has proved who sent it. Bodies that are never
# sent show that an answer came from the head alone (waiting for them would end in a 408).
# SPDX-License-Identifier: MIT
import re
import threading

import httpx
import pytest

from sync import vault
from sync.gate import IMPORT_BODY, LOGIN_BODY, MAX_HEADERS
from sync.server import Limits
from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from sync.service.verify import MAX_BODY
from tests.kit import quickhash
from tests.kit.liveserver import serve
from tests.kit.rawhttp import connect, head, port_of, status, until_closed

ADMIN = ("kepala", "rahasia-admin-1")
VIEWER = ("lihat", "rahasia-lihat-1")
# A body that never comes would be answered 408 after body_s: long enough that an answer before
# it can only have come from the head.
PATIENT = Limits(header_s=60, body_s=60)


@pytest.fixture
def users(collector):
    admin.add_terminal(collector, "Cakung", 1, scope=OPERATOR)
    accounts.add_user(collector, *ADMIN, "admin", [])
    accounts.add_user(collector, *VIEWER, "viewer", ["Cakung"])


@pytest.fixture
def real_argon2():
    """Password checks that cost what they cost in production (64 MiB, a tenth of a second), so
    that unbounded ones would overlap (tests/kit/quickhash.py makes them cheap elsewhere)."""
    quick = vault._HASHER
    quickhash.install(vault.PasswordHasher())
    yield
    quickhash.install(quick)


@pytest.fixture
def live(app):
    with serve(app, limits=PATIENT) as url:
        yield port_of(url)


class _Hasher:
    """The real argon2 hasher, reporting each verification as it starts and ends."""

    def __init__(self, enter, leave=lambda: None) -> None:
        self.real = vault.PasswordHasher()
        self.enter, self.leave = enter, leave

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        self.enter()
        try:
            return self.real.verify(hashed, password)
        finally:
            self.leave()


def _basic(user: tuple[str, str]) -> str:
    import base64

    return "Basic " + base64.b64encode(("%s:%s" % user).encode()).decode()


def _ask(port: int, request: bytes, source: str = "127.0.0.1") -> bytes:
    """Send a head (and maybe part of a body); the answer, read until the server closes."""
    s = connect(port, source)
    s.sendall(request)
    try:
        return until_closed(s)
    finally:
        s.close()


def test_an_unauthenticated_api_body_is_never_read(live, users):
    for length in (1000, 300_000_000):
        answer = _ask(live, head("POST", "/api/terminals", {"content-length": str(length),
                                  "content-type": "application/json"}))  # fmt: skip
        assert status(answer) in (401, 413), answer
        assert b"connection: close" in answer.lower()


def test_a_viewer_cannot_make_the_collector_read_a_body_either(live, users):
    for path, kind in (
        ("/api/residents/import", "text/csv"),
        ("/api/terminals", "application/json"),
    ):
        answer = _ask(live, head("POST", path, {"content-length": str(60_000),
                                                "authorization": _basic(VIEWER),
                                                "content-type": kind}))  # fmt: skip
        assert status(answer) == 403


def test_body_limits_by_content_length_before_reading(live, users):
    auth = {"authorization": _basic(ADMIN)}
    for method, path, limit, extra in (
        ("POST", "/v1/batches", MAX_BODY, {}),
        ("POST", "/api/terminals", 64 * 1024, auth),
        ("POST", "/api/residents/import", IMPORT_BODY, auth),
        ("POST", "/dashboard/login", LOGIN_BODY, {}),
        ("GET", "/api/terminals", 0, auth),
        ("GET", "/healthz", 0, {}),
    ):
        hdrs = {"content-length": str(limit + 1), **extra}
        assert status(_ask(live, head(method, path, hdrs))) == 413, path


def test_a_chunked_body_is_cut_as_it_passes_the_limit(live, users):
    s = connect(live)
    s.sendall(head("POST", "/v1/batches", {"transfer-encoding": "chunked"}))
    chunk = b"%x\r\n%s\r\n" % (4096, b"\0" * 4096)
    answer = b""
    try:
        for _ in range(MAX_BODY // 4096 + 2):
            s.sendall(chunk)
        answer = until_closed(s)  # no end chunk: only the limit can have answered
    except ConnectionResetError:
        pass
    s.close()
    assert answer == b"" or status(answer) == 413


def test_an_oversized_terminal_body_answers_413_over_the_api_too(client):
    r = client.post("/v1/batches", content=b"\0" * (MAX_BODY + 1))
    assert r.status_code == 413
    assert r.headers["x-content-type-options"] == "nosniff"


def test_too_many_header_lines(client):
    headers = {f"x-h{i}": "1" for i in range(MAX_HEADERS + 1)}
    assert client.get("/healthz", headers=headers).status_code == 431
    assert client.get("/healthz", headers=dict(list(headers.items())[:20])).status_code == 200


def test_dashboard_forms_are_url_encoded_only(client):
    files = {"upload": ("big.bin", b"x" * 1000, "application/octet-stream")}
    assert client.post("/dashboard/login", files=files).status_code == 415
    r = client.post("/dashboard/login", content=b"{}", headers={"content-type": "text/plain"})
    assert r.status_code == 415
    r = client.post("/dashboard/review/mark", data={"note": "x" * 20_000})
    assert r.status_code == 413


def test_every_response_carries_nosniff(client, users):
    auth = ADMIN
    for r in (
        client.get("/healthz"),
        client.get("/nowhere"),
        client.put("/healthz"),
        client.get("/api/terminals"),
        client.get("/api/terminals", auth=auth),
        client.get("/api/reports/health", params={"format": "csv"}, auth=auth),
        client.get("/openapi.json"),
        client.get("/dashboard/login"),
        client.get("/dashboard/static/app.css"),
        client.post("/v1/batches", content=b"junk"),
        client.post("/v1/batches", content=b"\0" * (MAX_BODY + 1)),
    ):
        assert r.headers.get("x-content-type-options") == "nosniff", r.request.url


def test_basic_auth_is_throttled_per_user_and_per_address(client, users):
    for _ in range(5):
        assert client.get("/api/me", auth=(ADMIN[0], "wrong")).status_code == 401
    r = client.get("/api/me", auth=ADMIN)  # right password, but that pair is throttled
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    for i in range(15):  # 20 failures from this address in all ...
        assert client.get("/api/me", auth=(f"nobody{i}", "wrong")).status_code == 401
    assert client.get("/api/me", auth=VIEWER).status_code == 429  # ... block every name


def test_bearer_guessing_is_throttled_per_address(client, collector, users):
    token = accounts.issue_token(collector, ADMIN[0])
    for i in range(20):
        r = client.get("/api/me", headers={"Authorization": f"Bearer guess{i}"})
        assert r.status_code == 401
    r = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 429


def test_unknown_and_known_users_cost_one_password_check_each(client, users, monkeypatch):
    calls = []
    monkeypatch.setattr(vault, "_HASHER", _Hasher(lambda: calls.append(1)))
    vault.verify_password(None, "warm-up")  # the dummy hash of unknown users is made once
    calls.clear()
    assert client.get("/api/me", auth=("nobody-at-all", "x" * 12)).status_code == 401
    assert len(calls) == 1
    assert client.get("/api/me", auth=(ADMIN[0], "not-the-password")).status_code == 401
    assert len(calls) == 2
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/dashboard/login").text)
    form = {"csrf": csrf.group(1), "username": "nobody-either", "password": "y" * 9}
    assert client.post("/dashboard/login", data=form).status_code == 401
    assert len(calls) == 3


def test_concurrent_password_checks_are_bounded(real_argon2, app, users, monkeypatch):
    active = {"now": 0, "most": 0}
    lock = threading.Lock()

    def enter():
        with lock:
            active["now"] += 1
            active["most"] = max(active["most"], active["now"])

    def leave():
        with lock:
            active["now"] -= 1

    monkeypatch.setattr(vault, "_HASHER", _Hasher(enter, leave))
    codes = []

    def guess(i: int) -> None:
        with httpx.Client(timeout=60) as h:
            r = h.get(url + "/api/me", auth=(f"guess{i}", "wrong-password"))
            with lock:
                codes.append(r.status_code)

    with serve(app) as url:
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(codes) == 40 and set(codes) <= {401, 429, 503}
    assert 1 <= active["most"] <= 2
