# store_reports: the read-only SQL behind the collector's reports.
# SPDX-License-Identifier: MIT
"""Aggregations over ``records`` joined with the registry; ``sync.service_reports`` shapes them.

Local days: ``(wall_time + utc_offset_s) / 86400`` (integer division on both dialects).
"""

from __future__ import annotations

from sync.store_db import Tx

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


def last_tap_by_token(tx: Tx, until: int) -> list[tuple]:
    """(rusun_id, token, last wall_time) of taps up to ``until``."""
    return tx.all(
        "SELECT t.rusun_id, rec.payload, MAX(rec.wall_time) FROM records rec"
        " JOIN terminals t ON t.id = rec.terminal_id"
        " WHERE rec.kind = ? AND rec.wall_time IS NOT NULL AND rec.wall_time <= ?"
        " GROUP BY t.rusun_id, rec.payload",
        (_TAP, until),
    )


def registry(tx: Tx, rusun_id: int | None) -> list[tuple]:
    """(resident_id, unit name, rusun name, rusun_id, registered_at, token, card status)."""
    sql = (
        "SELECT p.resident_id, u.name, r.name, r.id, p.registered_at, c.token, c.status"
        " FROM residents p JOIN units u ON u.id = p.unit_id JOIN rusun r ON r.id = p.rusun_id"
        " LEFT JOIN cards c ON c.resident_id = p.resident_id"
    )
    params: tuple = ()
    if rusun_id is not None:
        sql += " WHERE p.rusun_id = ?"
        params = (rusun_id,)
    return tx.all(sql + " ORDER BY p.resident_id", params)


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
