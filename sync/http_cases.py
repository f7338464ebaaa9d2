# http_cases: the admin API of the register and the case work (``/api/…``), beside sync/http.py.
# SPDX-License-Identifier: MIT
"""Same authentication as ``sync.http`` (HTTP basic or a bearer token); the services check the
role and the rusun of every change (``sync.service.scope``). Answers: 400 with a one-line
``detail`` for a refused change, 403 for a viewer's change, 404 for something that does not
exist or lies outside the user's rusun (the two look the same). docs/cases.md lists the routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sync.http import Auth, Rusun, collector
from sync.service import (
    cases,
    days,
    flags,
    flats,
    lifecycle,
    normal,
    register,
    register_file,
    visits,
)
from sync.service.accounts import User
from sync.service.admin import AdminError, AlreadyDone, Forbidden, Unknown

router = APIRouter(prefix="/api", tags=["register and cases"])
# Services whose changes alter the review's input (its cached answers are dropped).
_CHANGES_REVIEW = ("sync.service.lifecycle", "sync.service.normal", "sync.service.register")
Id = Annotated[int, Path(ge=1, le=2**62)]
Text = Annotated[str, Field(max_length=1000)]
Short = Annotated[str, Field(max_length=100)]


def _call(fn, *args) -> Any:
    try:
        out = fn(*args)
        if fn.__module__ in _CHANGES_REVIEW:  # the register or what is normal changed
            flags.forget(args[0])
        return out
    except Unknown as exc:
        raise HTTPException(404, str(exc)) from None
    except Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except AlreadyDone as exc:
        raise HTTPException(409, str(exc)) from None
    except AdminError as exc:
        raise HTTPException(400, str(exc)) from None


def _scope(request: Request, user: User, rusun: str | None) -> list[int] | None:
    """The rusun ids a read covers: ``rusun`` (one outside the user's scope is answered like
    one that does not exist), else every rusun of the user's scope (None: all)."""
    if rusun is None:
        return user.scope.ids()
    ids = _call(flats.scope_of, collector(request), rusun)
    if ids is not None and not all(user.scope.allows(i) for i in ids):
        raise HTTPException(400, f"rusun tidak dikenal / unknown rusun: {rusun}")
    return ids


# --- the register --------------------------------------------------------------------------------

_FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


async def _sheet(request: Request, filename: str) -> register_file.Sheet:
    data = await request.body()
    return _call(register_file.read, data, filename)


@router.post(
    "/register/preview",
    summary="What importing a register file would change",
    openapi_extra=_FILE_BODY,
)
async def register_preview(
    request: Request, user: Auth, filename: Annotated[str, Query(max_length=200)] = ""
) -> dict[str, Any]:
    sheet = await _sheet(request, filename)
    diff = await run_in_threadpool(
        _call, register.import_register, collector(request), sheet, user, False, None
    )
    return diff.as_dict()


@router.post(
    "/register/import",
    summary="Import a register file (refused whole on any error)",
    openapi_extra=_FILE_BODY,
)
async def register_import(
    request: Request,
    user: Auth,
    filename: Annotated[str, Query(max_length=200)] = "",
    expect: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    sheet = await _sheet(request, filename)
    diff = await run_in_threadpool(
        _call, register.import_register, collector(request), sheet, user, True, expect
    )
    if diff.errors:
        raise HTTPException(400, {"errors": diff.errors, "fingerprint": diff.fingerprint})
    return diff.as_dict()


@router.get("/register/progress", summary="Registration progress per rusun, district, city")
def register_progress(request: Request, user: Auth, rusun: Rusun = None) -> dict[str, Any]:
    return register.progress(collector(request), _scope(request, user, rusun))


@router.get("/register/unregistered", summary="Occupied flats of a rusun without a card")
def register_unregistered(
    request: Request, user: Auth, rusun: Annotated[str, Query(max_length=100)]
) -> list[dict[str, Any]]:
    (rid,) = _scope(request, user, rusun) or [0]
    return register.flats_without_card(collector(request), rid)


# --- flats, people, cards ------------------------------------------------------------------------


class Change(BaseModel):
    day: dt.date | None = None
    note: Text = ""


class Relet(Change):
    lease_no: Annotated[str, Field(max_length=60)] = ""


class PersonIn(BaseModel):
    name: Short
    kind: Literal["member", "visitor", "carer"] = "member"
    resident_id: Annotated[str | None, Field(max_length=40)] = None
    relation: Literal["", "head", "spouse", "child", "parent", "other"] = ""
    lease_holder: bool = False
    day: dt.date | None = None
    valid_until: dt.date | None = None


class CardIn(BaseModel):
    uid: Annotated[str, Field(max_length=40)]
    atqa: Annotated[str, Field(max_length=8)] = ""
    sak: Annotated[str, Field(max_length=4)] = ""
    ats: Annotated[str, Field(max_length=80)] = ""
    replaces: Annotated[int | None, Field(ge=1, le=2**62)] = None


@router.get("/flats/{unit_id}", summary="A flat: household, cards, izin, cases, trail")
def get_flat(request: Request, user: Auth, unit_id: Id) -> dict[str, Any]:
    c = collector(request)
    return _call(flats.flat_page, c, user, unit_id, days.as_of(c))


@router.post("/flats/{unit_id}/{change}", summary="Vacate, seal or re-let a flat (dated)")
def change_flat(
    request: Request,
    user: Auth,
    unit_id: Id,
    change: Literal["vacate", "seal", "relet"],
    body: Relet,
) -> dict[str, Any]:
    c = collector(request)
    if change == "relet":
        _call(lifecycle.relet, c, user, unit_id, body.day, body.lease_no, body.note)
    else:
        _call(getattr(lifecycle, change), c, user, unit_id, body.day, body.note)
    return {"unit_id": unit_id, "change": change}


@router.post("/flats/{unit_id}/people", summary="Add a household member, visitor or carer")
def add_person(request: Request, user: Auth, unit_id: Id, body: PersonIn) -> dict[str, Any]:
    rid = _call(
        lifecycle.add_person,
        collector(request),
        user,
        unit_id,
        body.name,
        body.kind,
        body.resident_id,
        body.relation,
        body.lease_holder,
        body.day,
        body.valid_until,
    )
    return {"resident_id": rid}


@router.get("/residents/{resident_id}", summary="One person of the register (enrollment desk)")
def get_resident(
    request: Request, user: Auth, resident_id: Annotated[str, Path(max_length=40)]
) -> dict[str, Any]:
    return _call(flats.person, collector(request), user, resident_id)


@router.post("/residents/{resident_id}/cards", summary="Enrol a card for a resident")
def enrol(
    request: Request, user: Auth, resident_id: Annotated[str, Path(max_length=40)], body: CardIn
) -> dict[str, Any]:
    card = _call(
        lifecycle.enrol_card,
        collector(request),
        user,
        resident_id,
        body.uid,
        body.atqa,
        body.sak,
        body.ats,
        body.replaces,
    )
    return {"card_id": card, "resident_id": resident_id}


@router.post("/residents/{resident_id}/{change}", summary="Record a move-out or a death (dated)")
def leave(
    request: Request,
    user: Auth,
    resident_id: Annotated[str, Path(max_length=40)],
    change: Literal["move-out", "deceased"],
    body: Change,
) -> dict[str, Any]:
    fn = lifecycle.move_out if change == "move-out" else lifecycle.deceased
    _call(fn, collector(request), user, resident_id, body.day, body.note)
    return {"resident_id": resident_id, "change": change}


@router.post("/cards/{card_id}/lost", summary="Block a lost card (dated)")
def card_lost(request: Request, user: Auth, card_id: Id, body: Change) -> dict[str, Any]:
    _call(lifecycle.card_lost, collector(request), user, card_id, body.day, body.note)
    return {"card_id": card_id, "status": "lost"}


# --- izin, holidays, thresholds ------------------------------------------------------------------


class AbsenceIn(BaseModel):
    resident_id: Annotated[str, Field(max_length=40)]
    first: dt.date
    last: dt.date
    kind: Literal["travel", "hospital", "mudik", "work", "other"] = "other"
    note: Text = ""


class HolidayIn(BaseModel):
    day: dt.date
    name: Short
    rusun: Annotated[str | None, Field(max_length=100)] = None


@router.get("/absences", summary="Declared absences (izin)")
def get_absences(request: Request, user: Auth, rusun: Rusun = None) -> list[dict[str, Any]]:
    return normal.absences(collector(request), _scope(request, user, rusun))


@router.post("/absences", summary="Record an absence (izin)")
def post_absence(request: Request, user: Auth, body: AbsenceIn) -> dict[str, Any]:
    aid = _call(
        normal.absence,
        collector(request),
        user,
        body.resident_id,
        body.first,
        body.last,
        body.kind,
        body.note,
    )
    return {"id": aid}


@router.post("/absences/{absence_id}/cancel", summary="Cancel an absence")
def cancel_absence(request: Request, user: Auth, absence_id: Id) -> dict[str, Any]:
    _call(normal.cancel_absence, collector(request), user, absence_id)
    return {"id": absence_id, "cancelled": True}


@router.get("/holidays", summary="The holiday calendar")
def get_holidays(request: Request, user: Auth) -> list[dict[str, Any]]:
    return normal.holidays(collector(request), _scope(request, user, None))


@router.post("/holidays", summary="Add a holiday (one rusun, or every rusun)")
def post_holiday(request: Request, user: Auth, body: HolidayIn) -> dict[str, Any]:
    hid = _call(normal.holiday, collector(request), user, body.day, body.name, body.rusun)
    return {"id": hid}


@router.delete("/holidays/{holiday_id}", summary="Delete a holiday")
def delete_holiday(request: Request, user: Auth, holiday_id: Id) -> dict[str, Any]:
    _call(normal.delete_holiday, collector(request), user, holiday_id)
    return {"id": holiday_id, "deleted": True}


@router.get("/thresholds", summary="Each rusun's review thresholds (defaults, values, ranges)")
def get_thresholds(request: Request, user: Auth, rusun: Rusun = None) -> list[dict[str, Any]]:
    return normal.thresholds(collector(request), _scope(request, user, rusun))


@router.put("/thresholds/{rusun}/{name}", summary="Set a rusun's threshold (null: default)")
def put_threshold(
    request: Request,
    user: Auth,
    rusun: Annotated[str, Path(max_length=100)],
    name: Annotated[str, Path(max_length=40)],
    value: Annotated[int | None, Body(embed=True, ge=-(2**31), le=2**31)] = None,
) -> dict[str, Any]:
    _call(normal.set_threshold, collector(request), user, rusun, name, value)
    return {"rusun": rusun, "name": name, "value": value}


# --- cases and letters ---------------------------------------------------------------------------


class CaseIn(BaseModel):
    unit_id: Annotated[int, Field(ge=1, le=2**62)]
    reasons: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] = []
    note: Text = ""


class StepIn(BaseModel):
    state: Literal[cases.STATES]  # type: ignore[valid-type]
    day: dt.date | None = None
    outcome: Literal[cases.OUTCOMES] | None = None  # type: ignore[valid-type]
    note: Text = ""


@router.get("/cases/precision", summary="Each review rule's measured field precision")
def get_precision(request: Request, user: Auth, rusun: Rusun = None) -> dict[str, Any]:
    return cases.precision(collector(request), _scope(request, user, rusun))


@router.get("/cases", summary="Cases (newest activity first)")
def get_cases(
    request: Request, user: Auth, rusun: Rusun = None, open: bool = False
) -> list[dict[str, Any]]:
    return cases.list_cases(collector(request), user, _scope(request, user, rusun), open)


@router.post("/cases", summary="Open a case for a flat (or its open case)")
def post_case(request: Request, user: Auth, body: CaseIn) -> dict[str, Any]:
    cid = _call(
        cases.open_case,
        collector(request),
        user,
        body.unit_id,
        body.reasons,
        "flag" if body.reasons else "manual",
        body.note,
    )
    return {"id": cid}


@router.get("/cases/{case_id}", summary="A case: steps, files, what may come next")
def get_case(request: Request, user: Auth, case_id: Id) -> dict[str, Any]:
    return _call(cases.case_page, collector(request), user, case_id)


@router.post("/cases/{case_id}/steps", summary="Record the case's next step")
def post_step(request: Request, user: Auth, case_id: Id, body: StepIn) -> dict[str, Any]:
    return _call(
        cases.advance,
        collector(request),
        user,
        case_id,
        body.state,
        body.day,
        body.note,
        body.outcome,
    )


@router.post(
    "/cases/{case_id}/files",
    summary="Attach a JPEG, PNG or PDF (5 MB at most)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def post_file(
    request: Request,
    user: Auth,
    case_id: Id,
    name: Annotated[str, Query(max_length=100)] = "lampiran",
) -> dict[str, Any]:
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > cases.MAX_FILE:
            raise HTTPException(413, "lampiran lebih dari 5 MB / attachment over 5 MB")
    fid = await run_in_threadpool(
        _call, cases.attach, collector(request), user, case_id, name, bytes(data), None
    )
    return {"id": fid}


@router.get("/files/{file_id}", summary="An attachment", response_class=Response)
def get_file(request: Request, user: Auth, file_id: Id) -> Response:
    info, data = _call(cases.attachment, collector(request), user, file_id)
    return Response(data, media_type=info.mime, headers={"Content-Disposition": "attachment"})


@router.get(
    "/cases/{case_id}/pack",
    summary="The case's evidence pack (HTML or PDF)",
    response_class=Response,
)
def get_pack(
    request: Request,
    user: Auth,
    case_id: Id,
    format: Literal["html", "pdf"] = "pdf",
    lang: Literal["id", "en"] = "id",
) -> Response:
    from sync.web import pack

    body = _call(pack.render, collector(request), user, case_id, lang, format)
    return Response(body, media_type="application/pdf" if format == "pdf" else "text/html")


@router.get("/letters/format", summary="The letter number format")
def get_letter_format(request: Request, user: Auth) -> dict[str, str]:
    return {"format": cases.letter_format(collector(request))}


@router.put("/letters/format", summary="Set the letter number format (admins of every rusun)")
def put_letter_format(
    request: Request, user: Auth, format: Annotated[str, Body(embed=True, max_length=200)]
) -> dict[str, str]:
    return {"format": _call(cases.set_letter_format, collector(request), user, format)}


# --- visit lists ---------------------------------------------------------------------------------


class PlanIn(BaseModel):
    rusun: Short
    day: dt.date
    limit: Annotated[int, Field(ge=1, le=200)] = visits.DEFAULT_LIMIT
    sample: Annotated[int, Field(ge=0, le=50)] = visits.DEFAULT_SAMPLE


class OutcomeIn(BaseModel):
    outcome: Literal[cases.OUTCOMES]  # type: ignore[valid-type]
    note: Text = ""
    day: dt.date | None = None


@router.get("/visits", summary="Visit lists")
def get_visit_lists(request: Request, user: Auth, rusun: Rusun = None) -> list[dict[str, Any]]:
    return visits.lists(collector(request), _scope(request, user, rusun))


@router.post("/visits", summary="Make a rusun's visit list for a day")
def post_visit_list(request: Request, user: Auth, body: PlanIn) -> dict[str, Any]:
    c = collector(request)
    lid = _call(visits.plan, c, user, body.rusun, body.day, body.limit, body.sample)
    return visits.visit_list(c, user, lid)


@router.get("/visits/{list_id}", summary="A visit list (JSON, or PDF to print)")
def get_visit_list(
    request: Request,
    user: Auth,
    list_id: Id,
    format: Literal["json", "pdf"] = "json",
    lang: Literal["id", "en"] = "id",
) -> Any:
    lst = _call(visits.visit_list, collector(request), user, list_id)
    if format == "pdf":
        from sync.web import pdf

        return Response(pdf.visit_list(lst, lang), media_type="application/pdf")
    return lst


@router.post("/visits/{list_id}/visits/{visit_id}", summary="Record a visit's outcome")
def post_outcome(
    request: Request, user: Auth, list_id: Id, visit_id: Id, body: OutcomeIn
) -> dict[str, Any]:
    return _call(
        visits.record,
        collector(request),
        user,
        visit_id,
        body.outcome,
        body.note,
        body.day,
        list_id,
    )
