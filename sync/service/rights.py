# rights: a resident's rights: everything held about them, correction, erasure (UU 27/2022).
# SPDX-License-Identifier: MIT
"""An officer (an admin whose scope holds the resident's rusun) answers a resident's request:

    data = subject_data(c, user, "P1", t0, t1)     # identity, cards, taps in [t0, t1), cases, …
    correct(c, user, "P1", "name", "Siti Aminah", "KTP shown at the desk")
    statement = erase(c, user, "P1")               # refused while the flat has an open case

Each is one access-audit row (the report an export, correction and erasure changes); a
correction is also a register event (old and new value: the trail); an erasure states what it
removed and what is kept and why (docs/privacy.md, "Residents' rights")."""

from __future__ import annotations

import json
from typing import Any

from sync.service import accounts
from sync.service.accounts import User
from sync.service.admin import AdminError, Unknown
from sync.service.collector import Collector
from sync.store import attendance, register_events, residents, subject
from sync.store import audit as audit_rows

CORRECTABLE = ("name", "relation")


class Kept(AdminError):
    """An erasure refused: the law keeps the data for an open case (the message says which)."""


def _resident(tx: Any, user: User, resident_id: str, admin: bool) -> dict[str, Any]:
    who = subject.identity(tx, resident_id)
    if who is None:
        raise Unknown(f"tidak ditemukan / not found: {resident_id}")
    (accounts.require if admin else accounts.visible)(user, who["rusun"], resident_id)
    return who


def subject_data(
    c: Collector, user: User, resident_id: str, t0: int, t1: int, peer: str = ""
) -> dict[str, Any]:
    """Everything hadir holds about one resident (taps only in [t0, t1))."""
    with c.db.read() as tx:
        who = _resident(tx, user, resident_id, admin=True)
        cards = subject.cards(tx, resident_id)
        ids = [card["id"] for card in cards]
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        rows = attendance.card_taps(tx, ids, t0, t1)
        taps = [{"time": int(t), "rusun": names[int(rid)], "terminal": int(term),
                 "card": int(card)} for t, rid, term, _k, _f, _tok, card in rows]  # fmt: skip
        data = {
            "identity": who,
            "cards": cards,
            "period": [t0, t1],
            "taps": taps,
            "cases": subject.cases(tx, who["unit_id"]),
            "events": subject.events(tx, resident_id, ids),
            "absences": subject.absences(tx, resident_id),
            "review_marks": subject.review_marks(tx, resident_id),
            "accesses": subject.accesses(tx, resident_id),
            "generated_at": c.now(),
            "generated_by": user.name,
        }
    with c.db.write() as tx:
        audit_rows.append(tx, at=c.now(), user=user.name, via="rights", peer=peer,
                          kind="export", action="privacy.report",
                          target=f"resident:{resident_id}", rusun_id=who["rusun_id"],
                          detail={"from": t0, "to": t1, "taps": len(taps)})  # fmt: skip
    return data


def correct(
    c: Collector, user: User, resident_id: str, field: str, value: str, note: str, peer: str = ""
) -> dict[str, str]:
    if field not in CORRECTABLE:
        raise AdminError(f"hanya {', '.join(CORRECTABLE)} / only {', '.join(CORRECTABLE)} "
                         "may be corrected here (a move: people move-out)")  # fmt: skip
    value = value.strip()
    if field == "name" and not value:
        raise AdminError("nama kosong / empty name")
    if not note.strip():
        raise AdminError("alasan wajib / a reason (note) is required for the trail")
    with c.db.write() as tx:
        who = _resident(tx, user, resident_id, admin=True)
        old = str(who[field])
        tx.run(f"UPDATE residents SET {field} = ? WHERE resident_id = ?", (value, resident_id))
        now = c.now()
        detail = json.dumps({"field": field, "old": old, "new": value, "note": note.strip()})
        register_events.add(tx, now, "corrected", who["rusun_id"], who["unit_id"], resident_id,
                            None, detail, user.name, now)  # fmt: skip
        audit_rows.append(tx, at=now, user=user.name, via="rights", peer=peer, kind="change",
                          action="privacy.correct", target=f"resident:{resident_id}",
                          rusun_id=who["rusun_id"], detail={"field": field})  # fmt: skip
    return {"field": field, "old": old, "new": value}


def erase(c: Collector, user: User, resident_id: str, peer: str = "") -> dict[str, Any]:
    """Erase the resident, unless their flat has an open case (``Kept`` names it)."""
    with c.db.write() as tx:
        who = _resident(tx, user, resident_id, admin=True)
        open_cases = [k["id"] for k in subject.cases(tx, who["unit_id"]) if k["closed_at"] is None]
        if open_cases:
            raise Kept(
                f"kasus terbuka {', '.join(map(str, open_cases))}: identitas, kartu dan tap "
                f"disimpan sampai kasus ditutup / open case {', '.join(map(str, open_cases))}: "
                "identity, cards and taps are kept as its evidence until it is closed"
            )
        ids = [card["id"] for card in subject.cards(tx, resident_id)]
        removed = subject.erase(tx, resident_id, ids)
        residents.bump_allowlist(tx, who["rusun_id"])  # terminals drop the erased cards
        audit_rows.append(tx, at=c.now(), user=user.name, via="rights", peer=peer,
                          kind="change", action="privacy.erase",
                          target=f"resident:{resident_id}", rusun_id=who["rusun_id"],
                          detail=removed)  # fmt: skip
    return {
        "removed": removed,
        "kept": [
            "jejak akses (siapa melihat apa), dengan ID warga saja / the access audit, by "
            "resident id only (accountability)",
            "peristiwa register bertanggal tanpa rincian / dated register events without "
            "their details (the tenancy record of the flat)",
            "jumlah tap per unit per hari (tanpa orang) / taps per flat and day (no person)",
            "cadangan terenkripsi sampai kedaluwarsa / encrypted backups until they age out",
        ],
    }
