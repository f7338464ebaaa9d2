# Browser-test fixtures: the real collector app on a seeded SQLite file, served by uvicorn on a
# free 127.0.0.1 port, and Chromium (found on PATH) driven headless by Playwright.
# SPDX-License-Identifier: MIT
import os

import pytest

from sync.app import create_app
from sync.settings import Settings
from tests.kit import prereq, seed
from tests.kit.liveserver import MASTER_KEY, serve
from tests.kit.paths import DOCS

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory):
    """(app, seeded): create_app on a fresh SQLite file, seeded through the collector service."""
    path = tmp_path_factory.mktemp("dash") / "hadir.db"
    clock = seed.Clock(seed.NOW)
    app = create_app(Settings(db=str(path), master_key=MASTER_KEY, clock=clock))
    seeded = seed.seed(app.state.collector, clock)
    yield app, seeded
    app.state.collector.db.close()


@pytest.fixture(scope="module")
def server(seeded_app):
    """Base URL of the app served by a real uvicorn on 127.0.0.1 (port chosen by the kernel)."""
    with serve(seeded_app[0]) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = prereq.chromium()
    if executable is None:
        prereq.missing("Chromium", "chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path):
    """Where the browser tests save their screenshots: a temporary folder, or docs/screenshots/
    when asked (``make screenshots``, i.e. HADIR_SCREENSHOTS=1), so a test run changes no file."""
    if os.environ.get("HADIR_SCREENSHOTS") == "1":
        (DOCS / "screenshots").mkdir(exist_ok=True)
        return DOCS / "screenshots"
    return tmp_path


@pytest.fixture(scope="module")
def casework_app(tmp_path_factory):
    """(app, seeded) like ``seeded_app``, with the office's register imported and a few
    lifecycle changes (``seed.seed_register``): the register and case-work pages."""
    path = tmp_path_factory.mktemp("cases") / "hadir.db"
    clock = seed.Clock(seed.NOW)
    app = create_app(Settings(db=str(path), master_key=MASTER_KEY, clock=clock))
    seeded = seed.seed(app.state.collector, clock)
    seed.seed_register(seeded)
    yield app, seeded
    app.state.collector.db.close()


@pytest.fixture(scope="module")
def casework_server(casework_app):
    with serve(casework_app[0]) as base:
        yield base
