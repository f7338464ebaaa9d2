# remote: the SQL of remote settings' secrets, remote commands and the reports terminals send.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); the service (``sync.service.remote``) owns
the transaction. ``terminal_secrets`` holds ciphertexts only (``sync.vault``)."""

from __future__ import annotations

from typing import Any

from sync.store.db import Tx

_COMMAND = ("id", "terminal_id", "command", "queued_by", "queued_at", "sent_at", "done_at",
            "result", "detail")  # fmt: skip
_REPORT = ("id", "terminal_id", "received_at", "kind", "result", "detail")


def set_password(tx: Tx, tid: int, enc: bytes, now: int) -> None:
    if tx.value("SELECT 1 FROM terminal_secrets WHERE terminal_id = ?", (tid,)) is None:
        tx.run(
            "INSERT INTO terminal_secrets (terminal_id, wifi_password_enc, set_at)"
            " VALUES (?, ?, ?)",
            (tid, enc, now),
        )
    else:
        tx.run(
            "UPDATE terminal_secrets SET wifi_password_enc = ?, set_at = ? WHERE terminal_id = ?",
            (enc, now, tid),
        )


def password(tx: Tx, tid: int) -> bytes | None:
    v = tx.value("SELECT wifi_password_enc FROM terminal_secrets WHERE terminal_id = ?", (tid,))
    return bytes(v) if v is not None else None


def add_command(tx: Tx, tid: int, command: str, user: str, now: int) -> int:
    return tx.insert_id(
        "INSERT INTO terminal_commands (terminal_id, command, queued_by, queued_at)"
        " VALUES (?, ?, ?, ?)",
        (tid, command, user, now),
    )


def open_command(tx: Tx, tid: int) -> dict[str, Any] | None:
    """The oldest command of the terminal not answered yet."""
    row = tx.one(
        "SELECT " + ", ".join(_COMMAND) + " FROM terminal_commands"
        " WHERE terminal_id = ? AND done_at IS NULL ORDER BY id LIMIT 1",
        (tid,),
    )
    return dict(zip(_COMMAND, row)) if row else None


def mark_sent(tx: Tx, cid: int, now: int) -> None:
    tx.run("UPDATE terminal_commands SET sent_at = ? WHERE id = ? AND sent_at IS NULL", (now, cid))


def finish_command(tx: Tx, tid: int, cid: int, result: str, detail: str, now: int) -> bool:
    """Store the command's result once; False when it was answered already (or is not this
    terminal's)."""
    return bool(
        tx.run(
            "UPDATE terminal_commands SET done_at = ?, result = ?, detail = ?"
            " WHERE id = ? AND terminal_id = ? AND done_at IS NULL",
            (now, result, detail, cid, tid),
        )
    )


def commands(tx: Tx, tids: list[int] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    sql = "SELECT " + ", ".join(_COMMAND) + " FROM terminal_commands"
    params: list[Any] = []
    if tids is not None:
        if not tids:
            return []
        sql += " WHERE terminal_id IN (" + ", ".join("?" for _ in tids) + ")"
        params += tids
    params.append(limit)
    return [dict(zip(_COMMAND, r)) for r in tx.all(sql + " ORDER BY id DESC LIMIT ?", params)]


def add_report(tx: Tx, tid: int, kind: str, result: str, detail: str, now: int) -> None:
    tx.run(
        "INSERT INTO terminal_reports (terminal_id, received_at, kind, result, detail)"
        " VALUES (?, ?, ?, ?, ?)",
        (tid, now, kind, result, detail),
    )


def reports(tx: Tx, tid: int, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    sql = "SELECT " + ", ".join(_REPORT) + " FROM terminal_reports WHERE terminal_id = ?"
    params: list[Any] = [tid]
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    params.append(limit)
    return [dict(zip(_REPORT, r)) for r in tx.all(sql + " ORDER BY id DESC LIMIT ?", params)]


def first_and_last_wear(tx: Tx, tid: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The terminal's oldest and newest wear reports, or None when it sent none."""
    rows = [
        tx.one(
            "SELECT " + ", ".join(_REPORT) + " FROM terminal_reports"
            " WHERE terminal_id = ? AND kind = 'wear' ORDER BY id " + order + " LIMIT 1",
            (tid,),
        )
        for order in ("ASC", "DESC")
    ]
    if rows[0] is None or rows[1] is None:
        return None
    return dict(zip(_REPORT, rows[0])), dict(zip(_REPORT, rows[1]))
