# Browser-test fixtures: the real collector app on a seeded SQLite file, served by uvicorn on a
# free 127.0.0.1 port, and Debian's Chromium driven headless by Playwright.
# SPDX-License-Identifier: MIT
import pathlib
import socket
import threading

import pytest
import uvicorn

from sync.app import create_app
from sync.settings import Settings
from tests.kit import seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SHOTS = pathlib.Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """(app, seeded): create_app on a fresh SQLite file, seeded through the collector service."""
    path = tmp_path_factory.mktemp("dash") / "hadir.db"
    clock = seed.Clock(seed.NOW)
    app = create_app(Settings(db=str(path), master_key=bytes(range(32)), clock=clock))
    seeded = seed.seed(app.state.collector, clock)
    yield app, seeded
    app.state.collector.db.close()


@pytest.fixture(scope="module")
def server(seeded_app):
    """Base URL of the app served by a real uvicorn on 127.0.0.1 (port chosen by the kernel)."""
    app, _seeded = seeded_app
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.started:
            break
        threading.Event().wait(0.02)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
