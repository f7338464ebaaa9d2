# visits: the day's visit list of a rusun: flagged flats by risk, plus a random sample of the rest.
# SPDX-License-Identifier: MIT
"""``plan(c, user, rusun, day)`` makes the list officers take to the field (docs/cases.md,
"Visit lists"):

1. flats the review flags now, and flats whose open case waits for a visit (step ``flagged``,
   ``visit_scheduled``, or a visit nobody answered), highest risk first (the review's score;
   a waiting case not flagged any more comes after the flagged ones), at most ``limit``;
2. ``sample`` occupied flats chosen at random among those neither flagged nor in an open case.

Each flat on the list gets a case (a sampled flat's case has source ``sample``) and the step
``visit_scheduled`` dated ``day``; the officer's outcome is the case's ``visited`` step
(``record``). Without the sample the outcomes would only say how often a flag is right; with it
they also estimate how many sublet or empty flats the review does not flag
(``cases.precision``). The sample is drawn with the operating system's randomness (a seed only
for tests and the demo), so nobody can predict which flats it picks.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from typing import Any

from sync.service import cases, days, flags
from sync.service.accounts import User, require, visible
from sync.service.admin import AdminError, Unknown
from sync.service.collector import Collector
from sync.store import cases as case_store
from sync.store import register, residents
from sync.store import visits as store

DEFAULT_LIMIT = 15
DEFAULT_SAMPLE = 2
WAITING = ("flagged", "visit_scheduled")


def plan(
    c: Collector,
    user: User,
    rusun: str,
    day: dt.date,
    limit: int = DEFAULT_LIMIT,
    sample: int = DEFAULT_SAMPLE,
    seed: int | None = None,
) -> int:
    """Make the visit list of ``rusun`` for ``day``; returns its id. One list per rusun and
    day (``AdminError`` names the existing one)."""
    if not 1 <= limit <= 200 or not 0 <= sample <= 50:
        raise AdminError("batas 1-200, sampel 0-50 / limit 1-200, sample 0-50")
    rng: random.Random = random.Random(seed) if seed is not None else secrets.SystemRandom()
    with c.db.read() as tx:
        r = residents.rusun_by_name(tx, rusun)
    if r is None:
        raise Unknown(f"tidak ditemukan / not found: {rusun}")
    require(user, rusun, rusun)
    flagged = flags.flagged_flats(c, r.id, days.as_of(c))
    at = days.start_of(day)
    with c.db.write() as tx:
        existing = store.list_on(tx, r.id, at)
        if existing is not None:
            raise AdminError(
                f"daftar kunjungan {rusun} {day} sudah ada (#{existing.id}) / a "
                f"visit list for that day exists (#{existing.id})"
            )
        open_cases = {k.unit_id: k for k in case_store.cases(tx, [r.id], open_only=True)}
        steps: dict[int, list[case_store.Step]] = {}
        if open_cases:
            for s in case_store.steps(tx, [k.id for k in open_cases.values()]):
                steps.setdefault(s.case_id, []).append(s)
        chosen: list[tuple[int, str, float, list[str]]] = []  # (unit, source, risk, reasons)
        for f in flagged:
            case = open_cases.get(f.unit_id)
            if case is None or _waits(case, steps.get(case.id, [])):
                chosen.append((f.unit_id, "flag", f.score, f.reasons))
        in_list = {u for u, *_ in chosen}
        for case in open_cases.values():
            if case.unit_id not in in_list and _waits(case, steps.get(case.id, [])):
                reasons = [x for x in case.reasons.split(",") if x]
                chosen.append((case.unit_id, case.source, 0.0, reasons))
        chosen = chosen[:limit]
        flagged_units = {f.unit_id for f in flagged}
        pool = sorted(
            f.id
            for f in register.flats(tx, [r.id])
            if f.status == "occupied" and f.id not in flagged_units and f.id not in open_cases
        )
        picked = rng.sample(pool, min(sample, len(pool)))
        list_id = store.insert_list(tx, r.id, at, len(picked), user.name, c.now())
        rows = []
        for pos, (unit, source, risk, reasons) in enumerate(
            [*chosen, *[(u, "sample", 0.0, []) for u in sorted(picked)]], start=1
        ):
            case_id = cases.open_in(
                tx, c, user, unit, reasons, source if source in cases.SOURCES else "flag", ""
            )
            rows.append(
                (
                    list_id,
                    case_id,
                    unit,
                    pos,
                    "sample" if source == "sample" else "flag",
                    risk,
                    ",".join(reasons),
                )
            )
        store.insert_visits(tx, rows)
        for v in store.visits(tx, list_id):
            case = case_store.case(tx, v.case_id)
            assert case is not None
            if case.state != "visit_scheduled" or _planned_for(steps.get(case.id, []), at):
                cases.advance_in(tx, c, user, v.case_id, "visit_scheduled", day, "", None, v.id)
    return list_id


def _waits(case: case_store.Case, steps: list[case_store.Step]) -> bool:
    """An open case waits for a visit: just flagged, scheduled, or nobody answered."""
    if case.state in WAITING:
        return True
    return case.state == "visited" and bool(steps) and steps[-1].outcome == "no_answer"


def _planned_for(steps: list[case_store.Step], at: int) -> bool:
    """A scheduled case whose newest plan is for another day (planned again for this one)."""
    planned = [s for s in steps if s.state == "visit_scheduled"]
    return bool(planned) and planned[-1].day != at


def record(
    c: Collector,
    user: User,
    visit_id: int,
    outcome: str,
    note: str = "",
    day: dt.date | None = None,
    list_id: int | None = None,
) -> dict[str, Any]:
    """The officer's outcome of one visit: the case's ``visited`` step (``list_id``, when
    given, must be the visit's list)."""
    with c.db.write() as tx:
        v = store.visit(tx, visit_id)
        if v is None or (list_id is not None and v.list_id != list_id):
            raise Unknown(f"tidak ditemukan / not found: visit {visit_id}")
        lst = store.visit_list(tx, v.list_id)
        assert lst is not None
        when = day or days.date_of(lst.day)
        return cases.advance_in(tx, c, user, v.case_id, "visited", when, note, outcome, v.id)


def lists(c: Collector, scope: list[int] | None) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        rows = store.lists(tx, scope)
    return [
        {
            "id": x.id,
            "rusun": names[x.rusun_id],
            "day": days.iso(x.day),
            "sample_size": x.sample_size,
            "by": x.user_name,
            "created_at": x.created_at,
        }
        for x in rows
    ]


def visit_list(c: Collector, user: User, list_id: int) -> dict[str, Any]:
    """A list with each visit's flat, lease holder, household, reasons, risk and outcome (if
    recorded), in visiting order."""
    with c.db.read() as tx:
        lst = store.visit_list(tx, list_id)
        if lst is None:
            raise Unknown(f"tidak ditemukan / not found: visit list {list_id}")
        rusun = residents.rusun_name(tx, lst.rusun_id)
        visible(user, rusun, f"visit list {list_id}")
        rows = store.visits(tx, list_id)
        flats = {f.id: f for f in register.flats(tx, [lst.rusun_id])}
        people = register.people(tx, [lst.rusun_id])
        steps = case_store.steps(tx, [v.case_id for v in rows]) if rows else []
        states = {k.id: k.state for k in case_store.cases(tx, [lst.rusun_id])}
    outcome = {s.visit_id: s for s in steps if s.state == "visited" and s.visit_id is not None}
    household: dict[int, list[register.Person]] = {}
    for p in people:
        if p.kind == "member" and p.status == "active":
            household.setdefault(p.unit_id, []).append(p)
    out = []
    for v in rows:
        f = flats[v.unit_id]
        members = household.get(v.unit_id, [])
        holder = next((p for p in members if p.lease_holder), None)
        done = outcome.get(v.id)
        out.append(
            {
                "id": v.id,
                "position": v.position,
                "case_id": v.case_id,
                "unit_id": v.unit_id,
                "unit": f.name,
                "block": f.block,
                "source": v.source,
                "risk": v.risk,
                "reasons": [x for x in v.reasons.split(",") if x],
                "lease_holder": holder.name if holder else None,
                "members": len(members),
                "member_names": [p.name for p in members],
                "case_state": states.get(v.case_id),
                "outcome": done.outcome if done else None,
                "outcome_note": done.note if done else None,
            }
        )
    return {
        "id": lst.id,
        "rusun": rusun,
        "rusun_id": lst.rusun_id,
        "day": days.iso(lst.day),
        "sample_size": lst.sample_size,
        "by": lst.user_name,
        "created_at": lst.created_at,
        "visits": out,
    }
