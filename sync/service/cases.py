# cases: field verification of a flagged flat: the case's steps, letters, attachments, and each
# review rule's precision measured from the recorded outcomes.
# SPDX-License-Identifier: MIT
"""A case is about one flat (docs/cases.md, "Cases"):

    flagged -> visit_scheduled -> visited (outcome) -> teguran -> sp1 -> sp2 -> sp3
            -> sealed | vacated,  or cleared from any open step

A visit's outcome is ``tenant_found`` (the registered household lives there), ``others_found``
(other occupants), ``empty`` or ``no_answer`` (visit again). Taps are evidence, never proof: the
first letter (teguran) needs a visit that found other occupants or an empty flat; the letters
after it follow in order, each numbered by the rusun's letter format (``letter_format``). A
visit may be scheduled again at any open step. ``sealed`` and ``vacated`` end the tenancy in the
register too (``lifecycle.seal`` / ``vacate``: cards leave the allow-list); ``cleared`` ends the
case without action. Every step is dated (the day it happened), says who recorded it, and may
carry a note and attachments (photos, scanned letters).

``precision(c, scope)``: per review rule, the flats it flagged that became cases, how many were
visited with a conclusive outcome, and how many of those were confirmed (other occupants or
empty): the rule's measured field precision, with a 95 % interval. Cases of the random sample of
unflagged flats (``sync.service.visits``) estimate how often the review misses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import string
from typing import Any

from sync.service import days, lifecycle
from sync.service.accounts import User, require, visible
from sync.service.admin import AdminError, Unknown
from sync.service.collector import Collector
from sync.store import cases as store
from sync.store import register, residents, visits
from sync.store.cases import Case
from sync.store.db import Tx

STATES = (
    "flagged",
    "visit_scheduled",
    "visited",
    "teguran",
    "sp1",
    "sp2",
    "sp3",
    "sealed",
    "vacated",
    "cleared",
)
CLOSED = ("sealed", "vacated", "cleared")
OUTCOMES = ("tenant_found", "others_found", "empty", "no_answer")
CONFIRMING = ("others_found", "empty")
LETTERS = ("teguran", "sp1", "sp2", "sp3")
LETTER_NAMES = {"teguran": "TEGURAN", "sp1": "SP1", "sp2": "SP2", "sp3": "SP3"}
SOURCES = ("flag", "sample", "manual")
DEFAULT_LETTER_FORMAT = "{seq:03d}/{letter}/UPRS/{rusun}/{month_roman}/{year}"
LETTER_FIELDS = ("seq", "letter", "rusun", "month", "month_roman", "year")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
MAX_FILE = 5 * 1024 * 1024
MAX_CASE_FILES = 50 * 1024 * 1024
# What an attachment may be, told by its first bytes (never by the name or the sender's type).
_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def _case(tx: Tx, user: User, case_id: int, change: bool) -> Case:
    case = store.lock_case(tx, case_id) if change else store.case(tx, case_id)
    if case is None:
        raise Unknown(f"tidak ditemukan / not found: case {case_id}")
    rusun = residents.rusun_name(tx, case.rusun_id)
    (require if change else visible)(user, rusun, f"case {case_id}")
    return case


def _last_outcome(steps: list[store.Step]) -> str | None:
    outs = [s.outcome for s in steps if s.state == "visited"]
    return outs[-1] if outs else None


def conclusive(steps: list[store.Step]) -> str | None:
    """The newest visit outcome that says something (not "no answer")."""
    outs = [s.outcome for s in steps if s.state == "visited" and s.outcome != "no_answer"]
    return outs[-1] if outs else None


def next_states(case: Case, steps: list[store.Step]) -> list[str]:
    """The steps an admin may record next for this case."""
    if case.state in CLOSED:
        return []
    out = []
    if case.state == "visit_scheduled":
        out.append("visited")
    out.append("visit_scheduled")
    letters = [s.state for s in steps if s.state in LETTERS]
    highest = LETTERS.index(letters[-1]) if letters else -1
    confirmed = conclusive(steps) in CONFIRMING
    if confirmed and case.state != "visit_scheduled":
        if highest < len(LETTERS) - 1:
            out.append(LETTERS[highest + 1])
        else:
            out += ["sealed", "vacated"]
    out.append("cleared")
    return out


# --- letters -------------------------------------------------------------------------------------


def check_letter_format(fmt: str) -> str:
    """The format if it only names ``LETTER_FIELDS`` (no attribute or index access) and
    formats; else ``AdminError``."""
    fmt = fmt.strip()
    if not fmt or len(fmt) > 120:
        raise AdminError("format nomor surat 1-120 karakter / letter format: 1-120 characters")
    try:
        for _text, name, spec, conv in string.Formatter().parse(fmt):
            if name is None:
                continue
            if name not in LETTER_FIELDS or conv is not None or "{" in (spec or ""):
                raise AdminError(
                    f"format nomor surat: kolom {{{name}}} tidak dikenal / letter "
                    f"format: unknown field {{{name}}} ({', '.join(LETTER_FIELDS)})"
                )
        fmt.format(**_letter_fields(1, "SP1", "Marunda", dt.date(2026, 12, 1)))
    except (ValueError, IndexError, KeyError) as exc:
        raise AdminError(f"format nomor surat tidak sah / invalid letter format: {exc}") from None
    return fmt


def _letter_fields(seq: int, letter: str, rusun: str, day: dt.date) -> dict[str, Any]:
    return {
        "seq": seq,
        "letter": letter,
        "rusun": rusun,
        "month": day.month,
        "month_roman": _ROMAN[day.month - 1],
        "year": day.year,
    }


def letter_format(c: Collector) -> str:
    with c.db.read() as tx:
        return store.setting(tx, "letter_format") or DEFAULT_LETTER_FORMAT


def set_letter_format(c: Collector, user: User, fmt: str) -> str:
    """Only an admin of every rusun (the format is the office's)."""
    if not user.is_admin or user.rusun:
        raise AdminError("khusus admin semua rusun / an admin of every rusun only")
    fmt = check_letter_format(fmt)
    with c.db.write() as tx:
        store.set_setting(tx, "letter_format", fmt)
    return fmt


def set_letter_counter(c: Collector, user: User, rusun: str, year: int, last: int) -> None:
    """The number of the rusun's last letter of ``year`` before hadir numbered them."""
    if not 0 <= last < 1_000_000 or not 2000 <= year <= 2100:
        raise AdminError("nomor 0-999999, tahun 2000-2100 / number 0-999999, year 2000-2100")
    with c.db.write() as tx:
        r = residents.rusun_by_name(tx, rusun)
        if r is None:
            raise Unknown(f"tidak ditemukan / not found: {rusun}")
        require(user, rusun, rusun)
        store.set_letter_counter(tx, r.id, year, last)


def _letter_no(tx: Tx, case: Case, state: str, day: dt.date) -> str:
    fmt = store.setting(tx, "letter_format") or DEFAULT_LETTER_FORMAT
    seq = store.next_letter(tx, case.rusun_id, day.year)
    fields = _letter_fields(seq, LETTER_NAMES[state], residents.rusun_name(tx, case.rusun_id), day)
    return fmt.format(**fields)


# --- the case's steps ----------------------------------------------------------------------------


def open_case(
    c: Collector,
    user: User,
    unit_id: int,
    reasons: list[str],
    source: str = "manual",
    note: str = "",
) -> int:
    """A case for a flat (its step ``flagged``), or the flat's open case (reasons added)."""
    if source not in SOURCES:
        raise AdminError(f"sumber: {', '.join(SOURCES)} / source: {', '.join(SOURCES)}")
    with c.db.write() as tx:
        return open_in(tx, c, user, unit_id, reasons, source, note)


def open_in(
    tx: Tx, c: Collector, user: User, unit_id: int, reasons: list[str], source: str, note: str
) -> int:
    """``open_case`` inside the caller's transaction (a visit list opens many)."""
    flat = register.flat(tx, unit_id)
    if flat is None:
        raise Unknown(f"tidak ditemukan / not found: flat {unit_id}")
    require(user, residents.rusun_name(tx, flat.rusun_id), flat.name)
    clean = sorted({r.strip() for r in reasons if r.strip()})
    for case in store.cases_of_flat(tx, unit_id):
        if case.closed_at is None:
            merged = sorted(set(case.reasons.split(",") if case.reasons else []) | set(clean))
            if merged != (case.reasons.split(",") if case.reasons else []):
                store.set_reasons(tx, case.id, ",".join(merged))
            return case.id
    now = c.now()
    case_id = store.insert_case(
        tx, flat.rusun_id, unit_id, "flagged", source, ",".join(clean), user.name, now
    )
    store.add_step(
        tx,
        case_id,
        "flagged",
        None,
        days.start_of(days.as_of(c)),  # the data's day: a kept database's cases follow it
        None,
        note.strip()[:1000],
        None,
        user.name,
        now,
    )
    return case_id


def advance(
    c: Collector,
    user: User,
    case_id: int,
    state: str,
    day: dt.date | None = None,
    note: str = "",
    outcome: str | None = None,
    visit_id: int | None = None,
) -> dict[str, Any]:
    """Record the case's next step (``next_states``), dated ``day`` (by default ``days.as_of``:
    today, or a kept database's last day). A ``visited`` step needs an ``outcome``; a letter
    gets its number. Returns the step."""
    with c.db.write() as tx:
        return advance_in(tx, c, user, case_id, state, day, note, outcome, visit_id)


def advance_in(
    tx: Tx,
    c: Collector,
    user: User,
    case_id: int,
    state: str,
    day: dt.date | None,
    note: str,
    outcome: str | None,
    visit_id: int | None,
) -> dict[str, Any]:
    case = _case(tx, user, case_id, change=True)
    steps = store.steps(tx, [case_id])
    allowed = next_states(case, steps)
    if state not in allowed:
        raise AdminError(
            f"langkah {state} tidak boleh dari {case.state} (boleh: "
            f"{', '.join(allowed) or '-'}) / step {state} not allowed after "
            f"{case.state}"
        )
    if (state == "visited") != (outcome is not None):
        raise AdminError(
            "hasil kunjungan hanya untuk langkah visited, dan wajib di sana / a "
            "visit outcome goes with the visited step, and only there"
        )
    if outcome is not None and outcome not in OUTCOMES:
        raise AdminError(f"hasil: {', '.join(OUTCOMES)} / outcome: {', '.join(OUTCOMES)}")
    when = day or days.as_of(c)
    at = days.start_of(when)
    if at > c.now() and state != "visit_scheduled":
        raise AdminError("tanggal di masa depan / date in the future")
    if steps and at < steps[-1].day and state != "visit_scheduled":
        raise AdminError("tanggal sebelum langkah sebelumnya / date before the previous step")
    if state == "visited" and visit_id is None:
        planned = [s.visit_id for s in steps if s.state == "visit_scheduled"]
        visit_id = planned[-1] if planned else None
    letter = _letter_no(tx, case, state, when) if state in LETTERS else None
    now = c.now()
    step_id = store.add_step(
        tx, case_id, state, outcome, at, letter, note.strip()[:1000], visit_id, user.name, now
    )
    store.set_state(tx, case_id, state, now, state in CLOSED)
    if state in ("sealed", "vacated"):
        flat = register.flat(tx, case.unit_id)
        if flat is not None and flat.status == "occupied":
            lifecycle.empty_in(
                tx,
                c,
                user,
                case.unit_id,
                "sealed" if state == "sealed" else "vacant",
                at,
                f"case {case_id}",
            )
    return {
        "id": step_id,
        "case_id": case_id,
        "state": state,
        "outcome": outcome,
        "day": when.isoformat(),
        "letter_no": letter,
    }


def attach(
    c: Collector, user: User, case_id: int, name: str, data: bytes, step_id: int | None = None
) -> int:
    """A photo (JPEG, PNG) or a PDF (a scanned letter) for the case, at most 5 MB each and
    50 MB a case; the type is told by the content."""
    if not data or len(data) > MAX_FILE:
        raise AdminError("lampiran 1 bait - 5 MB / attachment: 1 byte to 5 MB")
    mime = next((m for magic, m in _MAGIC if data.startswith(magic)), None)
    if mime is None:
        raise AdminError("lampiran harus JPEG, PNG atau PDF / attachment must be JPEG, PNG or PDF")
    clean = "".join(ch for ch in name if ch.isalnum() or ch in "._- ")[:100].strip() or "lampiran"
    with c.db.write() as tx:
        case = _case(tx, user, case_id, change=True)
        if step_id is not None and step_id not in {s.id for s in store.steps(tx, [case.id])}:
            raise AdminError(f"langkah {step_id} bukan milik kasus ini / not a step of this case")
        if store.case_bytes(tx, case_id) + len(data) > MAX_CASE_FILES:
            raise AdminError("lampiran kasus lebih dari 50 MB / case attachments over 50 MB")
        return store.add_file(
            tx,
            case_id,
            step_id,
            clean,
            mime,
            hashlib.sha256(data).digest(),
            data,
            user.name,
            c.now(),
        )


def attachment(c: Collector, user: User, file_id: int) -> tuple[store.FileInfo, bytes]:
    with c.db.read() as tx:
        found = store.file_data(tx, file_id)
        if found is None:
            raise Unknown(f"tidak ditemukan / not found: file {file_id}")
        _case(tx, user, found[0].case_id, change=False)
        return found


# --- reading -------------------------------------------------------------------------------------


def _view(
    case: Case, steps: list[store.Step], flat: register.Flat | None, rusun: str
) -> dict[str, Any]:
    return {
        "id": case.id,
        "rusun": rusun,
        "rusun_id": case.rusun_id,
        "unit_id": case.unit_id,
        "unit": flat.name if flat else "?",
        "block": flat.block if flat else "",
        "state": case.state,
        "source": case.source,
        "reasons": [r for r in case.reasons.split(",") if r],
        "opened_at": case.opened_at,
        "opened_by": case.opened_by,
        "updated_at": case.updated_at,
        "closed_at": case.closed_at,
        "outcome": conclusive(steps),
        "last_outcome": _last_outcome(steps),
        "letters": [s.letter_no for s in steps if s.letter_no],
    }


def list_cases(
    c: Collector, user: User, scope: list[int] | None, open_only: bool = False
) -> list[dict[str, Any]]:
    """Cases of the user's rusun, newest activity first."""
    with c.db.read() as tx:
        rows = store.cases(tx, scope, open_only)
        steps = store.steps(tx, [r.id for r in rows]) if rows else []
        flats = {f.id: f for f in register.flats(tx, scope)}
        names = {r.id: r.name for r in residents.rusun_all(tx)}
    by_case: dict[int, list[store.Step]] = {}
    for s in steps:
        by_case.setdefault(s.case_id, []).append(s)
    out = [
        _view(r, by_case.get(r.id, []), flats.get(r.unit_id), names[r.rusun_id])
        for r in rows
        if user.may_see(names[r.rusun_id])
    ]
    out.sort(key=lambda v: (v["closed_at"] is not None, -v["updated_at"], -v["id"]))
    return out


def case_page(c: Collector, user: User, case_id: int) -> dict[str, Any]:
    """A case with its steps, attachments, the visits that planned it and what may come
    next."""
    with c.db.read() as tx:
        case = _case(tx, user, case_id, change=False)
        steps = store.steps(tx, [case_id])
        files = store.files(tx, case_id)
        flat = register.flat(tx, case.unit_id)
        planned = visits.visits_of_cases(tx, [case_id])
        rusun = residents.rusun_name(tx, case.rusun_id)
    view = _view(case, steps, flat, rusun)
    view["steps"] = [s._asdict() for s in steps]
    view["files"] = [{**f._asdict(), "sha256": f.sha256.hex()} for f in files]
    view["visits"] = [v._asdict() for v in planned]
    view["next"] = next_states(case, steps)
    return view


def _wilson(k: int, n: int) -> tuple[float, float] | None:
    """95 % Wilson score interval of k successes in n (None when n is 0): honest for the small
    numbers of visits a rusun makes."""
    if n == 0:
        return None
    z = 1.96
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def precision(c: Collector, scope: list[int] | None) -> dict[str, Any]:
    """Per review rule: ``flags`` (flats it flagged that became cases), ``visited`` (with a
    conclusive outcome), ``confirmed`` (other occupants or empty), ``precision`` and its 95 %
    interval; ``all`` over every flagged case; ``sample``: the same for the random sample of
    unflagged flats (its ``rate`` estimates how many unflagged flats are sublet or empty)."""
    with c.db.read() as tx:
        rows = store.cases(tx, scope)
        steps = store.steps(tx, [r.id for r in rows]) if rows else []
    by_case: dict[int, list[store.Step]] = {}
    for s in steps:
        by_case.setdefault(s.case_id, []).append(s)
    rules: dict[str, dict[str, int]] = {}
    total = {"flags": 0, "visited": 0, "confirmed": 0}
    sample = {"flags": 0, "visited": 0, "confirmed": 0}
    outcomes = {o: 0 for o in OUTCOMES}
    for case in rows:
        outcome = conclusive(by_case.get(case.id, []))
        if outcome:
            outcomes[outcome] += 1
        if case.source == "sample":
            counts = [sample]
        elif case.source == "flag":
            counts = [total] + [
                rules.setdefault(r, {"flags": 0, "visited": 0, "confirmed": 0})
                for r in case.reasons.split(",")
                if r
            ]
        else:
            continue  # opened by hand: neither a flag nor the random sample
        for n in counts:
            n["flags"] += 1
            if outcome is not None:
                n["visited"] += 1
                n["confirmed"] += outcome in CONFIRMING

    def finish(n: dict[str, int]) -> dict[str, Any]:
        rate = n["confirmed"] / n["visited"] if n["visited"] else None
        return {**n, "precision": rate, "interval": _wilson(n["confirmed"], n["visited"])}

    return {
        "rules": {r: finish(n) for r, n in sorted(rules.items())},
        "all": finish(total),
        "sample": finish(sample),
        "outcomes": outcomes,
    }
