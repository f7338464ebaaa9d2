# flats: one flat as the office sees it: household, cards, izin, cases, the register's trail.
# SPDX-License-Identifier: MIT
"""``flat_page(c, user, unit_id, as_of)`` is the flat page's (and the evidence pack's) data:
the flat and its dated status, each household member (status, relation, lease holder, cards,
izin), visitors and carers, the register's audit trail, the flat's cases, and the review's
evidence for the flat (``evidence``: nights with household presence, first and last tap per
day, members seen against expected, the cards that tap for the flat, the change week by week)
from the detector over the rusun's snapshot. Taps are evidence, never proof.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sync.service import cases, days
from sync.service import normal as normal_service
from sync.service.accounts import User, visible
from sync.service.admin import AdminError, Unknown
from sync.service.collector import Collector
from sync.store import cases as case_store
from sync.store import normal, register, register_events, residents


def scope_of(c: Collector, rusun: str | None) -> list[int] | None:
    """[that rusun's id] (None: every rusun); an unknown rusun is one line."""
    if rusun is None:
        return None
    with c.db.read() as tx:
        r = residents.rusun_by_name(tx, rusun)
    if r is None:
        raise AdminError(f"rusun tidak dikenal / unknown rusun: {rusun}")
    return [r.id]


def find(c: Collector, user: User, rusun: str, unit: str) -> int:
    """The id of flat ``unit`` of ``rusun`` (``Unknown`` if missing or out of scope)."""
    with c.db.read() as tx:
        r = residents.rusun_by_name(tx, rusun)
        f = register.flat_by_name(tx, r.id, unit) if r is not None else None
    if f is None:
        raise Unknown(f"tidak ditemukan / not found: {rusun} {unit}")
    visible(user, rusun, unit)
    return f.id


def person(c: Collector, user: User, resident_id: str) -> dict[str, Any]:
    """One person of the register (the enrollment desk looks a resident up before a tap)."""
    with c.db.read() as tx:
        p = register.person(tx, resident_id)
        f = register.flat(tx, p.unit_id) if p is not None else None
        rusun = residents.rusun_name(tx, p.rusun_id) if p is not None else ""
    if p is None or f is None:
        raise Unknown(f"tidak ditemukan / not found: {resident_id}")
    visible(user, rusun, resident_id)
    return {
        "resident_id": p.resident_id,
        "name": p.name,
        "unit": f.name,
        "unit_id": f.id,
        "rusun": rusun,
        "kind": p.kind,
        "status": p.status,
        "lease_holder": p.lease_holder,
    }


def flat_page(c: Collector, user: User, unit_id: int, as_of: dt.date) -> dict[str, Any]:
    with c.db.read() as tx:
        f = register.flat(tx, unit_id)
        if f is None:
            raise Unknown(f"tidak ditemukan / not found: flat {unit_id}")
        rusun = residents.rusun_name(tx, f.rusun_id)
        visible(user, rusun, f.name)
        people = register.people_of_flat(tx, unit_id)
        cards = register.cards_of_flat(tx, unit_id)
        holder_cards = [k for p in people for k in register.cards_of_person(tx, p.resident_id)]
        events = register_events.of_flat(tx, unit_id)
        absences = normal.absences_of(tx, [p.resident_id for p in people])
        flat_cases = case_store.cases_of_flat(tx, unit_id)
        steps = case_store.steps(tx, [k.id for k in flat_cases]) if flat_cases else []
    by_id = {k.id: k for k in [*cards, *holder_cards]}
    cards_of: dict[str, list[register.CardRow]] = {}
    for k in sorted(by_id.values(), key=lambda k: k.id):
        cards_of.setdefault(k.resident_id, []).append(k)
    names = {p.resident_id: p.name for p in people}
    out_people = []
    for p in people:
        out_people.append(
            {
                "resident_id": p.resident_id,
                "name": p.name,
                "kind": p.kind,
                "relation": p.relation,
                "lease_holder": p.lease_holder,
                "status": p.status,
                "since": days.iso(p.registered_at),
                "status_at": days.iso(p.status_at),
                "valid_until": days.iso(p.valid_until),
                "cards": [f"K-{k.id}" for k in cards_of.get(p.resident_id, [])],
            }
        )
    by_case: dict[int, list[case_store.Step]] = {}
    for s in steps:
        by_case.setdefault(s.case_id, []).append(s)
    return {
        "flat": {
            "id": f.id,
            "rusun": rusun,
            "rusun_id": f.rusun_id,
            "unit": f.name,
            "block": f.block,
            "status": f.status,
            "status_at": days.iso(f.status_at),
            "lease_no": f.lease_no,
            "let_since": days.iso(f.let_since),
            "key": f"{f.rusun_id}/{f.name}",
        },
        "members": [p for p in out_people if p["kind"] == "member"],
        "visitors": [p for p in out_people if p["kind"] != "member"],
        "cards": [
            {
                "card_id": k.id,
                "label": f"K-{k.id}",
                "holder": k.resident_id,
                "holder_name": names.get(k.resident_id, ""),
                "status": k.status,
                "enrolled": days.iso(k.enrolled_at),
                "status_at": days.iso(k.status_at),
                "replaces": k.replaces,
            }
            for k in sorted(by_id.values(), key=lambda k: k.id)
        ],
        "absences": [normal_service.absence_view(a, names) for a in absences],
        "events": [
            {
                "day": days.iso(e.at),
                "at": e.at,
                "kind": e.kind,
                "resident_id": e.resident_id,
                "card_id": e.card_id,
                "detail": e.detail,
                "by": e.user_name,
                "recorded": e.created_at,
            }
            for e in events
        ],
        "cases": [
            {
                "id": k.id,
                "state": k.state,
                "source": k.source,
                "reasons": [r for r in k.reasons.split(",") if r],
                "opened": days.iso(k.opened_at),
                "closed": days.iso(k.closed_at),
                "outcome": cases.conclusive(by_case.get(k.id, [])),
            }
            for k in flat_cases
        ],
        "as_of": as_of.isoformat(),
    }
