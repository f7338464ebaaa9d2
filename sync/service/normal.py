# normal: what is normal and must not raise a flag: izin, holidays, per-rusun thresholds.
# SPDX-License-Identifier: MIT
"""Each change is one transaction, by an admin of the rusun concerned (``accounts.require``), and
kept: an absence is cancelled rather than deleted, a threshold change is a new row (who, when,
the value; ``thresholds_trail``). All of it reaches the detector through the snapshot
(``sync.service.snapshot``): a member away on izin is not expected, a holiday excuses the
household, a registered visitor's or carer's card is known (``lifecycle.add_person``), and the
thresholds are the rusun's own.

    absence(c, user, "P00042", date(2026, 12, 20), date(2027, 1, 3), "mudik")
    holiday(c, user, date(2026, 12, 25), "Hari Raya Natal")      # every rusun
    set_threshold(c, user, "Marunda", "not_seen_days", 21)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync.review.model import ABSENCE_KINDS, THRESHOLDS, ThresholdError, Thresholds, with_overrides
from sync.service import days
from sync.service.accounts import User, require
from sync.service.admin import AdminError, Unknown
from sync.service.collector import Collector
from sync.store import normal, register, register_events, residents

MAX_ABSENCE_DAYS = 366


# --- izin ----------------------------------------------------------------------------------------


def absence(
    c: Collector,
    user: User,
    resident_id: str,
    first: dt.date,
    last: dt.date,
    kind: str = "other",
    note: str = "",
) -> int:
    """A declared absence (izin) of one household member, both days inclusive."""
    if kind not in ABSENCE_KINDS:
        raise AdminError(
            f"jenis izin: {', '.join(ABSENCE_KINDS)} / absence kind: {', '.join(ABSENCE_KINDS)}"
        )
    if last < first or (last - first).days >= MAX_ABSENCE_DAYS:
        raise AdminError(
            "izin 1-366 hari, akhir tidak sebelum awal / an absence of 1-366 days,"
            " ending on or after its first day"
        )
    with c.db.write() as tx:
        p = register.person(tx, resident_id)
        if p is None:
            raise Unknown(f"tidak ditemukan / not found: {resident_id}")
        require(user, residents.rusun_name(tx, p.rusun_id), resident_id)
        if p.kind != "member" or p.status != "active":
            raise AdminError(
                "izin hanya untuk anggota keluarga aktif / absences are for active "
                "household members"
            )
        aid = normal.add_absence(
            tx,
            resident_id,
            days.start_of(first),
            days.start_of(last),
            kind,
            note.strip()[:500],
            user.name,
            c.now(),
        )
        register_events.add(
            tx,
            days.start_of(first),
            "absence",
            p.rusun_id,
            p.unit_id,
            resident_id,
            None,
            f"{kind} {first}..{last}",
            user.name,
            c.now(),
        )
        return aid


def cancel_absence(c: Collector, user: User, absence_id: int) -> None:
    with c.db.write() as tx:
        a = normal.absence(tx, absence_id)
        p = register.person(tx, a.resident_id) if a is not None else None
        if a is None or p is None:
            raise Unknown(f"tidak ditemukan / not found: izin {absence_id}")
        require(user, residents.rusun_name(tx, p.rusun_id), a.resident_id)
        if a.cancelled_at is not None:
            raise AdminError("izin sudah dibatalkan / absence already cancelled")
        normal.cancel_absence(tx, absence_id, c.now())
        register_events.add(
            tx,
            c.now(),
            "absence_cancelled",
            p.rusun_id,
            p.unit_id,
            a.resident_id,
            None,
            str(absence_id),
            user.name,
            c.now(),
        )


def absences(c: Collector, scope: list[int] | None, since: dt.date | None = None) -> list[dict]:
    """Absences (with cancelled ones marked) of the rusun in ``scope`` ending on or after
    ``since``."""
    with c.db.read() as tx:
        rows = normal.absences(tx, scope, days.start_of(since) if since else 0)
        names = {p.resident_id: p.name for p in register.people(tx, scope)}
    return [absence_view(a, names) for a in rows]


def absence_view(a: normal.Absence, names: dict[str, str]) -> dict[str, Any]:
    """One absence as the pages and the API show it (``names``: resident id -> name)."""
    return {
        "id": a.id,
        "resident_id": a.resident_id,
        "name": names.get(a.resident_id, ""),
        "first": days.iso(a.first_day),
        "last": days.iso(a.last_day),
        "kind": a.kind,
        "note": a.note,
        "by": a.user_name,
        "cancelled": a.cancelled_at is not None,
    }


# --- holidays ------------------------------------------------------------------------------------


def holiday(c: Collector, user: User, day: dt.date, name: str, rusun: str | None = None) -> int:
    """A holiday for one rusun, or (``rusun`` None, an admin of every rusun) for all."""
    name = name.strip()
    if not name or len(name) > 100:
        raise AdminError("nama hari libur wajib (maks. 100) / holiday name required (max. 100)")
    with c.db.write() as tx:
        rid = None
        if rusun is None:
            if not user.is_admin or user.rusun:
                raise AdminError(
                    "hari libur semua rusun: khusus admin semua rusun / a holiday for "
                    "every rusun: an admin of every rusun only"
                )
        else:
            r = residents.rusun_by_name(tx, rusun)
            if r is None:
                raise Unknown(f"tidak ditemukan / not found: {rusun}")
            require(user, rusun, rusun)
            rid = r.id
        at = days.start_of(day)
        if any(h.day == at and h.rusun_id == rid for h in normal.holidays(tx)):
            raise AdminError(f"{day} sudah hari libur / already a holiday")
        return normal.add_holiday(tx, at, rid, name, user.name, c.now())


def delete_holiday(c: Collector, user: User, holiday_id: int) -> None:
    with c.db.write() as tx:
        h = next((h for h in normal.holidays(tx) if h.id == holiday_id), None)
        if h is None:
            raise Unknown(f"tidak ditemukan / not found: holiday {holiday_id}")
        if h.rusun_id is None:
            if not user.is_admin or user.rusun:
                raise AdminError("khusus admin semua rusun / an admin of every rusun only")
        else:
            require(user, residents.rusun_name(tx, h.rusun_id), str(holiday_id))
        normal.delete_holiday(tx, holiday_id)


def holidays(c: Collector, scope: list[int] | None) -> list[dict]:
    with c.db.read() as tx:
        rows = normal.holidays(tx)
        names = {r.id: r.name for r in residents.rusun_all(tx)}
    return [
        {
            "id": h.id,
            "day": days.iso(h.day),
            "name": h.name,
            "rusun": names.get(h.rusun_id) if h.rusun_id is not None else None,
            "by": h.user_name,
        }
        for h in rows
        if h.rusun_id is None or scope is None or h.rusun_id in scope
    ]


# --- thresholds ----------------------------------------------------------------------------------


def set_threshold(c: Collector, user: User, rusun: str, name: str, value: int | None) -> None:
    """The rusun's own value for a detector threshold (``sync.review.model.THRESHOLDS`` gives
    the names and ranges); None goes back to the default. Kept as a trail."""
    with c.db.write() as tx:
        r = residents.rusun_by_name(tx, rusun)
        if r is None:
            raise Unknown(f"tidak ditemukan / not found: {rusun}")
        require(user, rusun, rusun)
        if value is not None or name not in THRESHOLDS:
            try:
                with_overrides(Thresholds(), {name: value if value is not None else 0})
            except ThresholdError as exc:
                raise AdminError(str(exc)) from None
        normal.add_threshold(tx, r.id, name, value, user.name, c.now())


def thresholds(c: Collector, scope: list[int] | None) -> list[dict[str, Any]]:
    """Per rusun: each threshold's default, the rusun's value (or None) and its range."""
    with c.db.read() as tx:
        names = [r for r in residents.rusun_all(tx) if scope is None or r.id in scope]
        overrides = normal.overrides(tx)
    defaults = Thresholds()
    return [
        {
            "rusun": r.name,
            "values": [
                {
                    "name": n,
                    "default": getattr(defaults, n),
                    "value": overrides.get(r.id, {}).get(n),
                    "lowest": spec.lowest,
                    "highest": spec.highest,
                    "text": spec.text,
                }
                for n, spec in THRESHOLDS.items()
            ],
        }
        for r in names
    ]


def thresholds_trail(c: Collector, scope: list[int] | None) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        rows = normal.threshold_rows(tx, scope)
        names = {r.id: r.name for r in residents.rusun_all(tx)}
    return [
        {
            "rusun": names[t.rusun_id],
            "name": t.name,
            "value": t.value,
            "by": t.user_name,
            "at": t.created_at,
        }
        for t in rows
    ]
