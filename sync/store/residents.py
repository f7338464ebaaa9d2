# residents: the SQL of the resident registry: rusun, units, residents, cards and card tokens.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction. A card is
stored as a keyed hash and a ciphertext of its UID (``sync.vault``), its token under its home
rusun's current card key and, in ``card_tokens``, its tokens under the generations of its home
rusun's key its doors hold (a terminal's allow-list holds its home cards' tokens under the
generation that terminal holds), plus one row for each other rusun where it was actually tapped
and recognised (``sync.service.cardkeys.recognise``): never a row per card and site. Column
meanings: docs/collector.md, "Schema".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sync.store.db import Row, Tx, where_in


class Rusun(NamedTuple):
    id: int
    name: str
    card_key_gen: int  # the current generation of its card key (``card_keys``)
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

_RUSUN = "SELECT id, name, card_key_gen, allowlist_version FROM rusun"


def rusun_by_name(tx: Tx, name: str) -> Rusun | None:
    row = tx.one(_RUSUN + " WHERE name = ?", (name,))
    return Rusun(*row) if row is not None else None


def rusun_by_id(tx: Tx, rusun_id: int) -> Rusun | None:
    row = tx.one(_RUSUN + " WHERE id = ?", (rusun_id,))
    return Rusun(*row) if row is not None else None


def rusun_all(tx: Tx) -> list[Rusun]:
    """Every rusun, by name."""
    return [Rusun(*r) for r in tx.all(_RUSUN + " ORDER BY name")]


def rusun_name(tx: Tx, rusun_id: int) -> str:
    return str(tx.value("SELECT name FROM rusun WHERE id = ?", (rusun_id,)))


def insert_rusun(tx: Tx, name: str) -> int:
    return tx.insert_id("INSERT INTO rusun (name) VALUES (?)", (name,))


def insert_card_key(tx: Tx, rusun_id: int, gen: int, key_enc: bytes, now: int) -> None:
    """A new generation of the rusun's card key (sealed, purpose ``card_key:<id>[:<gen>]``)
    becomes its current one."""
    tx.run(
        "INSERT INTO card_keys (rusun_id, gen, key_enc, created_at) VALUES (?, ?, ?, ?)",
        (rusun_id, gen, key_enc, now),
    )
    tx.run("UPDATE rusun SET card_key_gen = ? WHERE id = ?", (gen, rusun_id))


def card_keys(tx: Tx, rusun_id: int) -> dict[int, bytes]:
    """{generation: sealed key} of one rusun's card keys."""
    rows = tx.all("SELECT gen, key_enc FROM card_keys WHERE rusun_id = ?", (rusun_id,))
    return {int(g): bytes(k) for g, k in rows}


def rusun_tokens(tx: Tx, rusun_id: int) -> set[int]:
    """Every token of the rusun's ``card_tokens``, any card, any generation."""
    rows = tx.all("SELECT token FROM card_tokens WHERE rusun_id = ?", (rusun_id,))
    return {int(r[0]) for r in rows}


def set_home_tokens(tx: Tx, rows: Sequence[tuple[int, int]]) -> None:
    """(card_id, token): home tokens under the home rusun's current card key."""
    for card_id, token in rows:
        tx.run("UPDATE cards SET token = ? WHERE id = ?", (token, card_id))


def allowlist_version(tx: Tx, rusun_id: int) -> int:
    return int(tx.value("SELECT allowlist_version FROM rusun WHERE id = ?", (rusun_id,)))


def bump_allowlist(tx: Tx, rusun_id: int) -> None:
    tx.run("UPDATE rusun SET allowlist_version = allowlist_version + 1 WHERE id = ?", (rusun_id,))


def allowlist_entries(tx: Tx, rusun_id: int, gen: int) -> list[tuple[int, int]]:
    """(token under card key generation ``gen``, fingerprint or 0) of the rusun's active cards,
    by token."""
    rows = tx.all(
        "SELECT ct.token, COALESCE(c.fingerprint, 0) FROM cards c JOIN card_tokens ct"
        " ON ct.card_id = c.id AND ct.rusun_id = c.rusun_id AND ct.gen = ?"
        " WHERE c.rusun_id = ? AND c.status = 'active' ORDER BY ct.token",
        (gen, rusun_id),
    )
    return [(int(t), int(f)) for t, f in rows]


def home_tokens(tx: Tx) -> set[tuple[int, int, int]]:
    """(rusun id, generation, token) of every active card's tokens at its home rusun."""
    rows = tx.all(
        "SELECT ct.rusun_id, ct.gen, ct.token FROM card_tokens ct JOIN cards c"
        " ON c.id = ct.card_id AND c.rusun_id = ct.rusun_id WHERE c.status = 'active'"
    )
    return {(int(r), int(g), int(t)) for r, g, t in rows}


# --- units and residents -------------------------------------------------------------------------


def insert_unit(tx: Tx, rusun_id: int, name: str) -> int:
    return tx.insert_id("INSERT INTO units (rusun_id, name) VALUES (?, ?)", (rusun_id, name))


def units_index(tx: Tx) -> dict[tuple[int, str], int]:
    """{(rusun_id, unit name): unit id} of every unit (an import looks them up in memory)."""
    return {(r, n): i for i, r, n in tx.all("SELECT id, rusun_id, name FROM units")}


def resident_rusun(tx: Tx) -> dict[str, int]:
    """{resident id: rusun id} of every resident."""
    return {str(r): int(ru) for r, ru in tx.all("SELECT resident_id, rusun_id FROM residents")}


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


def residents_list(tx: Tx, rusun_ids: list[int] | None) -> list[dict[str, Any]]:
    """Residents of the given rusun (None: all)."""
    sql = (
        "SELECT p.resident_id, p.name, u.name, r.name, p.registered_at, p.kind, p.status"
        " FROM residents p JOIN units u ON u.id = p.unit_id JOIN rusun r ON r.id = p.rusun_id"
        " WHERE 1 = 1"
    )
    where, params = where_in("p.rusun_id", rusun_ids)
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


def cards_all(tx: Tx) -> list[tuple[int, bytes, bytes, int, str]]:
    """(id, uid_hash, uid_enc, home rusun id, status) of every card (to compute tokens under a
    new card key)."""
    rows = tx.all("SELECT id, uid_hash, uid_enc, rusun_id, status FROM cards ORDER BY id")
    return [(int(i), bytes(h), bytes(e), int(r), str(s)) for i, h, e, r, s in rows]


def insert_cards(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(uid_hash, uid_enc, rusun_id, unit_id, resident_id, token, fingerprint, enrolled_at)."""
    cols = ("uid_hash", "uid_enc", "rusun_id", "unit_id", "resident_id", "token", "fingerprint",
            "enrolled_at")  # fmt: skip
    tx.copy("cards", cols, rows)


def set_card_fingerprint(tx: Tx, card_id: int, fingerprint: int) -> None:
    tx.run("UPDATE cards SET fingerprint = ? WHERE id = ?", (fingerprint, card_id))


def insert_card_tokens(tx: Tx, rows: Sequence[Sequence[Any]]) -> None:
    """(rusun_id, gen, token, card_id): a card's token under a generation of its home rusun's
    key (docs/security.md, "Card tokens")."""
    tx.copy("card_tokens", ("rusun_id", "gen", "token", "card_id"), rows)


def cards_list(tx: Tx, rusun_ids: list[int] | None) -> list[dict[str, Any]]:
    """Cards of the given rusun (None: all)."""
    sql = (
        "SELECT c.id, c.token, c.fingerprint, r.name, u.name, c.resident_id, c.status,"
        " c.enrolled_at FROM cards c JOIN rusun r ON r.id = c.rusun_id"
        " JOIN units u ON u.id = c.unit_id WHERE 1 = 1"
    )
    where, params = where_in("c.rusun_id", rusun_ids)
    keys = ("id", "token", "fingerprint", "rusun", "unit", "resident_id", "status", "enrolled_at")
    return [dict(zip(keys, r)) for r in tx.all(sql + where + " ORDER BY c.id", params)]


def resident_cards(tx: Tx, resident_id: str) -> list[ResidentCard]:
    rows = tx.all(
        "SELECT id, status, enrolled_at, fingerprint FROM cards WHERE resident_id = ? ORDER BY id",
        (resident_id,),
    )
    return [ResidentCard(*r) for r in rows]


def candidate_cards(tx: Tx, rusun_id: int, after_id: int) -> list[tuple[int, bytes, bytes]]:
    """(id, uid_hash, uid_enc) of cards with id > ``after_id`` homed at another rusun of
    ``rusun_id``'s district (every other rusun when it has no district): the cards a token
    unknown at ``rusun_id`` is matched against."""
    rows = tx.all(
        "SELECT c.id, c.uid_hash, c.uid_enc FROM cards c JOIN rusun h ON h.id = c.rusun_id"
        " JOIN rusun r ON r.id = ? WHERE c.id > ? AND c.rusun_id <> r.id"
        " AND (r.district = '' OR h.district = r.district) ORDER BY c.id",
        (rusun_id, after_id),
    )
    return [(int(i), bytes(h), bytes(e)) for i, h, e in rows]


def known_tokens(tx: Tx, rusun_id: int, tokens: list[int]) -> set[int]:
    """Those of ``tokens`` some card has at ``rusun_id`` (``card_tokens``)."""
    if not tokens:
        return set()
    marks = ", ".join("?" for _ in tokens)
    rows = tx.all(
        f"SELECT DISTINCT token FROM card_tokens WHERE rusun_id = ? AND token IN ({marks})",
        (rusun_id, *tokens),
    )
    return {int(r[0]) for r in rows}


def sighted_cards(tx: Tx, rusun_id: int) -> list[int]:
    """Cards of other rusun recognised at ``rusun_id`` so far (rows ``recognise`` added)."""
    rows = tx.all(
        "SELECT DISTINCT ct.card_id FROM card_tokens ct JOIN cards c ON c.id = ct.card_id"
        " WHERE ct.rusun_id = ? AND c.rusun_id <> ct.rusun_id",
        (rusun_id,),
    )
    return sorted(int(r[0]) for r in rows)


def add_sightings(tx: Tx, rows: Sequence[tuple[int, int, int, int]]) -> None:
    """(rusun_id, gen, token, card_id) of cards of other rusun recognised here; a card no
    longer stored (purged since the match was cached) is skipped, and a row another
    transaction stores at the same time (a batch at ingest, the sweep) is kept, not an error."""
    for rusun_id, gen, token, card_id in rows:
        tx.run(
            "INSERT INTO card_tokens (rusun_id, gen, token, card_id) SELECT ?, ?, ?, id"
            " FROM cards WHERE id = ? ON CONFLICT DO NOTHING",
            (rusun_id, gen, token, card_id),
        )


def terminal_key_gens(tx: Tx, rusun_id: int) -> set[int]:
    """The card key generations the rusun's terminals hold."""
    rows = tx.all("SELECT DISTINCT card_key_gen FROM terminals WHERE rusun_id = ?", (rusun_id,))
    return {int(r[0]) for r in rows}
