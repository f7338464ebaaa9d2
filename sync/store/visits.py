# visits: the SQL of visit lists: which flats officers visit on a day, in which order, and why.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); ``sync.service.visits`` owns the rules. A
visit belongs to a case; its outcome is the case's ``visited`` step (``case_steps.visit_id``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Tx, where_in


class VisitList(NamedTuple):
    id: int
    rusun_id: int
    day: int
    sample_size: int
    user_name: str
    created_at: int


class Visit(NamedTuple):
    id: int
    list_id: int
    case_id: int
    unit_id: int
    position: int
    source: str  # "flag" (the review flagged the flat) or "sample" (chosen at random)
    risk: float
    reasons: str


_LIST = "SELECT id, rusun_id, day, sample_size, user_name, created_at FROM visit_lists"
_VISIT = "SELECT id, list_id, case_id, unit_id, position, source, risk, reasons FROM visits"


def insert_list(tx: Tx, rusun_id: int, day: int, sample_size: int, user: str, now: int) -> int:
    return tx.insert_id(
        "INSERT INTO visit_lists (rusun_id, day, sample_size, user_name, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (rusun_id, day, sample_size, user, now),
    )


def insert_visits(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(list_id, case_id, unit_id, position, source, risk, reasons) rows."""
    tx.copy(
        "visits", ("list_id", "case_id", "unit_id", "position", "source", "risk", "reasons"), rows
    )


def visit_list(tx: Tx, list_id: int) -> VisitList | None:
    row = tx.one(_LIST + " WHERE id = ?", (list_id,))
    return VisitList(*row) if row is not None else None


def lists(tx: Tx, rusun_ids: list[int] | None, limit: int = 100) -> list[VisitList]:
    where, params = where_in("rusun_id", rusun_ids)
    rows = tx.all(
        _LIST + " WHERE 1 = 1" + where + " ORDER BY day DESC, id DESC LIMIT ?", [*params, limit]
    )
    return [VisitList(*r) for r in rows]


def list_on(tx: Tx, rusun_id: int, day: int) -> VisitList | None:
    row = tx.one(_LIST + " WHERE rusun_id = ? AND day = ? ORDER BY id", (rusun_id, day))
    return VisitList(*row) if row is not None else None


def visits(tx: Tx, list_id: int) -> list[Visit]:
    return [Visit(*r) for r in tx.all(_VISIT + " WHERE list_id = ? ORDER BY position", (list_id,))]


def visit(tx: Tx, visit_id: int) -> Visit | None:
    row = tx.one(_VISIT + " WHERE id = ?", (visit_id,))
    return Visit(*row) if row is not None else None


def visits_of_cases(tx: Tx, case_ids: list[int] | None) -> list[Visit]:
    where, params = where_in("case_id", case_ids)
    return [Visit(*r) for r in tx.all(_VISIT + " WHERE 1 = 1" + where + " ORDER BY id", params)]
