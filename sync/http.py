# http: the collector's routes; they parse and authenticate, then call a service function.
# SPDX-License-Identifier: MIT
"""Two routers: ``terminal_router`` (the three endpoints of docs/protocol.md, binary bodies
authenticated by their request MAC) and ``admin_router`` (``/api/…``, JSON or CSV, HTTP basic with
an admin user or ``Authorization: Bearer <token>``), plus ``GET /healthz``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from pydantic import BaseModel, Field

from sync.service import admin, audit, days, downlink, ingest, releases, remote, reports, rights
from sync.service.accounts import User
from sync.service.admin import AdminError, OutOfScope
from sync.service.collector import Collector
from sync.service.verify import Outcome

_BINARY = "application/octet-stream"
_BINARY_BODY = {
    "requestBody": {
        "required": True,
        "content": {_BINARY: {"schema": {"type": "string", "format": "binary"}}},
    }
}


# Every integer a request carries is bounded: an unbounded one reaches SQL as a number the
# database cannot hold (SQLite: 64 bits) and would be a server error, not a refusal.
U32 = Annotated[int, Path(ge=0, le=2**32 - 1)]  # release ids, chunk numbers, states: 32 bits
Blocks = Annotated[int | None, Query(ge=0, le=2**32 - 1)]  # littlefs blocks a terminal reports
_TIME_MAX = 2**40  # Unix seconds: far past any date hadir handles


def _error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "malformed body (the reason is in `detail`)",
        401: "unknown terminal, or a MAC that does not verify",
        403: "revoked terminal",
        413: "body larger than one batch",
        429: "the verification work this terminal or address may cause is spent: retry later",
    }
    return {code: {"description": text[code]} for code in codes}


def collector(request: Request) -> Collector:
    return request.app.state.collector


async def _body(request: Request) -> bytes:
    """The raw body: ``sync.gate`` has already refused one larger than a full batch (413)."""
    return await request.body()


# On a batch's 200: how many of its records were new (0 for one already stored). Outside the
# signed reply: for the technician's `upload` summary, never for the terminal's decisions.
STORED_HEADER = "X-Hadir-Stored"


def _answer(outcome: Outcome, stored: bool = False) -> Response:
    if outcome.http == 200:
        headers = {STORED_HEADER: str(outcome.stored)} if stored else None
        return Response(outcome.body, media_type=_BINARY, headers=headers)
    headers = {"Retry-After": "60"} if outcome.http == 429 else None
    return JSONResponse({"detail": outcome.reason}, status_code=outcome.http, headers=headers)


terminal_router = APIRouter(tags=["terminal"])

# The three endpoints of docs/protocol.md: (path, route name, service function, what a 200 holds,
# summary). Each takes a signed binary body and answers a signed binary blob.
_TERMINAL_ENDPOINTS = (
    ("/v1/batches", "post_batch", ingest.upload, "a signed 37-byte reply",
     "Upload a signed batch (count 0: a status request)"),
    ("/v1/config", "post_config", downlink.config, "the signed config blob",
     "Fetch this terminal's signed config (body: a status request)"),
    ("/v1/allowlist", "post_allowlist", downlink.allowlist, "the signed allow-list",
     "Fetch this terminal's signed allow-list (body: a status request)"),
    ("/v1/report", "post_report", remote.report, "an empty body: the report is stored",
     "Report a command's result, settings kept or gone back, flash wear (signed)"),
)  # fmt: skip


def _terminal_endpoint(service: Callable[[Collector, bytes, str], Outcome]):
    async def endpoint(request: Request) -> Response:
        body = await _body(request)
        peer = _peer(request)
        outcome = await run_in_threadpool(service, collector(request), body, peer)
        return _answer(outcome, stored=service is ingest.upload)

    return endpoint


for _path, _name, _service, _answers, _summary in _TERMINAL_ENDPOINTS:
    terminal_router.add_api_route(
        _path,
        _terminal_endpoint(_service),
        methods=["POST"],
        name=_name,
        openapi_extra=_BINARY_BODY,
        response_class=Response,
        responses={
            200: {"content": {_BINARY: {}}, "description": _answers},
            **_error_responses(400, 401, 403, 413, 429),
        },
        summary=_summary,
    )


_RELEASE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {_BINARY: {}}, "description": "the signed manifest, or the chunk's bytes"},
    404: {"description": "no such release or chunk"},
    **_error_responses(400, 401, 403, 413, 429),
}


@terminal_router.post(
    "/v1/release/{rid}/manifest",
    name="post_release_manifest",
    openapi_extra=_BINARY_BODY,
    response_class=Response,
    responses=_RELEASE_RESPONSES,
    summary="Fetch a release's signed manifest (body: a status request)",
)
async def post_release_manifest(request: Request, rid: U32) -> Response:
    body = await _body(request)
    peer = request.client.host if request.client else ""
    c = collector(request)
    return _answer(await run_in_threadpool(releases.manifest, c, body, rid, peer))


@terminal_router.post(
    "/v1/release/{rid}/chunk/{n}",
    name="post_release_chunk",
    openapi_extra=_BINARY_BODY,
    response_class=Response,
    responses=_RELEASE_RESPONSES,
    summary="Fetch chunk n of a release (body: a status request)",
)
async def post_release_chunk(request: Request, rid: U32, n: U32) -> Response:
    body = await _body(request)
    peer = request.client.host if request.client else ""
    c = collector(request)
    return _answer(await run_in_threadpool(releases.chunk, c, body, rid, n, peer))


@terminal_router.post(
    "/v1/release/{rid}/report/{state}",
    name="post_release_report",
    openapi_extra=_BINARY_BODY,
    response_class=Response,
    responses=_RELEASE_RESPONSES,
    summary="Report installed (2), refused (1), rolled back (3) or no room (4, with ?need=&free= "
    "in littlefs blocks) (body: a status request)",
)
async def post_release_report(request: Request, rid: U32, state: U32, need: Blocks = None,
                              free: Blocks = None) -> Response:  # fmt: skip
    body = await _body(request)
    peer = request.client.host if request.client else ""
    c = collector(request)
    return _answer(await run_in_threadpool(releases.report, c, body, rid, state, peer, need, free))


@terminal_router.get(
    "/healthz",
    summary="Liveness: the database answers and takes writes",
    responses={503: {"description": "the database does not answer, or writes fail"}},
)
def healthz(request: Request) -> JSONResponse:
    c = collector(request)
    if c.healthy():
        return JSONResponse({"status": "ok", "database": c.db.kind})
    body = {
        "status": "not ok",
        "database": c.db.kind,
        "detail": "basis data tidak menerima tulisan / the database is not taking writes",
    }
    return JSONResponse(body, status_code=503)  # fmt: skip


# --- admin API -----------------------------------------------------------------------------------

_basic = HTTPBasic(auto_error=False)
_bearer = HTTPBearer(auto_error=False)


def current_user(
    request: Request,
    basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user ``sync.gate`` signed in from the request's head, before its body was read (the
    two security dependencies only describe the schemes in the OpenAPI document)."""
    user = getattr(request.state, "user", None)
    if not isinstance(user, User):
        raise HTTPException(
            401,
            "perlu masuk / authentication required",
            headers={"WWW-Authenticate": 'Basic realm="hadir"'},
        )
    return user


def _peer(request: Request) -> str:
    return request.client.host if request.client else ""


def audited(request: Request, user: Annotated[User, Depends(current_user)]) -> None:
    """One access-audit row per admin API request (``sync.service.audit``): who, when, the
    route and its parameters, from where. Written before the route runs: an attempt counts."""
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    peer = _peer(request)
    method = request.method
    audit.record(
        collector(request),
        audit.Who(user.name, "api", peer),
        audit.classify(method, template, request.url.query),
        f"{method} {template}",
        ",".join(f"{k}={v}" for k, v in request.path_params.items()),
        detail=dict(request.query_params),
    )


def admin_user(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != "admin":
        raise HTTPException(403, "khusus admin / admin role required")
    return user


def _unscoped(user: User) -> None:
    if not user.scope.everything:
        raise HTTPException(403, "laporan lintas rusun / cross-rusun report: admin scope only")


def _rows(rows: list[dict[str, Any]], fmt: str, name: str) -> Any:
    if fmt == "csv":
        return PlainTextResponse(
            reports.to_csv(rows, reports.COLUMNS.get(name)),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    return rows


class ReportSlots:
    """Reports read every record of their days (a whole fleet's, for a user of every rusun):
    at most ``at_once`` computed at a time, one per user; past that, 503 at once (no queue)."""

    def __init__(self, at_once: int = 2) -> None:
        self.at_once = at_once
        self._users: set[str] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self, user: str) -> Iterator[None]:
        with self._lock:
            if len(self._users) >= self.at_once or user in self._users:
                raise HTTPException(
                    503,
                    "laporan lain sedang dihitung, coba lagi / another report is being "
                    "computed, try again",
                    headers={"Retry-After": "5"},
                )
            self._users.add(user)
        try:
            yield
        finally:
            with self._lock:
                self._users.discard(user)


def report_user(request: Request, user: Annotated[User, Depends(current_user)]) -> Iterator[User]:
    """The signed-in user, holding a report slot for the request (``ReportSlots``)."""
    with request.app.state.report_slots.hold(user.name):
        yield user


Fmt = Annotated[Literal["json", "csv"], Query(description="json (default) or csv")]
Days = Annotated[int, Query(ge=1, le=366)]
Rusun = Annotated[str | None, Query(max_length=100)]
TerminalId = Annotated[int, Path(ge=1, le=2**32 - 1)]
Auth = Annotated[User, Depends(current_user)]
Admin = Annotated[User, Depends(admin_user)]
Reader = Annotated[User, Depends(report_user)]  # a report: bounded (ReportSlots)

admin_router = APIRouter(prefix="/api", tags=["admin"])


class TerminalIn(BaseModel):
    rusun: str = Field(min_length=1, max_length=100)
    door: int = Field(ge=0, le=255)
    id: int | None = Field(default=None, ge=1, le=2**32 - 1)
    collector_url: str = Field(default="", max_length=500)


class Bundle(BaseModel):
    format: str
    terminal_id: int
    rusun: str
    door: int
    k0: str
    card_key: str
    collector_url: str
    ca_pin: str | None


class ImportResult(BaseModel):
    residents: int
    cards: int
    unchanged: int
    refused: list[str]


def _admin_call(fn, *args, **kwargs) -> Any:
    try:
        return fn(*args, **kwargs)
    except OutOfScope as exc:
        raise HTTPException(403, str(exc)) from None
    except AdminError as exc:
        raise HTTPException(400, str(exc)) from None


@admin_router.get("/me", summary="The signed-in user")
def me(user: Auth) -> dict[str, Any]:
    return {"name": user.name, "role": user.role, "rusun": user.rusun}


@admin_router.get("/terminals", summary="Registered terminals (no key material)")
def get_terminals(request: Request, user: Auth) -> list[dict[str, Any]]:
    return admin.list_terminals(collector(request), scope=user.scope)


@admin_router.post("/terminals", summary="Register a terminal; the bundle is shown once")
def post_terminal(request: Request, user: Admin, body: TerminalIn) -> Bundle:
    c = collector(request)
    bundle = _admin_call(admin.add_terminal, c, body.rusun, body.door, body.id,
                         body.collector_url, scope=user.scope)  # fmt: skip
    return Bundle(**bundle)


@admin_router.post("/terminals/{terminal_id}/revoke", summary="Revoke a terminal")
def revoke(request: Request, user: Admin, terminal_id: TerminalId) -> dict[str, Any]:
    _admin_call(admin.revoke_terminal, collector(request), terminal_id, scope=user.scope)
    return {"terminal_id": terminal_id, "status": "revoked"}


@admin_router.post("/terminals/{terminal_id}/rotate", summary="New K0; returns the new bundle")
def rotate(request: Request, user: Admin, terminal_id: TerminalId) -> Bundle:
    c = collector(request)
    return Bundle(**_admin_call(admin.rotate_terminal, c, terminal_id, scope=user.scope))


@admin_router.put("/terminals/{terminal_id}/config", summary="Change a terminal's settings")
def put_config(
    request: Request,
    user: Admin,
    terminal_id: TerminalId,
    settings: Annotated[dict[str, Any], Body()],
) -> dict[str, int]:
    c = collector(request)
    version = _admin_call(admin.set_config, c, terminal_id, settings, scope=user.scope)
    return {"terminal_id": terminal_id, "config_version": version}


class SettingsIn(BaseModel):
    terminal: int | None = Field(default=None, ge=1, le=2**32 - 1)
    rusun: str | None = Field(default=None, min_length=1, max_length=100)
    settings: dict[str, Any] = Field(default_factory=dict)
    wifi_password: str | None = Field(default=None, max_length=63)


@admin_router.put("/settings", summary="Send settings to a terminal or every terminal of a rusun")
def put_settings(request: Request, user: Admin, body: SettingsIn) -> dict[str, Any]:
    c = collector(request)
    done = _admin_call(remote.set_settings, c, body.settings, terminal=body.terminal,
                       rusun=body.rusun, password=body.wifi_password, scope=user.scope,
                       user=user.name)  # fmt: skip
    return {"terminals": [{"terminal_id": tid, "config_version": v} for tid, v in done]}


class CommandIn(BaseModel):
    terminal: int | None = Field(default=None, ge=1, le=2**32 - 1)
    rusun: str | None = Field(default=None, min_length=1, max_length=100)
    command: str = Field(min_length=1, max_length=40)


@admin_router.post("/commands", summary="Queue a remote command (reboot, selftest, status, ...)")
def post_command(request: Request, user: Admin, body: CommandIn) -> dict[str, Any]:
    c = collector(request)
    ids = _admin_call(remote.queue_command, c, body.command, terminal=body.terminal,
                      rusun=body.rusun, scope=user.scope, user=user.name)  # fmt: skip
    return {"command_ids": ids}


@admin_router.get("/commands", summary="Remote commands and their results, newest first")
def get_commands(
    request: Request,
    user: Admin,
    terminal: Annotated[int | None, Query(ge=1, le=2**32 - 1)] = None,
) -> list[dict]:
    c = collector(request)
    return _admin_call(remote.list_commands, c, terminal, scope=user.scope)


class RusunIn(BaseModel):
    rusun: str = Field(min_length=1, max_length=100)


@admin_router.post(
    "/rusun/card-key/rotate",
    summary="New card key for a rusun: cards re-tokenised, allow-lists renewed",
)
def rotate_card_key(request: Request, user: Admin, body: RusunIn) -> dict[str, Any]:
    c = collector(request)
    return _admin_call(admin.rotate_card_key, c, body.rusun, scope=user.scope)


@admin_router.post(
    "/residents/import",
    summary="Import residents and cards (CSV: resident_id,name,unit,rusun,card_uid)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}
    },
)
async def import_csv(request: Request, user: Admin) -> ImportResult:
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(400, "CSV bukan UTF-8 / CSV is not UTF-8") from None
    c = collector(request)
    report = await run_in_threadpool(
        _admin_call, admin.import_residents, c, text.splitlines(), scope=user.scope
    )
    return ImportResult(**report.__dict__)


@admin_router.get("/residents", summary="Residents (id, name, unit, rusun)")
def get_residents(request: Request, user: Auth, rusun: Rusun = None) -> list[dict[str, Any]]:
    return _admin_call(admin.list_residents, collector(request), rusun, scope=user.scope)


@admin_router.get("/cards", summary="Cards (token, fingerprint, unit, status; never the UID)")
def get_cards(request: Request, user: Auth, rusun: Rusun = None) -> list[dict[str, Any]]:
    return _admin_call(admin.list_cards, collector(request), rusun, scope=user.scope)


@admin_router.get("/reports/presence", summary="Daily presence per rusun")
def report_presence(
    request: Request,
    user: Reader,
    start: dt.date | None = None,
    days: Days = 7,
    rusun: Rusun = None,
    format: Fmt = "json",
) -> Any:
    c = collector(request)
    rows = _admin_call(reports.presence, c, start, days, rusun, scope=user.scope)
    return _rows(rows, format, "presence")


@admin_router.get(
    "/reports/review", summary="The review queue (possible subletting), with reasons"
)
@admin_router.get("/reports/absent", summary="The review queue (first name of /reports/review)")
def report_review(
    request: Request,
    user: Reader,
    days: Annotated[int, Query(ge=1, le=3660)] = reports.REVIEW_DAYS,
    as_of: dt.date | None = None,
    rusun: Rusun = None,
    format: Fmt = "json",
) -> Any:
    c = collector(request)
    rows = _admin_call(reports.review_report, c, days, as_of, rusun, scope=user.scope)
    return _rows(rows, format, "review")


@admin_router.get("/reports/other-rusun", summary="Cards used at another rusun")
def report_other(
    request: Request,
    user: Reader,
    start: dt.date | None = None,
    days: Days = 30,
    format: Fmt = "json",
) -> Any:
    _unscoped(user)
    rows = _admin_call(reports.other_rusun, collector(request), start, days)
    return _rows(rows, format, "other-rusun")


@admin_router.get("/reports/unknown-cards", summary="Cards that match no enrolled card")
def report_unknown(
    request: Request,
    user: Reader,
    start: dt.date | None = None,
    days: Days = 30,
    format: Fmt = "json",
) -> Any:
    _unscoped(user)
    rows = _admin_call(reports.unknown_cards, collector(request), start, days)
    return _rows(rows, format, "unknown-cards")


@admin_router.get("/reports/health", summary="Terminal health")
def report_health(request: Request, user: Reader, format: Fmt = "json") -> Any:
    rows = reports.health(collector(request), scope=user.scope)
    return _rows(rows, format, "health")


@admin_router.get("/alerts", summary="Alerts, newest first")
def get_alerts(
    request: Request,
    user: Auth,
    terminal_id: Annotated[int | None, Query(ge=0, le=2**32 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    _unscoped(user)
    return reports.alerts(collector(request), terminal_id, limit)


@admin_router.get("/gaps", summary="Open sequence gaps (records a terminal has not delivered)")
def get_gaps(
    request: Request,
    user: Auth,
    terminal_id: Annotated[int | None, Query(ge=0, le=2**32 - 1)] = None,
) -> list[dict[str, Any]]:
    _unscoped(user)
    return reports.gaps(collector(request), terminal_id)


@admin_router.get(
    "/audit",
    summary="The access audit, newest first (supervisors and admins of every rusun)",
    responses={403: {"description": "neither a supervisor nor an admin of every rusun"}},
)
def get_audit(
    request: Request,
    user: Auth,
    since: Annotated[
        int | None, Query(ge=0, le=_TIME_MAX, description="from this Unix time")
    ] = None,
    until: Annotated[
        int | None, Query(ge=0, le=_TIME_MAX, description="before this Unix time")
    ] = None,
    who: Annotated[str | None, Query(max_length=100, description="only this user")] = None,
    kind: Annotated[Literal["view", "export", "change"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 500,
    format: Fmt = "json",
) -> Any:
    try:
        rows = audit.query(collector(request), user, since, until, who, kind, limit)
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    if format == "csv":
        return PlainTextResponse(
            audit.to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="access-audit.csv"'},
        )
    return rows


# --- residents' rights (docs/privacy.md) ---------------------------------------------------------


class CorrectionIn(BaseModel):
    field: Literal["name", "relation"]
    value: str = Field(max_length=200)
    note: str = Field(min_length=1, max_length=500)


def _rights_call(fn, *args, **kwargs) -> Any:
    try:
        return fn(*args, **kwargs)
    except rights.Kept as exc:
        raise HTTPException(409, str(exc)) from None
    except admin.Unknown as exc:
        raise HTTPException(404, str(exc)) from None
    except admin.Forbidden as exc:
        raise HTTPException(403, str(exc)) from None
    except AdminError as exc:
        raise HTTPException(400, str(exc)) from None


@admin_router.get(
    "/privacy/residents/{resident_id}/report",
    summary="Everything hadir holds about one resident (Indonesian HTML, or JSON)",
)
def privacy_report(
    request: Request,
    user: Admin,
    resident_id: Annotated[str, Path(max_length=100)],
    start: dt.date | None = None,
    end: dt.date | None = None,
    format: Annotated[Literal["html", "json"], Query()] = "html",
) -> Any:
    c = collector(request)
    t0 = days.start_of(start) if start else 0
    t1 = days.start_of(end) + days.DAY if end else c.now() + 1
    peer = _peer(request)
    data = _rights_call(rights.subject_data, c, user, resident_id, t0, t1, peer)
    if format == "json":
        return data
    from sync.service import retention
    from sync.web import subject

    return Response(subject.render(data, retention.days(c)), media_type="text/html")


@admin_router.post(
    "/privacy/residents/{resident_id}/correct",
    summary="Correct a resident's register data (name, relation), with the trail",
)
def privacy_correct(
    request: Request,
    user: Admin,
    resident_id: Annotated[str, Path(max_length=100)],
    body: CorrectionIn,
) -> dict[str, str]:
    peer = _peer(request)
    return _rights_call(rights.correct, collector(request), user, resident_id, body.field,
                        body.value, body.note, peer)  # fmt: skip


@admin_router.post(
    "/privacy/residents/{resident_id}/erase",
    summary="Erase a resident (409 while the flat has an open case: its evidence is kept)",
)
def privacy_erase(
    request: Request, user: Admin, resident_id: Annotated[str, Path(max_length=100)]
) -> dict[str, Any]:
    peer = _peer(request)
    return _rights_call(rights.erase, collector(request), user, resident_id, peer)
