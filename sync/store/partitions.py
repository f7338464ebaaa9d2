# partitions: big tables by month of receipt on PostgreSQL: convert, months ahead, archive, detach.
# SPDX-License-Identifier: MIT
"""PostgreSQL only (SQLite stays one table: a single office never needs it). docs/scaling.md,
"Partitions". ``records``, ``health`` and ``blocks`` (``TABLES``) are partitioned the same way
(``partition_table(tx, table, now)``); ``health`` keeps its ``id`` sequence; each table gets
back every index and foreign key the schema gives it (``sync.store.schema``).

- ``partition_records(tx, now)``: the ``records`` table becomes ``PARTITION BY RANGE
  (received_at)``, one partition a UTC month (``records_YYYY_MM``) for every month it holds and
  the next ``AHEAD`` ones, and ``records_default`` for anything else; rows are moved in the same
  transaction. Its primary key becomes (terminal_id, gen, seq, received_at): PostgreSQL wants
  the partition key in it. Exactly-once does not rest on it: a batch's records are stored only
  for blocks not stored yet, and ``blocks``' key becomes (terminal_id, gen, seal_seq,
  received_at) too. What guards a duplicate then is the terminal's row lock: every batch's
  transaction takes it (``SELECT … FOR UPDATE``) before it reads the stored blocks the batch
  meets (an index scan of every partition), so a second copy of a batch waits for the first to
  commit and then finds its blocks stored (``sync.service.verify.confirm``).
- ``ensure_months(tx, now)``: the partitions of this month and the next ``AHEAD`` (the collector
  does it at every start; run ``python -m sync partitions`` monthly when processes run longer).
- ``archive_month(tx, table, month, path)``: the month's rows written to ``path`` (PostgreSQL's
  COPY text format, gzip) through this connection, for cheap storage.
- ``detach_month(tx, table, month)``: detach and drop that month's partition (True); False, and
  nothing changed, on SQLite, an unpartitioned table or a month without its own partition (the
  caller then deletes rows). The retention purge calls it; roll-ups are forgotten separately
  (``sync.store.rollups.forget_before``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re

from sync.store.db import Tx

AHEAD = 2
TABLES = ("records", "health", "blocks")
# Per table: its key without the partition key and the sequence of its id, if any. ``records``
# grows with taps (~40 M a day city-wide), ``health`` and ``blocks`` with sync rounds (190 and
# 160 rows a terminal-day measured, docs/scaling.md).
_SPEC: dict[str, tuple[str, str | None]] = {
    "records": ("terminal_id, gen, seq", None),
    "health": ("id", "health_id_seq"),
    "blocks": ("terminal_id, gen, seal_seq", None),
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _bounds(year: int, month: int) -> tuple[int, int]:
    lo = dt.datetime(year, month, 1, tzinfo=dt.timezone.utc)
    hi = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=dt.timezone.utc)
    return int(lo.timestamp()), int(hi.timestamp())


def _month_of(unix: int) -> tuple[int, int]:
    d = dt.datetime.fromtimestamp(unix, dt.timezone.utc)
    return d.year, d.month


def _next(year: int, month: int) -> tuple[int, int]:
    return (year + month // 12, month % 12 + 1)


def _name(table: str, year: int, month: int) -> str:
    return f"{table}_{year:04d}_{month:02d}"


def partitioned(tx: Tx, table: str = "records") -> bool:
    if tx.kind != "postgres":
        return False
    return bool(
        tx.value(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid"
            " WHERE c.relname = ? AND c.relnamespace = current_schema()::regnamespace",
            (table,),
        )
    )


def months(tx: Tx, table: str = "records") -> list[str]:
    """The months ("YYYY-MM") that have their own partition, in order."""
    if not partitioned(tx, table):
        return []
    rows = tx.all(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = ?"
        " AND p.relnamespace = current_schema()::regnamespace",
        (table,),
    )
    out = []
    for (name,) in rows:
        m = re.fullmatch(re.escape(table) + r"_(\d{4})_(\d{2})", name)
        if m:
            out.append(f"{m.group(1)}-{m.group(2)}")
    return sorted(out)


def _create_month(tx: Tx, table: str, year: int, month: int) -> None:
    lo, hi = _bounds(year, month)
    tx.run(
        f"CREATE TABLE IF NOT EXISTS {_name(table, year, month)} PARTITION OF {table}"
        f" FOR VALUES FROM ({lo}) TO ({hi})"
    )


def ensure_months(tx: Tx, now: int) -> None:
    """This month's partition and the next ``AHEAD`` ones exist (of each partitioned table)."""
    for table in TABLES:
        if not partitioned(tx, table):
            continue
        have = set(months(tx, table))
        year, month = _month_of(now)
        for _ in range(AHEAD + 1):
            if f"{year:04d}-{month:02d}" not in have:
                _create_month(tx, table, year, month)
            year, month = _next(year, month)


def partition_records(tx: Tx, now: int) -> int:
    """Convert ``records`` (PostgreSQL) to monthly partitions; returns the partitions made."""
    return partition_table(tx, "records", now)


def partition_table(tx: Tx, table: str, now: int) -> int:
    """Convert one of ``TABLES`` (PostgreSQL) to monthly partitions of ``received_at``, rows
    moved in this transaction; returns the partitions made (0: it already was)."""
    if tx.kind != "postgres":
        raise ValueError("partitions need PostgreSQL")
    if partitioned(tx, table):
        return 0
    key, sequence = _SPEC[table]
    old = f"{table}_unpartitioned"
    lo_hi = tx.one(f"SELECT MIN(received_at), MAX(received_at) FROM {table}")
    foreign = tx.all(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'"
        " AND conrelid = ?::regclass ORDER BY conname",
        (table,),
    )
    tx.run(f"ALTER TABLE {table} RENAME TO {old}")
    tx.run(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {table}_old_pkey")
    if sequence:  # the id's sequence outlives the old table: the new one's default uses it
        tx.run(f"ALTER SEQUENCE {sequence} OWNED BY NONE")
    tx.run(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS,"
        f" PRIMARY KEY ({key}, received_at)) PARTITION BY RANGE (received_at)"
    )
    tx.run(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    first = _month_of(lo_hi[0]) if lo_hi and lo_hi[0] is not None else _month_of(now)
    last = _month_of(max(now, lo_hi[1] or now))
    made, (year, month) = 0, first
    for _ in range(AHEAD):
        last = _next(*last)
    while (year, month) <= last:
        _create_month(tx, table, year, month)
        made += 1
        year, month = _next(year, month)
    tx.run(f"INSERT INTO {table} SELECT * FROM {old}")
    tx.run(f"DROP TABLE {old}")
    if sequence:
        tx.run(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    for (definition,) in foreign:
        tx.run(f"ALTER TABLE {table} ADD {definition}")
    for stmt in _indexes(table):  # after the old table's went with it: the names are free
        tx.run(stmt)
    return made


def _indexes(table: str) -> list[str]:
    """The schema's CREATE INDEX statements of ``table`` on PostgreSQL (a partial one too: the
    alert pass's ``records_events``), so a converted table has every index a fresh one has."""
    from sync.store import schema  # schema imports this module: import at use

    pattern = re.compile(rf"^CREATE INDEX IF NOT EXISTS \w+ ON {table} \(", re.MULTILINE)
    return [s for s in schema.statements("postgres") if pattern.search(s)]


def _parse(month: str) -> tuple[int, int]:
    m = _MONTH.match(month)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValueError(f"month must be YYYY-MM, not {month!r}")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str) -> tuple[int, int]:
    """[start, end) of a "YYYY-MM" month, Unix seconds: its partition's range."""
    return _bounds(*_parse(month))


def archive_month(tx: Tx, table: str, month: str, path: str) -> int:
    """Write the month's partition rows to ``path`` (gzip, COPY text); returns the rows."""
    year, mon = _parse(month)
    if table not in TABLES or month not in months(tx, table):
        raise ValueError(f"{table} has no partition for {month}")
    n = 0
    with gzip.open(path, "wb") as out, tx.conn.cursor() as cur:
        with cur.copy(f"COPY {_name(table, year, mon)} TO STDOUT") as cp:
            for chunk in cp:
                out.write(chunk)
                n += bytes(chunk).count(b"\n")
    return n


def detach_month(tx: Tx, table: str, month: str) -> bool:
    """Detach and drop the month's partition: True; False (nothing done) when there is none."""
    year, mon = _parse(month)
    if table not in TABLES or month not in months(tx, table):
        return False
    name = _name(table, year, mon)
    tx.run(f"ALTER TABLE {table} DETACH PARTITION {name}")
    tx.run(f"DROP TABLE {name}")
    return True
