# move: `python -m sync migrate-to-postgres` and `partitions`: moving the store to city scale.
# SPDX-License-Identifier: MIT
"""``to_postgres(sqlite_path, postgres_url)``: the source is brought to the current schema, the
target (an empty PostgreSQL database) gets it too, then every row is copied in one target
transaction (``sync.store.move``): a failure leaves the target empty. The source is only read.
The same master key opens both afterwards (secrets are copied sealed, never opened)."""

from __future__ import annotations

from sync.service.collector import Collector
from sync.store import move, schema
from sync.store import partitions as parts
from sync.store.db import Database


class MoveError(Exception):
    """The copy cannot start (wrong kinds of database, a target that is not empty)."""


def to_postgres(sqlite_path: str, postgres_url: str) -> dict[str, int]:
    """{table: rows copied}."""
    src, dst = Database.open(sqlite_path), None
    try:
        if src.kind != "sqlite":
            raise MoveError("sumber harus berkas SQLite / the source must be a SQLite file")
        dst = Database.open(postgres_url)
        if dst.kind != "postgres":
            raise MoveError("tujuan harus URL postgresql:// / the target must be postgresql://")
        for db in (src, dst):
            with db.write() as tx:
                schema.create(tx)
        with src.read() as s, dst.write() as d:
            try:
                return move.copy_all(s, d)
            except move.NotEmpty as exc:
                raise MoveError(
                    f"basis data tujuan tidak kosong ({exc}) / the target database is not "
                    f"empty ({exc})"
                ) from None
    finally:
        src.close()
        if dst is not None:
            dst.close()


def partitions(c: Collector, convert: bool) -> list[str]:
    """Partition ``records``, ``health`` and ``blocks`` by month (``convert``, once), keep the
    coming months; the months that have a partition (of ``records``)."""
    with c.db.write() as tx:
        if convert:
            for table in parts.TABLES:
                parts.partition_table(tx, table, c.now())
        elif not parts.partitioned(tx):
            raise ValueError(
                "records belum dipartisi (--convert, PostgreSQL) / records is not partitioned "
                "(--convert, PostgreSQL)"
            )
        parts.ensure_months(tx, c.now())
        return parts.months(tx)
