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
"database is locked". Readers use their own connection per thread (WAL lets them run alongside the
writer). On PostgreSQL each transaction takes a connection from a small pool; writers that touch
the same terminal serialise on ``SELECT … FOR UPDATE`` of its row (see
``sync.store.terminals.lock_terminal``). Only ``sync/store/`` modules call ``tx`` methods; the
service owns the transaction.
"""

from __future__ import annotations

import contextlib
import queue
import re
import sqlite3
import threading
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


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.kind = "postgres" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[Any] = []
        self._pool: queue.LifoQueue[Any] = queue.LifoQueue()
        self._all_pg: list[Any] = []
        self._writer: Any = None
        if self.kind == "sqlite":
            self._writer = self._sqlite_conn()
        else:
            self._pool.put(self._pg_conn())

    @classmethod
    def open(cls, url: str) -> Database:
        return cls(url)

    # --- connections ---------------------------------------------------------------------------

    def _sqlite_conn(self) -> sqlite3.Connection:
        path = self.url[len("sqlite:///") :] if self.url.startswith("sqlite:///") else self.url
        try:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open SQLite database {path}: {exc}") from exc
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _pg_conn(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, autocommit=False)
        except psycopg.Error as exc:
            raise DatabaseError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._all_pg.append(conn)
        return conn

    @contextlib.contextmanager
    def _pg_tx(self) -> Iterator[Tx]:
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._pg_conn() if len(self._all_pg) < _PG_POOL else self._pool.get()
        try:
            try:
                yield Tx(conn, "postgres")
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            self._pool.put(conn)

    # --- transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[Tx]:
        """One write transaction; committed when the block ends, rolled back on an exception."""
        if self.kind == "postgres":
            with self._pg_tx() as tx:
                yield tx
            return
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(conn, "sqlite")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A consistent read (one snapshot) for reports and lookups."""
        if self.kind == "postgres":
            with self._pg_tx() as tx:
                yield tx
            return
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._sqlite_conn()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        if conn.in_transaction:  # a read nested in another read of this thread: same snapshot
            yield Tx(conn, "sqlite")
            return
        conn.execute("BEGIN")
        try:
            yield Tx(conn, "sqlite")
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        for conn in self._readers + self._all_pg:
            with contextlib.suppress(Exception):
                conn.close()
        self._readers = []
        self._all_pg = []
