# residents: the SQL of the resident registry: rusun, units, residents, cards and card tokens.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. A card is
stored as a keyed hash and a ciphertext of its UID (``sync.vault``), its token under its home
rusun's key (the allow-list) and, in ``card_tokens``, its token under every rusun's key (a card
tapped at another rusun is still recognised). Column meanings: docs/collector.md, "Schema".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Row, Tx, where_in


class Rusun(NamedTuple):
    id: int
    name: str
    card_key_enc: bytes  # sealed under the master key (``sync.vault``), purpose card_key:<id>
    allowlist_version: int


class Card(NamedTuple):
    id: int | None  # None: a card of an import in progress, not inserted yet
    rusun_id: int
    unit_id: int
    resident_id: str
    token: int
    status: str


class RegistryCard(NamedTuple):
    """One card of a resident; a resident without a card has one with ``card_id`` None."""

    resident_id: str
    name: str
    unit: str
    rusun_id: int
    rusun: str
    registered_at: int
    card_id: int | None
    card_status: str | None


class Resident(NamedTuple):
    resident_id: str
    name: str
    unit: str
    rusun_id: int
    rusun: str
    registered_at: int
    unit_id: int


class ResidentCard(NamedTuple):
    card_id: int
    status: str
    enrolled_at: int
    fingerprint: int | None


# --- rusun ---------------------------------------------------------------------------------------

_RUSUN = "SELECT id, name, card_key_enc, allowlist_version FROM rusun"


def rusun_by_name(tx: Tx, name: str) -> Rusun | None:
    row = tx.one(_RUSUN + " WHERE name = ?", (name,))
    return Rusun(*row) if row is not None else None


def rusun_all(tx: Tx) -> list[Rusun]:
    """Every rusun, by name."""
    return [Rusun(*r) for r in tx.all(_RUSUN + " ORDER BY name")]


def rusun_name(tx: Tx, rusun_id: int) -> str:
    return str(tx.value("SELECT name FROM rusun WHERE id = ?", (rusun_id,)))


def insert_rusun(tx: Tx, name: str, card_key_enc: bytes) -> int:
    return tx.insert_id(
        "INSERT INTO rusun (name, card_key_enc) VALUES (?, ?)", (name, card_key_enc)
    )


def set_rusun_card_key(tx: Tx, rusun_id: int, card_key_enc: bytes) -> None:
    tx.run("UPDATE rusun SET card_key_enc = ? WHERE id = ?", (card_key_enc, rusun_id))


def allowlist_version(tx: Tx, rusun_id: int) -> int:
    return int(tx.value("SELECT allowlist_version FROM rusun WHERE id = ?", (rusun_id,)))


def bump_allowlist(tx: Tx, rusun_id: int) -> None:
    tx.run("UPDATE rusun SET allowlist_version = allowlist_version + 1 WHERE id = ?", (rusun_id,))


def allowlist_entries(tx: Tx, rusun_id: int) -> list[tuple[int, int]]:
    """(token, fingerprint or 0) of the rusun's active cards, by token."""
    rows = tx.all(
        "SELECT token, COALESCE(fingerprint, 0) FROM cards WHERE rusun_id = ?"
        " AND status = 'active' ORDER BY token",
        (rusun_id,),
    )
    return [(int(t), int(f)) for t, f in rows]


# --- units and residents -------------------------------------------------------------------------


def insert_unit(tx: Tx, rusun_id: int, name: str) -> int:
    return tx.insert_id("INSERT INTO units (rusun_id, name) VALUES (?, ?)", (rusun_id, name))


def units_index(tx: Tx) -> dict[tuple[int, str], int]:
    """{(rusun_id, unit name): unit id} of every unit (an import looks them up in memory)."""
    return {(r, n): i for i, r, n in tx.all("SELECT id, rusun_id, name FROM units")}


def resident_ids(tx: Tx) -> set[str]:
    return {r[0] for r in tx.all("SELECT resident_id FROM residents")}


def inactive_resident_ids(tx: Tx) -> set[str]:
    """Residents who moved out or died: no new card for them."""
    return {r[0] for r in tx.all("SELECT resident_id FROM residents WHERE status <> 'active'")}


def insert_residents(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(resident_id, name, unit_id, rusun_id, registered_at) rows, in bulk."""
    tx.copy("residents", ("resident_id", "name", "unit_id", "rusun_id", "registered_at"), rows)


def update_resident(tx: Tx, resident_id: str, name: str, unit_id: int, rusun_id: int) -> None:
    tx.run(
        "UPDATE residents SET name = ?, unit_id = ?, rusun_id = ? WHERE resident_id = ?",
        (name, unit_id, rusun_id, resident_id),
    )


def registered_per_rusun(tx: Tx) -> dict[int, int]:
    """{rusun id: active household members in the register}."""
    rows = tx.all(
        "SELECT rusun_id, COUNT(*) FROM residents WHERE kind = 'member' AND status = 'active'"
        " GROUP BY rusun_id"
    )
    return {int(r[0]): int(r[1]) for r in rows}


def resident(tx: Tx, resident_id: str) -> Resident | None:
    row = tx.one(
        "SELECT r.resident_id, r.name, u.name, r.rusun_id, ru.name, r.registered_at, u.id "
        "FROM residents r JOIN units u ON u.id = r.unit_id JOIN rusun ru ON ru.id = r.rusun_id "
        "WHERE r.resident_id = ?",
        (resident_id,),
    )
    return Resident(*row) if row is not None else None


def unit_members(tx: Tx, unit_id: int) -> list[Row]:
    """(resident_id, name) of a unit's residents."""
    return tx.all(
        "SELECT resident_id, name FROM residents WHERE unit_id = ? ORDER BY resident_id",
        (unit_id,),
    )


def residents_list(tx: Tx, rusun_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT p.resident_id, p.name, u.name, r.name, p.registered_at, p.kind, p.status"
        " FROM residents p JOIN units u ON u.id = p.unit_id JOIN rusun r ON r.id = p.rusun_id"
        " WHERE 1 = 1"
    )
    where, params = where_in("p.rusun_id", None if rusun_id is None else [rusun_id])
    keys = ("resident_id", "name", "unit", "rusun", "registered_at", "kind", "status")
    return [dict(zip(keys, r)) for r in tx.all(sql + where + " ORDER BY p.resident_id", params)]


def registry_cards(tx: Tx, rusun_ids: list[int] | None) -> list[RegistryCard]:
    """Every household member of the given rusun (None: all; visitors and carers are not) with
    each of their cards, by rusun name, unit name and resident id."""
    where, params = where_in("r.rusun_id", rusun_ids)
    rows = tx.all(
        "SELECT r.resident_id, r.name, u.name, r.rusun_id, ru.name, r.registered_at, c.id, "
        "c.status FROM residents r JOIN units u ON u.id = r.unit_id "
        "JOIN rusun ru ON ru.id = r.rusun_id LEFT JOIN cards c ON c.resident_id = r.resident_id "
        "WHERE r.kind = 'member'" + where + " ORDER BY ru.name, u.name, r.resident_id",
        params,
    )
    return [RegistryCard(*r) for r in rows]


# --- cards ---------------------------------------------------------------------------------------


def cards_index(tx: Tx) -> dict[bytes, Card]:
    """{uid_hash: card} of every card."""
    rows = tx.all("SELECT uid_hash, id, rusun_id, unit_id, resident_id, token, status FROM cards")
    return {bytes(r[0]): Card(*r[1:]) for r in rows}


def card_id_by_hash(tx: Tx, uid_hash: bytes) -> int | None:
    value = tx.value("SELECT id FROM cards WHERE uid_hash = ?", (uid_hash,))
    return None if value is None else int(value)


def cards_all(tx: Tx) -> list[tuple[int, bytes, bytes]]:
    """(id, uid_hash, uid_enc) of every card (to compute tokens for a new rusun)."""
    rows = tx.all("SELECT id, uid_hash, uid_enc FROM cards ORDER BY id")
    return [(int(i), bytes(h), bytes(e)) for i, h, e in rows]


def insert_cards(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(uid_hash, uid_enc, rusun_id, unit_id, resident_id, token, fingerprint, enrolled_at)."""
    cols = ("uid_hash", "uid_enc", "rusun_id", "unit_id", "resident_id", "token", "fingerprint",
            "enrolled_at")  # fmt: skip
    tx.copy("cards", cols, rows)


def set_card_fingerprint(tx: Tx, card_id: int, fingerprint: int) -> None:
    tx.run("UPDATE cards SET fingerprint = ? WHERE id = ?", (fingerprint, card_id))


def insert_card_tokens(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(rusun_id, token, card_id): a card's token under every rusun's key, so a card tapped at
    another rusun is still recognised."""
    tx.copy("card_tokens", ("rusun_id", "token", "card_id"), rows)


def cards_list(tx: Tx, rusun_id: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT c.id, c.token, c.fingerprint, r.name, u.name, c.resident_id, c.status,"
        " c.enrolled_at FROM cards c JOIN rusun r ON r.id = c.rusun_id"
        " JOIN units u ON u.id = c.unit_id WHERE 1 = 1"
    )
    where, params = where_in("c.rusun_id", None if rusun_id is None else [rusun_id])
    keys = ("id", "token", "fingerprint", "rusun", "unit", "resident_id", "status", "enrolled_at")
    return [dict(zip(keys, r)) for r in tx.all(sql + where + " ORDER BY c.id", params)]


def resident_cards(tx: Tx, resident_id: str) -> list[ResidentCard]:
    rows = tx.all(
        "SELECT id, status, enrolled_at, fingerprint FROM cards WHERE resident_id = ? ORDER BY id",
        (resident_id,),
    )
    return [ResidentCard(*r) for r in rows]
