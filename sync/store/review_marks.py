# review_marks: the SQL of the review queue's audit trail (who reviewed what, why, when).
# SPDX-License-Identifier: MIT
"""``review_marks`` is append-only: a mark is never updated or deleted (docs/dashboard.md, "Review
queue"). Functions of an open ``Tx`` (``sync.store.db``); the service owns the transaction."""

from __future__ import annotations

from sync.store.db import Row, Tx


def add_mark(tx: Tx, kind: str, key: str, reasons: str, note: str, user: str, now: int) -> int:
    return tx.insert_id(
        "INSERT INTO review_marks (subject_kind, subject_key, reasons, note, user_name, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (kind, key, reasons, note, user, now),
    )


def marks(tx: Tx) -> list[Row]:
    """(id, subject_kind, subject_key, reasons, note, user_name, created_at), oldest first."""
    return tx.all(
        "SELECT id, subject_kind, subject_key, reasons, note, user_name, created_at "
        "FROM review_marks ORDER BY id"
    )
