# db: the collector's database connection (SQLite or PostgreSQL) and its transactions.
# SPDX-License-Identifier: MIT
"""One ``Database`` per collector process; SQL is written once with ``?`` placeholders.

    db = Database.open("hadir.db")                  # SQLite file (WAL), or
    db = Database.open("postgresql://u@h/hadir")    # PostgreSQL through psycopg 3
    with db.write() as tx:                          # one transaction: BEGIN IMMEDIATE on SQLite
        tx.run("INSERT ...", (1, 2))
    with db.read() as tx:
        rows = tx.all("SELECT ...", ())

SQLite has exactly one writer: ``write()`` holds a process-wide lock around ``BEGIN IMMEDIATE``
… ``COMMIT`` on the single writer connection, so concurrent uploads queue instead of failing with
"database is locked". Readers take a connection from a pool of at most ``_READERS`` (never the
writer's lock: WAL lets them read the last commit while the writer works; a fixed pool, so a burst
of reader threads does not leave file descriptors behind). On PostgreSQL reads and writes have a
pool each (readers: one REPEATABLE READ snapshot, read-only); writers that touch the same terminal
serialise on ``SELECT … FOR UPDATE`` of its row (``sync.store.terminals.lock_terminal``); a
connection the server dropped is not reused. Only ``sync/store/`` modules call ``tx`` methods;
the service owns the transaction.

Durability: an acknowledged batch must survive a power cut (the terminal reclaims its flash once
told). SQLite runs WAL with ``synchronous=FULL`` (the WAL is synced at every commit; NORMAL
would sync only at checkpoints); PostgreSQL connections set ``synchronous_commit=on`` whatever
the server's default (and the server must keep ``fsync=on``, its default). ``health`` keeps
whether the last writes reached the database; ``probe`` answers ``GET /healthz``.
"""

from __future__ import annotations

import contextlib
import queue
import re
import select
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

Row = tuple[Any, ...]

_PG_POOL = 8


class BadText(ValueError):
    """A text parameter holding a NUL character: PostgreSQL cannot store one, so neither backend
    takes it (the HTTP layer answers 400)."""


def _params(params: Sequence[Any]) -> tuple[Any, ...]:
    out = tuple(params)
    for p in out:
        if isinstance(p, str) and "\x00" in p:
            raise BadText("teks berisi karakter NUL / text contains a NUL character")
    return out


class Tx:
    """One open transaction; ``kind`` is "sqlite" or "postgres" for the few dialect branches."""

    def __init__(self, conn: Any, kind: str) -> None:
        self.conn = conn
        self.kind = kind

    def _sql(self, sql: str) -> str:
        return _pg_sql(sql) if self.kind == "postgres" else sql

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        cur = self.conn.execute(self._sql(sql), _params(params))
        return cur.rowcount

    def run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """One statement for each parameter row (pipelined on PostgreSQL)."""
        if not rows:
            return
        if self.kind == "postgres":
            with self.conn.cursor() as cur:
                cur.executemany(self._sql(sql), [_params(r) for r in rows])
        else:
            self.conn.executemany(sql, [_params(r) for r in rows])

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return [tuple(r) for r in self.conn.execute(self._sql(sql), _params(params)).fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row = self.conn.execute(self._sql(sql), _params(params)).fetchone()
        return tuple(row) if row is not None else None

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.one(sql, params)
        return row[0] if row else None

    def insert_id(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an INSERT into a table with an ``id`` key and return the new id."""
        if self.kind == "postgres":
            row = self.conn.execute(self._sql(sql) + " RETURNING id", _params(params)).fetchone()
            return int(row[0])
        return int(self.conn.execute(sql, _params(params)).lastrowid)

    def copy(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        if self.kind == "postgres":
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            self.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )


def ping(tx: Tx) -> None:
    """Raises if the database does not answer."""
    tx.value("SELECT 1")


def where_in(column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    """``AND column IN (?, …)`` and its parameters; nothing when ``ids`` is None (no filter)."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join('?' for _ in ids)})", list(ids)


_PLACEHOLDER = re.compile(r"\?")
_PG_CACHE: dict[str, str] = {}


def _pg_sql(sql: str) -> str:
    out = _PG_CACHE.get(sql)
    if out is None:
        out = _PLACEHOLDER.sub("%s", sql.replace("%", "%%"))
        _PG_CACHE[sql] = out
    return out


class DatabaseError(Exception):
    """The database cannot be opened or its URL is not understood."""


_PROBE = (
    "INSERT INTO meta (key, value) VALUES ('write_probe', ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
_READERS = 8  # reader connections per process at most (SQLite), or per pool (PostgreSQL)


class WriteHealth:
    """What the write attempts said (``time.monotonic`` times): writes are failing when the last
    attempt failed or one failed within ``RECENT_S``. Plain assignments only: no lock needed."""

    RECENT_S = 60.0

    def __init__(self) -> None:
        self.last_failed = float("-inf")
        self.last_ok = float("-inf")
        self.last_attempt_failed = False
        self.probed = float("-inf")

    def ok(self, now: float) -> None:
        self.last_ok = now
        self.last_attempt_failed = False

    def failed(self, now: float) -> None:
        self.last_failed = now
        self.last_attempt_failed = True

    def failing(self, now: float) -> bool:
        return self.last_attempt_failed or now - self.last_failed < self.RECENT_S


class Database:
    """``prepare=False``: PostgreSQL behind a pooler in transaction mode (pgbouncer before 1.21,
    Debian 12's 1.18): each transaction may run on another server connection, which does not
    hold the statements psycopg prepared on this one after ``prepare_threshold`` (5) runs of a
    query ("prepared statement … does not exist"), or on one that another client's connection
    has prepared its own under the same name ("… already exists"), so none are prepared.
    Session state does not travel either: set ``synchronous_commit`` on the role
    (docs/scaling.md, item 1)."""

    def __init__(self, url: str, prepare: bool = True) -> None:
        self.url = url
        self.prepare = prepare
        self.kind = "postgres" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        self.health = WriteHealth()
        self._write_lock = threading.Lock()
        self._local = threading.local()  # the read transaction this thread is in, if any
        self._pool_lock = threading.Lock()
        self._idle: dict[str, queue.LifoQueue[Any]] = {
            "r": queue.LifoQueue(),
            "w": queue.LifoQueue(),
        }
        self._open: dict[str, list[Any]] = {"r": [], "w": []}
        self._count = {"r": 0, "w": 0}  # connections open or being opened, per pool
        self._writer: Any = None
        if self.kind == "sqlite":
            self._writer = self._sqlite_conn(writer=True)
        else:
            self._count["w"] = 1
            self._idle["w"].put(self._new("w"))

    @classmethod
    def open(cls, url: str, prepare: bool = True) -> Database:
        return cls(url, prepare)

    # --- connections ---------------------------------------------------------------------------

    def _sqlite_conn(self, writer: bool) -> sqlite3.Connection:
        path = self.url[len("sqlite:///") :] if self.url.startswith("sqlite:///") else self.url
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite database {path}: {exc}") from exc
        if writer:
            # WAL: readers see the last commit while the writer works. synchronous=FULL: in WAL
            # mode NORMAL syncs only at checkpoints, so a power cut can undo transactions that
            # were committed, and the terminal was told its batch is stored and has reclaimed
            # its flash. FULL syncs the WAL at every commit.
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        if not writer:
            conn.execute("PRAGMA query_only=ON")
        return conn

    def _pg_conn(self, role: str) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=False)
            if not self.prepare:
                conn.prepare_threshold = None
            # A commit returns once the WAL is on disk, whatever the server's default (a
            # database or role may say otherwise): the terminal reclaims what we acknowledge.
            conn.execute("SET synchronous_commit TO on")
            conn.commit()
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL: {exc}") from exc
        if role == "r":
            # One snapshot for the whole read, and never a write through a reader.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        return conn

    def _new(self, role: str) -> Any:
        conn = self._pg_conn(role) if self.kind == "postgres" else self._sqlite_conn(False)
        with self._pool_lock:
            self._open[role].append(conn)
        return conn

    def _take(self, role: str) -> Any:
        """An idle connection of the pool, a new one while fewer than ``_READERS`` are open (the
        slot is taken under the lock, so a burst of threads cannot overshoot), or the next one
        given back."""
        while True:
            try:
                conn = self._idle[role].get_nowait()
            except queue.Empty:
                break
            if self.kind == "sqlite" or _idle_and_alive(conn):
                return conn
            self._drop(role, conn)
        with self._pool_lock:
            room = self._count[role] < _READERS
            if room:
                self._count[role] += 1
        if not room:
            return self._idle[role].get()
        try:
            return self._new(role)
        except BaseException:
            with self._pool_lock:
                self._count[role] -= 1
            raise

    def _give_back(self, role: str, conn: Any) -> None:
        if self.kind == "postgres" and (conn.closed or conn.broken):
            self._drop(role, conn)  # a server restart or a killed backend: a new one next time
            return
        self._idle[role].put(conn)

    def _drop(self, role: str, conn: Any) -> None:
        with self._pool_lock:
            self._count[role] -= 1
            if conn in self._open[role]:
                self._open[role].remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    @contextlib.contextmanager
    def _pg_tx(self, role: str) -> Iterator[Tx]:
        conn = self._take(role)
        try:
            try:
                yield Tx(conn, "postgres")
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.rollback()
                raise
            conn.commit()
        finally:
            self._give_back(role, conn)

    # --- transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction; committed when the block ends, rolled back on an exception.
        Whether it reached the disk is kept in ``health`` (``GET /healthz``)."""
        try:
            if self.kind == "postgres":
                with self._pg_tx("w") as tx:
                    yield tx
            else:
                with self._write_lock:
                    conn = self._writer
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        yield Tx(conn, "sqlite")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                    conn.execute("COMMIT")
        except driver_errors() as exc:
            self.health.failed(time.monotonic())
            raise exc
        self.health.ok(time.monotonic())

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A consistent read (one snapshot) for reports and lookups, on a pooled reader
        connection: it never waits for the writer. A read inside a read of the same thread is
        the same snapshot."""
        current = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        if self.kind == "postgres":
            with self._pg_tx("r") as tx:
                self._local.tx = tx
                try:
                    yield tx
                finally:
                    self._local.tx = None
            return
        conn = self._take("r")
        try:
            conn.execute("BEGIN")
            tx = self._local.tx = Tx(conn, "sqlite")
            try:
                yield tx
            finally:
                self._local.tx = None
                conn.execute("COMMIT")
        finally:
            self._give_back("r", conn)

    def probe(self, every_s: float = 30) -> bool:
        """Whether writes work: what the recent writes said, and a small write of our own when
        none was tried for ``every_s`` (at most one a period, however often it is asked)."""
        h = self.health
        now = time.monotonic()
        quiet = now - max(h.last_ok, h.last_failed) >= every_s
        if quiet and now - h.probed >= every_s:
            h.probed = now
            with contextlib.suppress(Exception), self.write() as tx:
                tx.run(_PROBE, (str(int(time.time())),))
        return not h.failing(time.monotonic())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        with self._pool_lock:
            conns = self._open["r"] + self._open["w"]
            self._open = {"r": [], "w": []}
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()


def _idle_and_alive(conn: Any) -> bool:
    """An idle PostgreSQL connection the server has said nothing on since: a server that ended
    the session (a restart, ``pg_terminate_backend``) has sent its notice or closed the socket,
    which makes it readable. No round trip: a zero-timeout ``select``."""
    if conn.closed or conn.broken:
        return False
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


def driver_errors() -> tuple[type[BaseException], ...]:
    """The drivers' errors that mean the database cannot take a write now (disk full, I/O error,
    read-only, the server gone), as opposed to a statement it refused (a bug: a 500)."""
    try:
        import psycopg
        from psycopg import errors
    except ImportError:  # pragma: no cover - psycopg is a collector dependency
        return _DRIVER_ERRORS
    return (*_DRIVER_ERRORS, psycopg.OperationalError, psycopg.InterfaceError,
            errors.ReadOnlySqlTransaction)  # fmt: skip


_DRIVER_ERRORS = (sqlite3.OperationalError, DatabaseError)
