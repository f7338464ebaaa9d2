# store_reports: the read-only SQL behind the collector's reports.
# SPDX-License-Identifier: MIT
"""Aggregations over ``records`` joined with the registry; ``sync.service.reports`` shapes them.

Local days: ``(wall_time + utc_offset_s) / 86400`` (integer division on both dialects).
"""

from __future__ import annotations

from typing import Any

from sync.store.db import Row, Tx

_TAP = 1
_DENIED = 8


def presence(tx: Tx, offset_s: int, lo: int, hi: int, rusun_id: int | None) -> list[tuple]:
    """(rusun, day, residents, units, taps) for home-rusun taps with lo <= wall_time < hi."""
    sql = (
        "SELECT r.name, (rec.wall_time + ?) / 86400 AS d, COUNT(DISTINCT c.resident_id),"
        " COUNT(DISTINCT c.unit_id), COUNT(*) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id"
        " JOIN cards c ON c.rusun_id = t.rusun_id AND c.token = rec.payload"
        " JOIN rusun r ON r.id = t.rusun_id"
        " WHERE rec.kind = ? AND rec.wall_time >= ? AND rec.wall_time < ?"
    )
    params: list = [offset_s, _TAP, lo, hi]
    if rusun_id is not None:
        sql += " AND t.rusun_id = ?"
        params.append(rusun_id)
    return tx.all(sql + " GROUP BY r.name, d ORDER BY r.name, d", params)


def rusun_filter(ids: list[int] | None, column: str) -> tuple[str, list[Any]]:
    """``AND column IN (?, …)`` for a rusun filter; nothing when ``ids`` is None (all rusun)."""
    if ids is None:
        return "", []
    if not ids:
        return " AND 1 = 0", []
    return f" AND {column} IN ({', '.join('?' for _ in ids)})", list(ids)


def registry_cards(tx: Tx, rusun_ids: list[int] | None) -> list[Row]:
    """(resident_id, name, unit, rusun_id, rusun, registered_at, card_id, card_status) per card
    (a resident without a card appears once with card_id None)."""
    where, params = rusun_filter(rusun_ids, "r.rusun_id")
    return tx.all(
        "SELECT r.resident_id, r.name, u.name, r.rusun_id, ru.name, r.registered_at, c.id, "
        "c.status FROM residents r JOIN units u ON u.id = r.unit_id "
        "JOIN rusun ru ON ru.id = r.rusun_id LEFT JOIN cards c ON c.resident_id = r.resident_id "
        "WHERE 1 = 1" + where + " ORDER BY ru.name, u.name, r.resident_id",
        params,
    )


_CARD_RECORDS = (
    "SELECT rec.wall_time, t.rusun_id, rec.terminal_id, rec.kind, rec.flags, rec.payload, "
    "(SELECT MIN(ct.card_id) FROM card_tokens ct WHERE ct.rusun_id = t.rusun_id "
    "AND ct.token = rec.payload) AS card_id "
    "FROM records rec JOIN terminals t ON t.id = rec.terminal_id "
    "WHERE rec.kind IN (?, ?) AND rec.wall_time >= ? AND rec.wall_time < ?"
)


def card_records(tx: Tx, t0: int, t1: int, rusun_ids: list[int] | None) -> list[Row]:
    """(wall_time, rusun_id, terminal_id, kind, flags, token, card_id or None) for every dated
    card record (TAP or DENIED) in [t0, t1) at the given rusun's doors, by time."""
    where, params = rusun_filter(rusun_ids, "t.rusun_id")
    return tx.all(
        _CARD_RECORDS + where + " ORDER BY rec.wall_time", [_TAP, _DENIED, t0, t1, *params]
    )


def last_card_taps(tx: Tx, until: int) -> dict[int, int]:
    """{card_id: wall_time of its last TAP or DENIED record before ``until``, at any rusun}."""
    rows = tx.all(
        "SELECT ct.card_id, MAX(rec.wall_time) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id"
        " JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " WHERE rec.kind IN (?, ?) AND rec.wall_time IS NOT NULL AND rec.wall_time < ?"
        " GROUP BY ct.card_id",
        (_TAP, _DENIED, until),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def other_rusun(tx: Tx, offset_s: int, lo: int, hi: int) -> list[tuple]:
    """(resident_id, home rusun, seen at, taps, days, first, last) for cards tapped elsewhere."""
    return tx.all(
        "SELECT c.resident_id, hr.name, sr.name, COUNT(*),"
        " COUNT(DISTINCT (rec.wall_time + ?) / 86400), MIN(rec.wall_time), MAX(rec.wall_time)"
        " FROM records rec JOIN terminals t ON t.id = rec.terminal_id"
        " JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " JOIN cards c ON c.id = ct.card_id AND c.rusun_id <> t.rusun_id"
        " JOIN rusun hr ON hr.id = c.rusun_id JOIN rusun sr ON sr.id = t.rusun_id"
        " WHERE rec.kind IN (?, ?) AND rec.wall_time >= ? AND rec.wall_time < ?"
        " GROUP BY c.resident_id, hr.name, sr.name ORDER BY c.resident_id, sr.name",
        (offset_s, _TAP, _DENIED, lo, hi),
    )


def unknown_cards(tx: Tx, offset_s: int, lo: int, hi: int) -> list[tuple]:
    """(rusun, token, taps, days, first, last, max flags) of tokens no card of any rusun has;
    random UIDs (card flag 8) are left out: they change at every tap."""
    return tx.all(
        "SELECT r.name, rec.payload, COUNT(*), COUNT(DISTINCT (rec.wall_time + ?) / 86400),"
        " MIN(rec.wall_time), MAX(rec.wall_time) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id JOIN rusun r ON r.id = t.rusun_id"
        " LEFT JOIN card_tokens ct ON ct.rusun_id = t.rusun_id AND ct.token = rec.payload"
        " WHERE rec.kind IN (?, ?) AND ct.card_id IS NULL AND rec.flags < 8"
        " AND rec.wall_time >= ? AND rec.wall_time < ?"
        " GROUP BY r.name, rec.payload ORDER BY r.name, rec.payload",
        (offset_s, _TAP, _DENIED, lo, hi),
    )


def undated(tx: Tx, tid: int) -> int:
    return int(
        tx.value(
            "SELECT COUNT(*) FROM records WHERE terminal_id = ? AND wall_time IS NULL"
            " AND kind <> 0",
            (tid,),
        )
    )


def alert_count(tx: Tx, tid: int, since: int) -> int:
    return int(
        tx.value(
            "SELECT COUNT(*) FROM alerts WHERE terminal_id = ? AND created_at >= ?", (tid, since)
        )
    )


def clock_jumps(tx: Tx, tid: int) -> int:
    return int(
        tx.value("SELECT COUNT(*) FROM records WHERE terminal_id = ? AND clock_jump = 1", (tid,))
    )
