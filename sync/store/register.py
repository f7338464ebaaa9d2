# register: the SQL of the tenant register: flats, household members, their dated statuses.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. The tables
are the registry's (``rusun``, ``units``, ``residents``, ``cards``: ``sync.store.residents``);
this module reads and writes the register's columns of them: a flat's block, lease and status,
a person's kind (household member, regular visitor, carer), relation, lease holder flag and
status. Every status change is dated (``status_at``: the Unix time it took effect) and audited in
``register_events`` (``sync.store.register_events``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Tx, where_in

UNIT_STATUSES = ("occupied", "vacant", "sealed")
PERSON_STATUSES = ("active", "moved_out", "deceased")
PERSON_KINDS = ("member", "visitor", "carer")
CARD_STATUSES = ("active", "lost", "revoked")


class Flat(NamedTuple):
    id: int
    rusun_id: int
    name: str
    block: str
    status: str
    status_at: int | None
    lease_no: str
    let_since: int | None


class Person(NamedTuple):
    resident_id: str
    name: str
    unit_id: int
    rusun_id: int
    registered_at: int
    kind: str
    relation: str
    lease_holder: bool
    status: str
    status_at: int | None
    valid_until: int | None


class CardRow(NamedTuple):
    id: int
    rusun_id: int
    unit_id: int
    resident_id: str
    status: str
    enrolled_at: int
    status_at: int | None
    replaces: int | None
    fingerprint: int | None


_FLAT = "SELECT id, rusun_id, name, block, status, status_at, lease_no, let_since FROM units"
_PERSON = (
    "SELECT resident_id, name, unit_id, rusun_id, registered_at, kind, relation, lease_holder, "
    "status, status_at, valid_until FROM residents"
)
_CARD = (
    "SELECT id, rusun_id, unit_id, resident_id, status, enrolled_at, status_at, replaces, "
    "fingerprint FROM cards"
)


def _person(row: Sequence[Any]) -> Person:
    return Person(*row[:7], bool(row[7]), *row[8:])


# --- rusun ---------------------------------------------------------------------------------------


def set_district(tx: Tx, rusun_id: int, district: str) -> None:
    tx.run("UPDATE rusun SET district = ? WHERE id = ?", (district, rusun_id))


def districts(tx: Tx) -> dict[int, str]:
    """{rusun id: district} (empty text where the register named none)."""
    return {int(i): d for i, d in tx.all("SELECT id, district FROM rusun")}


# --- flats ---------------------------------------------------------------------------------------


def flats(tx: Tx, rusun_ids: list[int] | None = None) -> list[Flat]:
    """The flats of the given rusun (None: all), by rusun id and name."""
    where, params = where_in("rusun_id", rusun_ids)
    return [
        Flat(*r)
        for r in tx.all(_FLAT + " WHERE 1 = 1" + where + " ORDER BY rusun_id, name", params)
    ]


def flat(tx: Tx, unit_id: int) -> Flat | None:
    row = tx.one(_FLAT + " WHERE id = ?", (unit_id,))
    return Flat(*row) if row is not None else None


def flat_by_name(tx: Tx, rusun_id: int, name: str) -> Flat | None:
    row = tx.one(_FLAT + " WHERE rusun_id = ? AND name = ?", (rusun_id, name))
    return Flat(*row) if row is not None else None


def insert_flat(
    tx: Tx,
    rusun_id: int,
    name: str,
    block: str,
    status: str,
    status_at: int | None,
    lease_no: str,
    let_since: int | None,
) -> int:
    return tx.insert_id(
        "INSERT INTO units (rusun_id, name, block, status, status_at, lease_no, let_since)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (rusun_id, name, block, status, status_at, lease_no, let_since),
    )


def set_flat_details(
    tx: Tx, unit_id: int, block: str, lease_no: str, let_since: int | None
) -> None:
    tx.run(
        "UPDATE units SET block = ?, lease_no = ?, let_since = ? WHERE id = ?",
        (block, lease_no, let_since, unit_id),
    )


def set_flat_status(tx: Tx, unit_id: int, status: str, at: int) -> None:
    tx.run("UPDATE units SET status = ?, status_at = ? WHERE id = ?", (status, at, unit_id))


def relet_flat(tx: Tx, unit_id: int, at: int, lease_no: str) -> None:
    tx.run(
        "UPDATE units SET status = 'occupied', status_at = ?, let_since = ?, lease_no = ?"
        " WHERE id = ?",
        (at, at, lease_no, unit_id),
    )


# --- people --------------------------------------------------------------------------------------


def people(tx: Tx, rusun_ids: list[int] | None = None) -> list[Person]:
    """Everyone of the given rusun (None: all): household members, visitors and carers, in any
    status, by unit and resident id."""
    where, params = where_in("rusun_id", rusun_ids)
    rows = tx.all(_PERSON + " WHERE 1 = 1" + where + " ORDER BY unit_id, resident_id", params)
    return [_person(r) for r in rows]


def people_of_flat(tx: Tx, unit_id: int) -> list[Person]:
    rows = tx.all(_PERSON + " WHERE unit_id = ? ORDER BY resident_id", (unit_id,))
    return [_person(r) for r in rows]


def person(tx: Tx, resident_id: str) -> Person | None:
    row = tx.one(_PERSON + " WHERE resident_id = ?", (resident_id,))
    return _person(row) if row is not None else None


def insert_people(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(resident_id, name, unit_id, rusun_id, registered_at, kind, relation, lease_holder,
    valid_until) rows, in bulk; status active."""
    cols = (
        "resident_id",
        "name",
        "unit_id",
        "rusun_id",
        "registered_at",
        "kind",
        "relation",
        "lease_holder",
        "valid_until",
    )
    tx.copy("residents", cols, rows)


def update_member(
    tx: Tx, resident_id: str, name: str, unit_id: int, relation: str, lease_holder: bool
) -> None:
    tx.run(
        "UPDATE residents SET name = ?, unit_id = ?, relation = ?, lease_holder = ?"
        " WHERE resident_id = ?",
        (name, unit_id, relation, int(lease_holder), resident_id),
    )


def set_person_status(tx: Tx, resident_id: str, status: str, at: int) -> None:
    tx.run(
        "UPDATE residents SET status = ?, status_at = ? WHERE resident_id = ?",
        (status, at, resident_id),
    )


def set_valid_until(tx: Tx, resident_id: str, until: int | None) -> None:
    tx.run("UPDATE residents SET valid_until = ? WHERE resident_id = ?", (until, resident_id))


def progress_rows(tx: Tx, rusun_ids: list[int] | None) -> list[tuple[int, bool]]:
    """(unit id, has an active card) of every active household member of the given rusun."""
    where, params = where_in("r.rusun_id", rusun_ids)
    rows = tx.all(
        "SELECT r.unit_id, EXISTS (SELECT 1 FROM cards c WHERE c.resident_id = r.resident_id"
        " AND c.status = 'active') FROM residents r"
        " WHERE r.kind = 'member' AND r.status = 'active'" + where,
        params,
    )
    return [(int(u), bool(h)) for u, h in rows]


def next_visitor_number(tx: Tx) -> int:
    """One more than the highest ``V-<n>`` id given to a visitor or carer so far."""
    ids = tx.all("SELECT resident_id FROM residents WHERE kind <> 'member'")
    nums = [int(r[0][2:]) for r in ids if r[0].startswith("V-") and r[0][2:].isdigit()]
    return max(nums, default=0) + 1


# --- cards ---------------------------------------------------------------------------------------


def cards(tx: Tx, rusun_ids: list[int] | None = None) -> list[CardRow]:
    where, params = where_in("rusun_id", rusun_ids)
    return [CardRow(*r) for r in tx.all(_CARD + " WHERE 1 = 1" + where + " ORDER BY id", params)]


def card(tx: Tx, card_id: int) -> CardRow | None:
    row = tx.one(_CARD + " WHERE id = ?", (card_id,))
    return CardRow(*row) if row is not None else None


def cards_of_flat(tx: Tx, unit_id: int) -> list[CardRow]:
    return [CardRow(*r) for r in tx.all(_CARD + " WHERE unit_id = ? ORDER BY id", (unit_id,))]


def cards_of_person(tx: Tx, resident_id: str) -> list[CardRow]:
    rows = tx.all(_CARD + " WHERE resident_id = ? ORDER BY id", (resident_id,))
    return [CardRow(*r) for r in rows]


def set_card_status(tx: Tx, card_id: int, status: str, at: int) -> None:
    tx.run("UPDATE cards SET status = ?, status_at = ? WHERE id = ?", (status, at, card_id))


def set_card_replaces(tx: Tx, card_id: int, replaces: int) -> None:
    tx.run("UPDATE cards SET replaces = ? WHERE id = ?", (replaces, card_id))


def move_cards(tx: Tx, resident_id: str, unit_id: int) -> None:
    """A member moved to another flat of the same rusun: their cards follow."""
    tx.run("UPDATE cards SET unit_id = ? WHERE resident_id = ?", (unit_id, resident_id))
