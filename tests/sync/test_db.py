# sync/store/db.py: acknowledged means synced, readers never wait for the writer, reader
# connections stay few, /healthz says "not ok" while writes fail, and nothing is prepared behind
# a transaction pooler. Both backends.
# SPDX-License-Identifier: MIT
import os
import threading
import time

import psycopg
import pytest
from fastapi.testclient import TestClient

from firmware import wire
from sync.app import create_app
from sync.service import admin
from sync.service.scope import OPERATOR
from sync.settings import Settings, SettingsError
from sync.store import db as dbmod
from tests.kit import pgbouncer, prereq
from tests.kit.collector_calls import day_of_taps, post, register, reply
from tests.kit.liveserver import MASTER_KEY

WAIT_S = 30  # safety net for a thread that never finishes; the assertions are about order


def _setting(tx, name: str):
    if tx.kind == "sqlite":
        return tx.value(f"PRAGMA {name}")
    return tx.value(f"SHOW {name}")


def test_a_commit_is_synced_before_it_is_acknowledged(collector):
    """SQLite: WAL with synchronous=FULL (2) on every connection. PostgreSQL: synchronous_commit
    on, although the test server's own default is off (tests/kit/pgserver.py)."""
    db = collector.db
    with db.write() as w:
        writer = _setting(w, "synchronous" if w.kind == "sqlite" else "synchronous_commit")
        mode = _setting(w, "journal_mode") if w.kind == "sqlite" else "wal"
    with db.read() as r:
        reader = _setting(r, "synchronous" if r.kind == "sqlite" else "synchronous_commit")
    if db.kind == "sqlite":
        assert (writer, reader, mode) == (2, 2, "wal")
    else:
        assert (writer, reader) == ("on", "on")


def test_readers_do_not_wait_for_the_writer(collector):
    db = collector.db
    holding, release = threading.Event(), threading.Event()

    def slow_write():
        with db.write() as tx:
            tx.run("INSERT INTO meta (key, value) VALUES ('slow', 'write')")
            holding.set()
            release.wait(WAIT_S)

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert holding.wait(WAIT_S)
    seen = []

    def read():
        with db.read() as tx:
            seen.append(tx.value("SELECT COUNT(*) FROM meta WHERE key = 'slow'"))

    readers = [threading.Thread(target=read) for _ in range(12)]  # new threads: new readers
    for t in readers:
        t.start()
    for t in readers:
        t.join(WAIT_S)
    finished_meanwhile = not any(t.is_alive() for t in readers)
    release.set()
    writer.join(WAIT_S)
    assert finished_meanwhile
    assert seen == [0] * 12  # the last commit, not the write in progress


def _db_fds(path: str) -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith(path):
                n += 1
        except OSError:
            pass
    return n


def _backends(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchone()[0]


def test_bursts_of_reader_threads_leave_no_connections_behind(collector, db_url):
    db = collector.db
    count = (lambda: _db_fds(db_url)) if db.kind == "sqlite" else (lambda: _backends(db_url))

    def read():
        with db.read() as tx:
            tx.value("SELECT COUNT(*) FROM terminals")

    before = count()
    for _ in range(8):
        burst = [threading.Thread(target=read) for _ in range(30)]
        for t in burst:
            t.start()
        for t in burst:
            t.join(WAIT_S)
    # At most one pool of readers more (each SQLite connection: the file, its WAL and shm).
    assert count() - before <= dbmod._READERS * (3 if db.kind == "sqlite" else 1)


def _end_sessions(conn, where: str, value) -> None:
    """pg_terminate_backend of those sessions, then wait until they are gone (the server ends
    them asynchronously; an event to wait for, with a safety net)."""
    sessions = "FROM pg_stat_activity WHERE " + where
    conn.execute("SELECT pg_terminate_backend(pid) " + sessions, (value,))
    for _ in range(400):
        if not conn.execute("SELECT COUNT(*) " + sessions, (value,)).fetchone()[0]:
            return
        time.sleep(0.05)


def _writes_fail(collector, db_url):
    """Make the database refuse writes as a read-only file (SQLite: the writer connection
    answers SQLITE_READONLY) or a read-only server (PostgreSQL) does; returns the undo."""
    db = collector.db
    if db.kind == "sqlite":
        db._writer.execute("PRAGMA query_only = ON")
        return lambda: db._writer.execute("PRAGMA query_only = OFF")
    base, name = db_url.split("?")[0].rsplit("/", 1)

    def database(setting: str) -> None:
        """Set the database's default for new sessions, and end the sessions it has (the
        collector's pool opens new ones, which take it)."""
        with psycopg.connect(base + "/postgres", autocommit=True) as conn:
            conn.execute(f"ALTER DATABASE {name} {setting}")
            _end_sessions(conn, "datname = %s", name)

    database("SET default_transaction_read_only = on")
    return lambda: database("RESET default_transaction_read_only")


def test_healthz_says_not_ok_while_writes_fail(client, collector, db_url):
    term = register(collector)
    assert client.get("/healthz").json()["status"] == "ok"
    undo = _writes_fail(collector, db_url)
    try:
        body = day_of_taps(term, taps=2000)
        r = post(client, body)  # nothing acknowledged: the terminal sends it again later
        assert r.status_code == 503 and int(r.headers["retry-after"]) > 0
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "not ok"
        # With no write for a while, healthz's own probe finds it (one probe a period at most).
        health = collector.db.health
        health.__init__()  # as if the last writes were long ago
        assert client.get("/healthz").status_code == 503
        assert health.probed > float("-inf")
    finally:
        undo()
    admin.add_terminal(collector, "Marunda", 9, scope=OPERATOR)  # a write that works again
    collector.db.health.last_failed = float("-inf")  # ... and the failures long past
    assert client.get("/healthz").json()["status"] == "ok"
    assert reply(term, body, post(client, body))[1] > 0


def test_postgres_pool_replaces_a_killed_connection(pg):
    if pg is None:
        prereq.missing("PostgreSQL's server (initdb, pg_ctl)", "postgresql")
    url = pg.new_schema()
    db = dbmod.Database.open(url)
    try:
        with db.write() as tx:
            pid = tx.value("SELECT pg_backend_pid()")
        with psycopg.connect(url.split("?")[0], autocommit=True) as conn:
            _end_sessions(conn, "pid = %s", pid)
        with db.write() as tx:  # a fresh connection, not the dead one
            assert tx.value("SELECT 1") == 1
            assert tx.value("SELECT pg_backend_pid()") != pid
    finally:
        db.close()


@pytest.fixture(scope="module")
def bouncer(pg):
    """Debian's PgBouncer (1.18 on Debian 12) in transaction mode in front of the test server."""
    if pg is None:
        prereq.missing("PostgreSQL's server (initdb, pg_ctl)", "postgresql")
    if pgbouncer.pgbouncer() is None:
        prereq.missing("PgBouncer", "pgbouncer")
    with pgbouncer.Bouncer(pg) as running:
        yield running


ROUNDS = 6  # each statement of an upload runs more often than psycopg's prepare_threshold (5)
TAPS = 3  # per batch


def _ingest_through(bouncer, clock, pooler: bool):
    """A collector on a fresh database reached only through ``bouncer``, two terminals uploading
    ``ROUNDS`` batches each. Returns (taps stored, the error the pooler caused or None)."""
    direct = bouncer.server.new_database()
    settings = Settings(db=bouncer.url(direct.rsplit("/", 1)[1]), master_key=MASTER_KEY,
                        clock=clock, pg_pooler=pooler)  # fmt: skip
    app = create_app(settings)
    collector = app.state.collector
    try:
        with TestClient(app) as client:
            terms = [register(collector, "Marunda", door) for door in (1, 2)]
            for _ in range(ROUNDS):
                for term in terms:
                    body = day_of_taps(term, taps=TAPS)
                    assert reply(term, body, post(client, body))[1] > 0
            with collector.db.read() as tx:
                return tx.value(f"SELECT COUNT(*) FROM records WHERE kind = {wire.TAP}"), None
    except (
        psycopg.errors.DuplicatePreparedStatement,
        psycopg.errors.InvalidSqlStatementName,
    ) as exc:
        return None, exc
    finally:
        collector.db.close()


def test_behind_a_transaction_pooler_nothing_is_prepared(bouncer, clock):
    """HADIR_PG_POOLER=transaction (``prepare=False``): the collector ingests through a real
    PgBouncer in transaction mode. By default psycopg prepares a statement after its fifth run
    (``prepare_threshold``) on the server connection it happens to hold, and pgbouncer before
    1.21 does not keep prepared statements apart per client ("How to use prepared statements
    with transaction pooling?", pgbouncer.org FAQ): the collector's writer and reader, two
    clients taking turns on one server connection, both name their first one ``_pg3_0``
    ("already exists"; on another server connection it would be "does not exist")."""
    stored, broken = _ingest_through(bouncer, clock, pooler=True)
    assert (stored, broken) == (ROUNDS * 2 * TAPS, None)
    stored, broken = _ingest_through(bouncer, clock, pooler=False)
    assert stored is None and broken is not None


@pytest.mark.parametrize(
    ("text", "pooler"),
    [(None, False), ("session", False), ("transaction", True), ("Transaction ", True)],
)
def test_the_pooler_setting_is_read_from_the_environment(monkeypatch, text, pooler):
    monkeypatch.setenv("HADIR_DB", "hadir.db")
    monkeypatch.setenv("HADIR_MASTER_KEY", "00" * 32)
    if text is None:
        monkeypatch.delenv("HADIR_PG_POOLER", raising=False)
    else:
        monkeypatch.setenv("HADIR_PG_POOLER", text)
    assert Settings.from_env().pg_pooler is pooler


def test_a_bad_pooler_setting_is_one_line(monkeypatch):
    monkeypatch.setenv("HADIR_DB", "hadir.db")
    monkeypatch.setenv("HADIR_MASTER_KEY", "00" * 32)
    monkeypatch.setenv("HADIR_PG_POOLER", "statement")
    with pytest.raises(SettingsError, match="HADIR_PG_POOLER=statement: session atau transaction"):
        Settings.from_env()
