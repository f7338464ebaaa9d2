# Fixtures for the technician-tool tests: the device double, a write journal, a live collector.
# SPDX-License-Identifier: MIT
import os

import pytest

from tests.kit import quickhash
from tests.kit.liveserver import Collector
from tests.kit.technician import Device, journal_writes


@pytest.fixture(scope="session", autouse=True)
def quick_argon2():
    """argon2id at 1 pass over 1 MiB instead of 3 over 64 MiB (tests/kit/quickhash.py)."""
    yield from quickhash.quick_argon2()


@pytest.fixture(scope="session", autouse=True)
def patient_http():
    """The tools wait up to a minute for the test collector (a hang guard, not a speed check: a
    loaded machine once took more than the 10 s a technician gets); subprocesses inherit it."""
    os.environ["HADIR_HTTP_TIMEOUT_S"] = "60"
    yield
    del os.environ["HADIR_HTTP_TIMEOUT_S"]


@pytest.fixture
def write_history(monkeypatch):
    return journal_writes(monkeypatch)


@pytest.fixture
def device(tmp_path):
    dev = Device(tmp_path, cards=["classic1k:04A1B2C3"])
    yield dev
    dev.unplug()


@pytest.fixture
def collector_server(tmp_path):
    """The real collector app (SQLite file) served by uvicorn on 127.0.0.1, a free port."""
    with Collector(tmp_path) as server:
        yield server
