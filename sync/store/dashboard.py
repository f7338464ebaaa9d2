# store_dashboard: the SQL behind the dashboard's pages and its review marks.
# SPDX-License-Identifier: MIT
"""Read queries over the collector's tables (``sync/store/schema.py``), and the review marks
(``review_marks``, an append-only audit trail: a mark is never updated or deleted). The registry
and card-record queries the review queue also needs live in ``sync/store/reports.py``.

All functions take an open ``Tx``; the service owns the transaction. Times are Unix seconds; a
"local day" is ``(t + 7 h) // 1 day`` (Asia/Jakarta is UTC+7, no daylight saving), the same
integer on SQLite and PostgreSQL.
"""

from __future__ import annotations

from firmware import wire
from firmware.config import UTC_OFFSET_MIN
from sync.store import reports as store_reports
from sync.store.db import Row, Tx

LOCAL_OFFSET_S = UTC_OFFSET_MIN * 60
DAY_S = 86400
_CARD_KINDS = (wire.TAP, wire.DENIED)

_in = store_reports.rusun_filter
registry = store_reports.registry_cards
taps = store_reports.card_records


# --- registry -----------------------------------------------------------------------------------


def rusun_all(tx: Tx) -> list[Row]:
    """(id, name) of every rusun, by name."""
    return tx.all("SELECT id, name FROM rusun ORDER BY name")


def registered_per_rusun(tx: Tx) -> dict[int, int]:
    rows = tx.all("SELECT rusun_id, COUNT(*) FROM residents GROUP BY rusun_id")
    return {int(r[0]): int(r[1]) for r in rows}


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
