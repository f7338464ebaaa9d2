# register_events: the SQL of the register's audit trail (what changed, when, who recorded it).
# SPDX-License-Identifier: MIT
"""``register_events`` is append-only: an event is never updated or deleted. ``at`` is when the
change took effect (the date the admin gave: a move-out last week is recorded today), and
``created_at`` when it was recorded. Functions of an open ``Tx`` (``sync.store.db``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Tx, where_in


class Event(NamedTuple):
    id: int
    at: int
    kind: str
    rusun_id: int
    unit_id: int | None
    resident_id: str | None
    card_id: int | None
    detail: str
    user_name: str
    created_at: int


_EVENT = (
    "SELECT id, at, kind, rusun_id, unit_id, resident_id, card_id, detail, user_name, created_at"
    " FROM register_events"
)
_COLS = (
    "at",
    "kind",
    "rusun_id",
    "unit_id",
    "resident_id",
    "card_id",
    "detail",
    "user_name",
    "created_at",
)


def add(
    tx: Tx,
    at: int,
    kind: str,
    rusun_id: int,
    unit_id: int | None,
    resident_id: str | None,
    card_id: int | None,
    detail: str,
    user: str,
    now: int,
) -> None:
    tx.run(
        f"INSERT INTO register_events ({', '.join(_COLS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, kind, rusun_id, unit_id, resident_id, card_id, detail, user, now),
    )


def add_many(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """Rows in the order of ``add``'s parameters (at, kind, rusun_id, unit_id, resident_id,
    card_id, detail, user, now), in bulk (a register import)."""
    tx.copy("register_events", _COLS, rows)


def of_flat(tx: Tx, unit_id: int) -> list[Event]:
    """A flat's events, and those of the people and cards that belonged to it, oldest first."""
    rows = tx.all(_EVENT + " WHERE unit_id = ? ORDER BY at, id", (unit_id,))
    return [Event(*r) for r in rows]


def recent(tx: Tx, rusun_ids: list[int] | None, limit: int = 200) -> list[Event]:
    where, params = where_in("rusun_id", rusun_ids)
    rows = tx.all(
        _EVENT + " WHERE 1 = 1" + where + " ORDER BY created_at DESC, id DESC LIMIT ?",
        [*params, limit],
    )
    return [Event(*r) for r in rows]


def of_kinds(tx: Tx, rusun_id: int, kinds: tuple[str, ...]) -> list[Event]:
    """The rusun's events of the given kinds, in the order they took effect."""
    marks = ", ".join("?" for _ in kinds)
    rows = tx.all(
        _EVENT + f" WHERE rusun_id = ? AND kind IN ({marks}) ORDER BY at, id", (rusun_id, *kinds)
    )
    return [Event(*r) for r in rows]
