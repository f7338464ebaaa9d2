# cases: the SQL of field verification: cases, their steps, attachments, letter numbers.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service (``sync.service.cases``) owns the
transaction and the rules. ``case_steps`` is append-only: a case's history is never rewritten;
``cases.state`` is its newest step's state, kept for lists."""

from __future__ import annotations

from typing import NamedTuple

from sync.store.db import Tx, where_in


class Case(NamedTuple):
    id: int
    rusun_id: int
    unit_id: int
    state: str
    source: str
    reasons: str  # comma list of review reason codes
    opened_at: int
    opened_by: str
    updated_at: int
    closed_at: int | None


class Step(NamedTuple):
    id: int
    case_id: int
    state: str
    outcome: str | None
    day: int
    letter_no: str | None
    note: str
    visit_id: int | None
    user_name: str
    created_at: int


class FileInfo(NamedTuple):
    id: int
    case_id: int
    step_id: int | None
    name: str
    mime: str
    size: int
    sha256: bytes
    user_name: str
    created_at: int


_CASE = (
    "SELECT id, rusun_id, unit_id, state, source, reasons, opened_at, opened_by, updated_at,"
    " closed_at FROM cases"
)
_STEP = (
    "SELECT id, case_id, state, outcome, day, letter_no, note, visit_id, user_name, created_at"
    " FROM case_steps"
)
_FILE = (
    "SELECT id, case_id, step_id, name, mime, size, sha256, user_name, created_at FROM case_files"
)


def insert_case(
    tx: Tx,
    rusun_id: int,
    unit_id: int,
    state: str,
    source: str,
    reasons: str,
    user: str,
    now: int,
) -> int:
    return tx.insert_id(
        "INSERT INTO cases (rusun_id, unit_id, state, source, reasons, opened_at, opened_by,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (rusun_id, unit_id, state, source, reasons, now, user, now),
    )


def case(tx: Tx, case_id: int) -> Case | None:
    row = tx.one(_CASE + " WHERE id = ?", (case_id,))
    return Case(*row) if row is not None else None


def cases(tx: Tx, rusun_ids: list[int] | None, open_only: bool = False) -> list[Case]:
    where, params = where_in("rusun_id", rusun_ids)
    if open_only:
        where += " AND closed_at IS NULL"
    return [Case(*r) for r in tx.all(_CASE + " WHERE 1 = 1" + where + " ORDER BY id", params)]


def cases_of_flat(tx: Tx, unit_id: int) -> list[Case]:
    return [Case(*r) for r in tx.all(_CASE + " WHERE unit_id = ? ORDER BY id", (unit_id,))]


def lock_case(tx: Tx, case_id: int) -> Case | None:
    """The case row, locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    if tx.kind == "postgres":
        row = tx.one(_CASE + " WHERE id = ? FOR UPDATE", (case_id,))
        return Case(*row) if row is not None else None
    return case(tx, case_id)


def set_state(tx: Tx, case_id: int, state: str, now: int, closed: bool) -> None:
    tx.run(
        "UPDATE cases SET state = ?, updated_at = ?, closed_at = ? WHERE id = ?",
        (state, now, now if closed else None, case_id),
    )


def set_reasons(tx: Tx, case_id: int, reasons: str) -> None:
    tx.run("UPDATE cases SET reasons = ? WHERE id = ?", (reasons, case_id))


def add_step(
    tx: Tx,
    case_id: int,
    state: str,
    outcome: str | None,
    day: int,
    letter_no: str | None,
    note: str,
    visit_id: int | None,
    user: str,
    now: int,
) -> int:
    return tx.insert_id(
        "INSERT INTO case_steps (case_id, state, outcome, day, letter_no, note, visit_id,"
        " user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, state, outcome, day, letter_no, note, visit_id, user, now),
    )


def steps(tx: Tx, case_ids: list[int] | None) -> list[Step]:
    """Steps of the given cases (None: all), oldest first."""
    where, params = where_in("case_id", case_ids)
    return [Step(*r) for r in tx.all(_STEP + " WHERE 1 = 1" + where + " ORDER BY id", params)]


# --- attachments ---------------------------------------------------------------------------------


def add_file(
    tx: Tx,
    case_id: int,
    step_id: int | None,
    name: str,
    mime: str,
    sha256: bytes,
    data: bytes,
    user: str,
    now: int,
) -> int:
    return tx.insert_id(
        "INSERT INTO case_files (case_id, step_id, name, mime, size, sha256, data, user_name,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, step_id, name, mime, len(data), sha256, data, user, now),
    )


def files(tx: Tx, case_id: int) -> list[FileInfo]:
    rows = tx.all(_FILE + " WHERE case_id = ? ORDER BY id", (case_id,))
    return [FileInfo(*r[:6], bytes(r[6]), *r[7:]) for r in rows]


def file_data(tx: Tx, file_id: int) -> tuple[FileInfo, bytes] | None:
    row = tx.one(
        "SELECT id, case_id, step_id, name, mime, size, sha256, user_name, created_at, data"
        " FROM case_files WHERE id = ?",
        (file_id,),
    )
    if row is None:
        return None
    return FileInfo(*row[:6], bytes(row[6]), *row[7:9]), bytes(row[9])


def case_bytes(tx: Tx, case_id: int) -> int:
    return int(
        tx.value("SELECT COALESCE(SUM(size), 0) FROM case_files WHERE case_id = ?", (case_id,))
    )


# --- letter numbers ------------------------------------------------------------------------------


def next_letter(tx: Tx, rusun_id: int, year: int) -> int:
    """The next number of the rusun's letters this year (1, 2, ...), taken (one statement, so
    two admins issuing letters at once never get the same number)."""
    return int(
        tx.value(
            "INSERT INTO letter_counters (rusun_id, year, last) VALUES (?, ?, 1)"
            " ON CONFLICT (rusun_id, year) DO UPDATE SET last = letter_counters.last + 1"
            " RETURNING last",
            (rusun_id, year),
        )
    )


def set_letter_counter(tx: Tx, rusun_id: int, year: int, last: int) -> None:
    tx.run(
        "INSERT INTO letter_counters (rusun_id, year, last) VALUES (?, ?, ?)"
        " ON CONFLICT (rusun_id, year) DO UPDATE SET last = excluded.last",
        (rusun_id, year, last),
    )


def letter_counters(tx: Tx) -> dict[tuple[int, int], int]:
    rows = tx.all("SELECT rusun_id, year, last FROM letter_counters")
    return {(int(r), int(y)): int(n) for r, y, n in rows}


def setting(tx: Tx, key: str) -> str | None:
    return tx.value("SELECT value FROM meta WHERE key = ?", (key,))


def set_setting(tx: Tx, key: str, value: str) -> None:
    if setting(tx, key) is None:
        tx.run("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
    else:
        tx.run("UPDATE meta SET value = ? WHERE key = ?", (value, key))
