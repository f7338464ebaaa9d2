# normal: the SQL of what is normal: declared absences (izin), holidays, per-rusun thresholds.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); ``sync.service.normal`` owns the rules.
Absences are cancelled, never deleted; thresholds are append-only (the newest row of a rusun
and name holds; a NULL value goes back to the default), so both keep their history."""

from __future__ import annotations

from typing import NamedTuple

from sync.store.db import Tx, where_in


class Absence(NamedTuple):
    id: int
    resident_id: str
    first_day: int
    last_day: int
    kind: str
    note: str
    user_name: str
    created_at: int
    cancelled_at: int | None


class Holiday(NamedTuple):
    id: int
    day: int
    rusun_id: int | None
    name: str
    user_name: str
    created_at: int


class ThresholdRow(NamedTuple):
    id: int
    rusun_id: int
    name: str
    value: int | None
    user_name: str
    created_at: int


_ABSENCE = (
    "SELECT a.id, a.resident_id, a.first_day, a.last_day, a.kind, a.note, a.user_name,"
    " a.created_at, a.cancelled_at FROM absences a"
)


def add_absence(
    tx: Tx, resident_id: str, first: int, last: int, kind: str, note: str, user: str, now: int
) -> int:
    return tx.insert_id(
        "INSERT INTO absences (resident_id, first_day, last_day, kind, note, user_name,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (resident_id, first, last, kind, note, user, now),
    )


def absence(tx: Tx, absence_id: int) -> Absence | None:
    row = tx.one(_ABSENCE + " WHERE a.id = ?", (absence_id,))
    return Absence(*row) if row is not None else None


def cancel_absence(tx: Tx, absence_id: int, now: int) -> None:
    tx.run("UPDATE absences SET cancelled_at = ? WHERE id = ?", (now, absence_id))


def absences(tx: Tx, rusun_ids: list[int] | None, since: int = 0) -> list[Absence]:
    """Absences (cancelled ones too) of residents of the given rusun that end on or after
    ``since``, by first day."""
    where, params = where_in("r.rusun_id", rusun_ids)
    rows = tx.all(
        _ABSENCE
        + " JOIN residents r ON r.resident_id = a.resident_id WHERE a.last_day >= ?"
        + where
        + " ORDER BY a.first_day, a.id",
        [since, *params],
    )
    return [Absence(*r) for r in rows]


def absences_of(tx: Tx, resident_ids: list[str]) -> list[Absence]:
    if not resident_ids:
        return []
    marks = ", ".join("?" for _ in resident_ids)
    rows = tx.all(
        _ABSENCE + f" WHERE a.resident_id IN ({marks}) ORDER BY a.first_day, a.id", resident_ids
    )
    return [Absence(*r) for r in rows]


def add_holiday(tx: Tx, day: int, rusun_id: int | None, name: str, user: str, now: int) -> int:
    return tx.insert_id(
        "INSERT INTO holidays (day, rusun_id, name, user_name, created_at) VALUES (?, ?, ?, ?, ?)",
        (day, rusun_id, name, user, now),
    )


def holidays(tx: Tx) -> list[Holiday]:
    rows = tx.all(
        "SELECT id, day, rusun_id, name, user_name, created_at FROM holidays ORDER BY day, id"
    )
    return [Holiday(*r) for r in rows]


def delete_holiday(tx: Tx, holiday_id: int) -> None:
    tx.run("DELETE FROM holidays WHERE id = ?", (holiday_id,))


def add_threshold(
    tx: Tx, rusun_id: int, name: str, value: int | None, user: str, now: int
) -> None:
    tx.run(
        "INSERT INTO thresholds (rusun_id, name, value, user_name, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (rusun_id, name, value, user, now),
    )


def threshold_rows(tx: Tx, rusun_ids: list[int] | None) -> list[ThresholdRow]:
    """Every threshold change of the given rusun, oldest first (the trail)."""
    where, params = where_in("rusun_id", rusun_ids)
    rows = tx.all(
        "SELECT id, rusun_id, name, value, user_name, created_at FROM thresholds WHERE 1 = 1"
        + where
        + " ORDER BY id",
        params,
    )
    return [ThresholdRow(*r) for r in rows]


def overrides(tx: Tx) -> dict[int, dict[str, int]]:
    """{rusun id: {name: value}}: the newest value of each threshold an admin set."""
    out: dict[int, dict[str, int]] = {}
    for row in threshold_rows(tx, None):
        values = out.setdefault(row.rusun_id, {})
        if row.value is None:
            values.pop(row.name, None)
        else:
            values[row.name] = int(row.value)
    return out
