# store_dashboard: the SQL behind the dashboard's pages, and its review-mark audit table.
# SPDX-License-Identifier: MIT
"""Read queries over the collector's tables (``sync/store_schema.py``) plus one table of its own,
``review_marks``, an append-only audit trail (a mark is never updated or deleted).

All functions take an open ``Tx``; the service owns the transaction. Times are Unix seconds; a
"local day" is ``(t + 7 h) // 1 day`` (Asia/Jakarta is UTC+7, no daylight saving), the same
integer on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from firmware import wire
from sync.store_db import Row, Tx

LOCAL_OFFSET_S = 7 * 3600
DAY_S = 86400
_CARD_KINDS = (wire.TAP, wire.DENIED)

_TABLES = """
CREATE TABLE IF NOT EXISTS review_marks (
    id {serial},
    subject_kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    reasons TEXT NOT NULL,
    note TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_marks_subject ON review_marks (subject_kind, subject_key)
"""
_DIALECT = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT"},
    "postgres": {"serial": "BIGSERIAL PRIMARY KEY"},
}


def create(tx: Tx) -> None:
    """Create the dashboard's own table (idempotent)."""
    for stmt in _TABLES.format(**_DIALECT[tx.kind]).split(";"):
        if stmt.strip():
            tx.run(stmt.strip())


def _in(ids: list[int] | None, column: str) -> tuple[str, list[Any]]:
    """``AND column IN (?, …)`` for a rusun filter; nothing when ``ids`` is None (all rusun)."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join('?' for _ in ids)})", list(ids)


# --- registry -----------------------------------------------------------------------------------


def rusun_all(tx: Tx) -> list[Row]:
    """(id, name) of every rusun, by name."""
    return tx.all("SELECT id, name FROM rusun ORDER BY name")


def registered_per_rusun(tx: Tx) -> dict[int, int]:
    rows = tx.all("SELECT rusun_id, COUNT(*) FROM residents GROUP BY rusun_id")
    return {int(r[0]): int(r[1]) for r in rows}


def registry(tx: Tx, rusun_ids: list[int] | None) -> list[Row]:
    """(resident_id, name, unit, rusun_id, rusun, registered_at, card_id, card_status) per card
    (a resident without a card appears once with card_id None)."""
    where, params = _in(rusun_ids, "r.rusun_id")
    return tx.all(
        "SELECT r.resident_id, r.name, u.name, r.rusun_id, ru.name, r.registered_at, c.id, "
        "c.status FROM residents r JOIN units u ON u.id = r.unit_id "
        "JOIN rusun ru ON ru.id = r.rusun_id LEFT JOIN cards c ON c.resident_id = r.resident_id "
        "WHERE 1 = 1" + where + " ORDER BY ru.name, u.name, r.resident_id",
        params,
    )


def resident(tx: Tx, resident_id: str) -> Row | None:
    """(resident_id, name, unit, rusun_id, rusun, registered_at, unit_id)."""
    return tx.one(
        "SELECT r.resident_id, r.name, u.name, r.rusun_id, ru.name, r.registered_at, u.id "
        "FROM residents r JOIN units u ON u.id = r.unit_id JOIN rusun ru ON ru.id = r.rusun_id "
        "WHERE r.resident_id = ?",
        (resident_id,),
    )


def unit_members(tx: Tx, unit_id: int) -> list[Row]:
    return tx.all(
        "SELECT resident_id, name FROM residents WHERE unit_id = ? ORDER BY resident_id",
        (unit_id,),
    )


def resident_cards(tx: Tx, resident_id: str) -> list[Row]:
    """(card_id, status, enrolled_at, fingerprint)."""
    return tx.all(
        "SELECT id, status, enrolled_at, fingerprint FROM cards WHERE resident_id = ? ORDER BY id",
        (resident_id,),
    )


# --- taps ---------------------------------------------------------------------------------------

_TAPS = (
    "SELECT rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, rec.payload, "
    "(SELECT MIN(ct.card_id) FROM card_tokens ct WHERE ct.rusun_id = t.rusun_id "
    "AND ct.token = rec.payload) AS card_id "
    "FROM records rec JOIN terminals t ON t.id = rec.terminal_id "
    "WHERE rec.kind IN (?, ?) AND rec.wall_time >= ? AND rec.wall_time < ?"
)


def taps(tx: Tx, t0: int, t1: int, rusun_ids: list[int] | None) -> list[Row]:
    """(wall_time, rusun_id, terminal_id, kind, flags, token, card_id or None) for every dated
    card record (TAP or DENIED) in [t0, t1) at the given rusun's doors, by time."""
    where, params = _in(rusun_ids, "t.rusun_id")
    return tx.all(_TAPS + where + " ORDER BY rec.wall_time", [*_CARD_KINDS, t0, t1, *params])


def card_taps(tx: Tx, card_ids: list[int], t0: int, t1: int) -> list[Row]:
    """Like ``taps`` but only records of ``card_ids`` (at any rusun: through each card's token
    under that rusun's key)."""
    if not card_ids:
        return []
    marks = ", ".join("?" for _ in card_ids)
    return tx.all(
        "SELECT rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, rec.payload, "
        "ct.card_id FROM card_tokens ct JOIN terminals t ON t.rusun_id = ct.rusun_id "
        "JOIN records rec ON rec.terminal_id = t.id AND rec.payload = ct.token "
        f"WHERE ct.card_id IN ({marks}) AND rec.kind IN (?, ?) AND rec.wall_time >= ? "
        "AND rec.wall_time < ? ORDER BY rec.wall_time",
        [*card_ids, *_CARD_KINDS, t0, t1],
    )


def daily_taps(tx: Tx, t0: int, t1: int, rusun_ids: list[int] | None) -> list[Row]:
    """(local_day_number, rusun_id, taps) for TAP records in [t0, t1)."""
    where, params = _in(rusun_ids, "t.rusun_id")
    return tx.all(
        "SELECT (rec.wall_time + ?) / ? AS d, t.rusun_id, COUNT(*) FROM records rec "
        "JOIN terminals t ON t.id = rec.terminal_id "
        "WHERE rec.kind = ? AND rec.wall_time >= ? AND rec.wall_time < ?"
        + where
        + " GROUP BY d, t.rusun_id ORDER BY d",
        [LOCAL_OFFSET_S, DAY_S, wire.TAP, t0, t1, *params],
    )


def terminal_taps_between(tx: Tx, t0: int, t1: int) -> dict[int, int]:
    """{terminal_id: TAP records in [t0, t1)}."""
    rows = tx.all(
        "SELECT terminal_id, COUNT(*) FROM records WHERE kind = ? AND wall_time >= ? "
        "AND wall_time < ? GROUP BY terminal_id",
        (wire.TAP, t0, t1),
    )
    return {int(r[0]): int(r[1]) for r in rows}


# --- review marks -------------------------------------------------------------------------------


def mark_add(tx: Tx, kind: str, key: str, reasons: str, note: str, user: str, now: int) -> int:
    return tx.insert_id(
        "INSERT INTO review_marks (subject_kind, subject_key, reasons, note, user_name, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (kind, key, reasons, note, user, now),
    )


def marks(tx: Tx) -> list[Row]:
    """(id, subject_kind, subject_key, reasons, note, user_name, created_at), oldest first."""
    return tx.all(
        "SELECT id, subject_kind, subject_key, reasons, note, user_name, created_at "
        "FROM review_marks ORDER BY id"
    )
