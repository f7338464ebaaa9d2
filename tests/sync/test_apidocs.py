# /docs loads no script from anywhere (sync/apidocs.py) and can be switched off; and
# `python -m sync serve` itself serves HTTPS with --tls-cert/--tls-key (the deployed command).
# SPDX-License-Identifier: MIT
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

from fastapi.testclient import TestClient

from sync.app import create_app
from sync.settings import Settings
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT
from tests.kit.ports import free_port

TLS = ROOT / "tests" / "kit" / "tls"


def test_the_docs_page_holds_no_script_and_forbids_any(client):
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    page = r.text.lower()
    assert "<script" not in page and "javascript:" not in page
    assert re.findall(r"(?:src|href)=\"([^\"]+)\"", page) == ["/openapi.json"]
    assert "/v1/batches" in page and "/api/residents/import" in page
    assert client.get("/redoc").status_code == 404


def test_the_docs_can_be_switched_off(tmp_path):
    app = create_app(Settings(db=str(tmp_path / "c.db"), master_key=MASTER_KEY, api_docs=False))
    try:
        with TestClient(app) as client:
            assert client.get("/docs").status_code == 404
            assert client.get("/openapi.json").status_code == 404
            assert client.get("/healthz").status_code == 200
    finally:
        app.state.collector.db.close()


def _get(ctx: ssl.SSLContext, url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=60) as r:
            return r.status, dict(r.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


def test_serve_speaks_https_and_obeys_no_api_docs(tmp_path):
    port = free_port()
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=str(tmp_path / "c.db"))
    tls = ["--tls-cert", str(TLS / "server.pem"), "--tls-key", str(TLS / "server.key")]
    cmd = [sys.executable, "-m", "sync", "serve", "--port", str(port), "--no-api-docs", *tls]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    ctx = ssl.create_default_context(cafile=str(TLS / "ca.pem"))
    base = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers = _get(ctx, base + "/healthz")
                break
            except (urllib.error.URLError, ConnectionError, ssl.SSLError):
                assert proc.poll() is None and time.monotonic() < deadline, "did not start"
                time.sleep(0.2)
        assert status == 200 and headers["x-content-type-options"] == "nosniff"
        assert _get(ctx, base + "/docs")[0] == 404
        assert _get(ctx, base + "/openapi.json")[0] == 404
        with socket.create_connection(("127.0.0.1", port)) as plain:  # no plain HTTP
            plain.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            plain.settimeout(5)
            assert not plain.recv(100).startswith(b"HTTP/1.1 200")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_key_without_its_certificate():
    r = subprocess.run([sys.executable, "-m", "sync", "--db", "x.db", "serve",
                        "--tls-key", str(TLS / "server.key")], capture_output=True, text=True,
                       cwd=ROOT, timeout=60,
                       env=dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex()))  # fmt: skip
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0 and "--tls-cert" in r.stderr
