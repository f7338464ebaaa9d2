# unknown: the SQL of tokens no card has where they were tapped, and of the city-wide sweep.
# SPDX-License-Identifier: MIT
"""``unknown_tokens`` holds, per rusun, the tokens tapped there that the district match at
ingest (``sync.service.cardkeys.recognise``) left unknown: a stranger's card, or a card of
another district. Each row remembers the highest card id it was compared with
(``checked_upto``), so the sweep (``sync.service.cardsweep``) compares a token once with every
card, then only with cards enrolled since. Functions of an open ``Tx``; nothing commits."""

from __future__ import annotations

from collections.abc import Iterable

from sync.store.db import Tx


def note(tx: Tx, rusun_id: int, tokens: Iterable[int], now: int) -> None:
    """Tokens tapped at ``rusun_id`` that no card has there: a new row each, else ``last_seen``
    moves (the purge forgets a token no longer seen)."""
    rows = [(rusun_id, int(t), now, now) for t in sorted(tokens)]
    if rows:
        tx.run_many(
            "INSERT INTO unknown_tokens (rusun_id, token, first_seen, last_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (rusun_id, token)"
            " DO UPDATE SET last_seen = excluded.last_seen",
            rows,
        )


def seed_once(tx: Tx, now: int) -> int:
    """On the first pass of a database that has taps from before ``unknown_tokens`` existed:
    every token of the roll-up ``tap_times`` (without a random UID) that no card has at its
    rusun becomes a row; marked in ``meta`` so it runs once. How many rows it added."""
    if tx.value("SELECT value FROM meta WHERE key = 'unknown_tokens_seeded'") is not None:
        return 0
    n = tx.run(
        "INSERT INTO unknown_tokens (rusun_id, token, first_seen, last_seen)"
        " SELECT DISTINCT tt.rusun_id, tt.token, ?, ? FROM tap_times tt WHERE tt.plain > 0"
        " AND NOT EXISTS (SELECT 1 FROM card_tokens ct WHERE ct.rusun_id = tt.rusun_id"
        " AND ct.token = tt.token) ON CONFLICT (rusun_id, token) DO NOTHING",
        (now, now),
    )
    tx.run("INSERT INTO meta (key, value) VALUES ('unknown_tokens_seeded', ?)", (str(now),))
    return n


def forget_known(tx: Tx) -> int:
    """Drop the tokens a card has by now at their rusun (matched at ingest since); how many."""
    return tx.run(
        "DELETE FROM unknown_tokens WHERE EXISTS (SELECT 1 FROM card_tokens ct"
        " WHERE ct.rusun_id = unknown_tokens.rusun_id AND ct.token = unknown_tokens.token)"
    )


def forget_before(tx: Tx, cut: int) -> int:
    """Drop the tokens last seen before ``cut`` (their taps are past the records' retention)."""
    return tx.run("DELETE FROM unknown_tokens WHERE last_seen < ?", (cut,))


def pending(tx: Tx, upto_card: int) -> list[tuple[int, int, int, int]]:
    """(id, rusun_id, token, checked_upto) of the tokens not yet compared with every card up to
    ``upto_card`` (index ``unknown_tokens_checked``), by rusun."""
    rows = tx.all(
        "SELECT id, rusun_id, token, checked_upto FROM unknown_tokens WHERE checked_upto < ?"
        " ORDER BY rusun_id, id",
        (upto_card,),
    )
    return [(int(i), int(r), int(t), int(c)) for i, r, t, c in rows]


def checked(tx: Tx, ids: list[int], upto_card: int) -> None:
    """Tokens ``ids`` were compared with every card up to ``upto_card``."""
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        marks = ", ".join("?" for _ in part)
        tx.run(
            "UPDATE unknown_tokens SET checked_upto = ? WHERE checked_upto < ?"
            f" AND id IN ({marks})",
            (upto_card, upto_card, *part),
        )


def matched(tx: Tx, ids: list[int]) -> None:
    """Tokens ``ids`` are a card's now (``card_tokens``): no longer unknown."""
    for lo in range(0, len(ids), 500):
        part = ids[lo : lo + 500]
        tx.run(f"DELETE FROM unknown_tokens WHERE id IN ({', '.join('?' for _ in part)})", part)


def last_card(tx: Tx) -> int:
    """The highest card id stored (0: none)."""
    return int(tx.value("SELECT COALESCE(MAX(id), 0) FROM cards") or 0)


def cards_after(
    tx: Tx, after_id: int, upto_id: int, limit: int
) -> list[tuple[int, int, bytes, bytes]]:
    """(id, home rusun id, uid_hash, uid_enc) of up to ``limit`` cards with
    ``after_id < id <= upto_id``, by id (a chunk of the sweep's stream; primary key)."""
    rows = tx.all(
        "SELECT id, rusun_id, uid_hash, uid_enc FROM cards WHERE id > ? AND id <= ?"
        " ORDER BY id LIMIT ?",
        (after_id, upto_id, limit),
    )
    return [(int(i), int(r), bytes(h), bytes(e)) for i, r, h, e in rows]
