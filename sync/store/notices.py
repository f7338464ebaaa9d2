# notices: the SQL of alert delivery: recipients, notices (de-duplication), sends, event sources.
# SPDX-License-Identifier: MIT
"""Functions of an open ``Tx`` (``sync.store.db``); ``sync.service.alerts`` owns the transaction.
A notice is one trouble of one terminal (``notice_key`` = "terminal:category"); a send row says
when a recipient was last told of it and how many sightings that message counted."""

from __future__ import annotations

from typing import Any

from sync.store.db import Tx
from sync.store.schema import EVENT_RECORDS

_RECIPIENT = ("id", "rusun_id", "channel", "address", "secret_enc", "quiet_from", "quiet_to",
              "digest", "digest_day", "created_at")  # fmt: skip
_NOTICE = ("notice_key", "terminal_id", "rusun_id", "category", "detail", "first_at", "last_at",
           "seen")  # fmt: skip


def add_recipient(tx: Tx, values: dict[str, Any]) -> int:
    cols = [c for c in _RECIPIENT if c in values]
    return tx.insert_id(
        f"INSERT INTO alert_recipients ({', '.join(cols)})"
        f" VALUES ({', '.join('?' for _ in cols)})",
        [values[c] for c in cols],
    )


def recipients(tx: Tx) -> list[dict[str, Any]]:
    rows = tx.all("SELECT " + ", ".join(_RECIPIENT) + " FROM alert_recipients ORDER BY id")
    return [dict(zip(_RECIPIENT, r)) for r in rows]


def remove_recipient(tx: Tx, rid: int) -> int:
    tx.run("DELETE FROM alert_sends WHERE recipient_id = ?", (rid,))
    return tx.run("DELETE FROM alert_recipients WHERE id = ?", (rid,))


def set_digest_day(tx: Tx, rid: int, day: int) -> None:
    tx.run("UPDATE alert_recipients SET digest_day = ? WHERE id = ?", (day, rid))


def notice(tx: Tx, key: str) -> dict[str, Any] | None:
    row = tx.one("SELECT " + ", ".join(_NOTICE) + " FROM alert_notices WHERE notice_key = ?",
                 (key,))  # fmt: skip
    return dict(zip(_NOTICE, row)) if row else None


def see(tx: Tx, key: str, tid: int, rid: int, category: str, detail: str, now: int,
        fresh_after: int) -> None:  # fmt: skip
    """Record a sighting: a new notice, or one more of an existing one (a notice not seen for
    ``fresh_after`` seconds starts again, as a new trouble)."""
    n = notice(tx, key)
    if n is None:
        tx.run(
            "INSERT INTO alert_notices (notice_key, terminal_id, rusun_id, category, detail,"
            " first_at, last_at, seen) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
            (key, tid, rid, category, detail, now, now),
        )
    elif now - n["last_at"] > fresh_after:
        tx.run(
            "UPDATE alert_notices SET detail = ?, first_at = ?, last_at = ?, seen = 1"
            " WHERE notice_key = ?",
            (detail, now, now, key),
        )
        tx.run("DELETE FROM alert_sends WHERE notice_key = ?", (key,))
    else:
        tx.run(
            "UPDATE alert_notices SET detail = ?, last_at = ?, seen = seen + 1"
            " WHERE notice_key = ?",
            (detail, now, key),
        )


def notices_since(tx: Tx, since: int) -> list[dict[str, Any]]:
    rows = tx.all(
        "SELECT " + ", ".join(_NOTICE) + " FROM alert_notices WHERE last_at >= ?"
        " ORDER BY rusun_id, terminal_id, category",
        (since,),
    )
    return [dict(zip(_NOTICE, r)) for r in rows]


def sends(tx: Tx, rid: int) -> dict[str, tuple[int, int]]:
    """{notice_key: (sent_at, seen)} of a recipient."""
    rows = tx.all("SELECT notice_key, sent_at, seen FROM alert_sends WHERE recipient_id = ?",
                  (rid,))  # fmt: skip
    return {k: (int(at), int(seen)) for k, at, seen in rows}


def sent(tx: Tx, key: str, rid: int, now: int, seen: int) -> None:
    if tx.run("UPDATE alert_sends SET sent_at = ?, seen = ? WHERE notice_key = ? AND"
              " recipient_id = ?", (now, seen, key, rid)) == 0:  # fmt: skip
        tx.run(
            "INSERT INTO alert_sends (notice_key, recipient_id, sent_at, seen)"
            " VALUES (?, ?, ?, ?)",
            (key, rid, now, seen),
        )


def last_run(tx: Tx, name: str) -> int | None:
    v = tx.value("SELECT at FROM alert_runs WHERE name = ?", (name,))
    return int(v) if v is not None else None


def set_run(tx: Tx, name: str, at: int) -> None:
    if tx.run("UPDATE alert_runs SET at = ? WHERE name = ?", (at, name)) == 0:
        tx.run("INSERT INTO alert_runs (name, at) VALUES (?, ?)", (name, at))


# --- event sources -------------------------------------------------------------------------------


def alert_rows(tx: Tx, since: int, until: int) -> list[tuple[int, str, str]]:
    """(terminal_id, kind, detail) of alert rows written in [since, until) for a known terminal."""
    rows = tx.all(
        "SELECT a.terminal_id, a.kind, a.detail FROM alerts a JOIN terminals t"
        " ON t.id = a.terminal_id WHERE a.created_at >= ? AND a.created_at < ? ORDER BY a.id",
        (since, until),
    )
    return [(int(t), str(k), str(d)) for t, k, d in rows]


EVENTS_SQL = (  # the partial index records_events answers it (sync.store.schema)
    "SELECT terminal_id, kind, flags, payload FROM records WHERE received_at >= ?"
    f" AND received_at < ? AND {EVENT_RECORDS} ORDER BY terminal_id, seq"
)


def device_events(tx: Tx, since: int, until: int) -> list[tuple[int, int, int, int]]:
    """(terminal_id, kind, flags, payload) of records received in [since, until) that people
    must hear of: tamper, a reader declared faulty, a tap refused (log full)."""
    rows = tx.all(EVENTS_SQL, (since, until))
    return [(int(a), int(b), int(c), int(d)) for a, b, c, d in rows]


# --- the lease: one delivery pass at a time ------------------------------------------------------


def take_lease(tx: Tx, name: str, holder: str, now: int, until: int) -> bool:
    """Take (or renew) the lease ``name`` for ``holder`` until ``until``: True unless another
    holder has it and it has not expired. One statement, so two processes racing for it are
    ordered by the database (SQLite: the one writer; PostgreSQL: the row lock, the loser's
    condition re-checked on the winner's row)."""
    return (
        tx.run(
            "INSERT INTO alert_lease (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE alert_lease.expires_at <= ? OR alert_lease.holder = excluded.holder",
            (name, holder, until, now),
        )
        == 1
    )


def drop_lease(tx: Tx, name: str, holder: str) -> None:
    tx.run("UPDATE alert_lease SET expires_at = 0 WHERE name = ? AND holder = ?", (name, holder))
