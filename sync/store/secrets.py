# secrets: every column sealed under the master key, read and rewritten for a key rotation.
# SPDX-License-Identifier: MIT
"""The ``*_enc`` columns (docs/collector.md) and ``cards.uid_hash`` (a keyed hash under a key
derived from the master key): ``sync.service.custody.rotate`` reads them all and writes them
back under the new key in one transaction."""

from __future__ import annotations

from sync.store.db import Row, Tx


def terminal_keys(tx: Tx) -> list[Row]:
    """(id, gen, k0_enc, key_enc or None) of every terminal."""
    return tx.all("SELECT id, gen, k0_enc, key_enc FROM terminals ORDER BY id")


def set_terminal_keys(tx: Tx, tid: int, k0_enc: bytes, key_enc: bytes | None) -> None:
    tx.run("UPDATE terminals SET k0_enc = ?, key_enc = ? WHERE id = ?", (k0_enc, key_enc, tid))


def card_keys(tx: Tx) -> list[Row]:
    """(rusun_id, gen, key_enc) of every card key generation."""
    return tx.all("SELECT rusun_id, gen, key_enc FROM card_keys ORDER BY rusun_id, gen")


def set_card_key(tx: Tx, rusun_id: int, gen: int, key_enc: bytes) -> None:
    tx.run("UPDATE card_keys SET key_enc = ? WHERE rusun_id = ? AND gen = ?",
           (key_enc, rusun_id, gen))  # fmt: skip


def card_uids(tx: Tx) -> list[Row]:
    """(id, uid_hash, uid_enc) of every card."""
    return tx.all("SELECT id, uid_hash, uid_enc FROM cards ORDER BY id")


def set_card_uids(tx: Tx, rows: list[tuple[int, bytes, bytes]]) -> None:
    """New (id, uid_hash, uid_enc): hashes first moved out of the way (they are UNIQUE, and a
    new hash may equal another card's old one only by a 2^-256 chance, but the order of updates
    must not matter)."""
    for card_id, _h, _e in rows:
        tx.run("UPDATE cards SET uid_hash = ? WHERE id = ?", (b"rotating:%d" % card_id, card_id))
    for card_id, uid_hash, uid_enc in rows:
        tx.run("UPDATE cards SET uid_hash = ?, uid_enc = ? WHERE id = ?",
               (uid_hash, uid_enc, card_id))  # fmt: skip
