# Collector test wiring: the same tests run on SQLite (a fresh file each) and on a real,
# throwaway PostgreSQL server (one per session, on /dev/shm, a fresh schema each test).
# SPDX-License-Identifier: MIT
import pytest

from sync.app import create_app
from sync.settings import Settings
from tests.kit import pgserver, prereq, quickhash
from tests.kit.liveserver import MASTER_KEY


class FakeClock:
    """Settable wall clock (Unix seconds) so tests never depend on the real time. By default a
    few days after ``collector_calls.WALL``, the day the paper terminals' clocks say: the
    collector holds back records dated after its own time (docs/security.md, "Dates")."""

    def __init__(self, now: float = 1_797_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session", autouse=True)
def quick_argon2():
    """argon2id at 1 pass over 1 MiB instead of 3 over 64 MiB (tests/kit/quickhash.py)."""
    yield from quickhash.quick_argon2()


@pytest.fixture(scope="session")
def pg():
    if not pgserver.available():
        yield None
        return
    server = pgserver.PgServer.start(in_memory=True)
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "hadir.db")
    server = request.getfixturevalue("pg")
    if server is None:
        prereq.missing("PostgreSQL's server (initdb, pg_ctl)", "postgresql")
    return server.new_schema()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def settings(db_url, clock):
    return Settings(db=db_url, master_key=MASTER_KEY, clock=clock)


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    app.state.collector.db.close()


@pytest.fixture
def collector(app):
    """The service of the app under test (one database connection set per test)."""
    return app.state.collector


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as test_client:
        yield test_client
