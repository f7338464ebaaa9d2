# subject: the SQL of a data subject's rights: everything held about one resident, erasure.
# SPDX-License-Identifier: MIT
"""Reads for the residents' rights report (``sync.service.rights``) and the deletes of an
erasure. Erasure is the one place where the register's trail (``register_events``) and the
review marks lose rows' content: the law's right to erasure outranks "append-only" there; the
access audit keeps its rows (accountability), and names the resident only by id."""

from __future__ import annotations

from typing import Any

from firmware import wire
from sync.store.db import Tx


def _dicts(tx: Tx, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows as dicts keyed by the select list's names (``x.col``, ``… AS name``)."""
    head = sql[len("SELECT ") : sql.index(" FROM ")]
    names = [part.split()[-1].split(".")[-1] for part in head.split(",")]
    return [dict(zip(names, r)) for r in tx.all(sql, params)]


def identity(tx: Tx, resident_id: str) -> dict[str, Any] | None:
    found = _dicts(
        tx,
        "SELECT r.resident_id, r.name, u.name AS unit, u.id AS unit_id, s.name AS rusun,"
        " r.rusun_id, r.kind, r.relation, r.lease_holder, r.status, r.status_at, r.valid_until,"
        " r.registered_at FROM residents r JOIN units u ON u.id = r.unit_id"
        " JOIN rusun s ON s.id = r.rusun_id WHERE r.resident_id = ?",
        [resident_id],
    )
    return found[0] if found else None


def cards(tx: Tx, resident_id: str) -> list[dict[str, Any]]:
    return _dicts(tx, "SELECT id, status, enrolled_at, status_at, fingerprint, replaces FROM cards"
                  " WHERE resident_id = ? ORDER BY id", [resident_id])  # fmt: skip


def events(tx: Tx, resident_id: str, card_ids: list[int]) -> list[dict[str, Any]]:
    marks = ", ".join("?" for _ in card_ids) or "NULL"
    return _dicts(tx, "SELECT at, kind, detail, user_name, created_at FROM register_events"
                  f" WHERE resident_id = ? OR card_id IN ({marks}) ORDER BY at, id",
                  [resident_id, *card_ids])  # fmt: skip


def absences(tx: Tx, resident_id: str) -> list[dict[str, Any]]:
    return _dicts(tx, "SELECT first_day, last_day, kind, note, user_name, created_at,"
                  " cancelled_at FROM absences WHERE resident_id = ? ORDER BY first_day",
                  [resident_id])  # fmt: skip


def review_marks(tx: Tx, resident_id: str) -> list[dict[str, Any]]:
    return _dicts(tx, "SELECT subject_kind, reasons, note, user_name, created_at FROM"
                  " review_marks WHERE subject_key = ? ORDER BY id", [resident_id])  # fmt: skip


def cases(tx: Tx, unit_id: int) -> list[dict[str, Any]]:
    return _dicts(tx, "SELECT id, state, reasons, opened_at, closed_at FROM cases"
                  " WHERE unit_id = ? ORDER BY id", [unit_id])  # fmt: skip


def accesses(tx: Tx, resident_id: str) -> list[dict[str, Any]]:
    """Access-audit rows that name this resident (their page, their report, their data)."""
    return _dicts(tx, "SELECT at, user_name, via, kind, action FROM access_audit WHERE"
                  " target IN (?, ?) OR action = ? ORDER BY id",
                  [f"resident:{resident_id}", f"resident_id={resident_id}",
                   f"GET /dashboard/resident/{resident_id}"])  # fmt: skip


def erase(tx: Tx, resident_id: str, card_ids: list[int]) -> dict[str, int]:
    """Delete the resident's taps (through each card's tokens, at any rusun) and their daily
    roll-ups, cards, absences and review marks, blank the details of their register events,
    delete the resident row."""
    n: dict[str, int] = {}
    marks = ", ".join("?" for _ in card_ids) or "NULL"
    n["records"] = tx.run(
        "DELETE FROM records WHERE kind IN (?, ?) AND EXISTS (SELECT 1 FROM card_tokens ct"
        " JOIN terminals t ON t.rusun_id = ct.rusun_id WHERE t.id = records.terminal_id"
        f" AND ct.token = records.payload AND ct.card_id IN ({marks}))",
        [wire.TAP, wire.DENIED, *card_ids],
    )
    n["tap_days"] = tx.run(  # the roll-ups kept at ingest: by token, so the person's too
        "DELETE FROM tap_days WHERE EXISTS (SELECT 1 FROM card_tokens ct WHERE ct.rusun_id ="
        f" tap_days.rusun_id AND ct.token = tap_days.token AND ct.card_id IN ({marks}))",
        card_ids,
    )
    tx.run(  # counted with tap_days: the same rows
        "DELETE FROM tap_times WHERE EXISTS (SELECT 1 FROM card_tokens ct WHERE ct.rusun_id ="
        f" tap_times.rusun_id AND ct.token = tap_times.token AND ct.card_id IN ({marks}))",
        card_ids,
    )
    tx.run(f"DELETE FROM card_tokens WHERE card_id IN ({marks})", card_ids)
    n["cards"] = tx.run(f"DELETE FROM cards WHERE id IN ({marks})", card_ids)
    n["absences"] = tx.run("DELETE FROM absences WHERE resident_id = ?", [resident_id])
    n["review_marks"] = tx.run("DELETE FROM review_marks WHERE subject_key = ?", [resident_id])
    n["register_events"] = tx.run(
        f"UPDATE register_events SET detail = '' WHERE resident_id = ? OR card_id IN ({marks})",
        [resident_id, *card_ids],
    )
    n["residents"] = tx.run("DELETE FROM residents WHERE resident_id = ?", [resident_id])
    return n
