# gate: every request's front door: header and body limits, sign-in before the body, nosniff.
# SPDX-License-Identifier: MIT
"""``Gate`` is ASGI middleware around the whole collector app (``sync.app.create_app``). What a
request may cost before anyone has proved who they are is decided here, from its head alone:

1. at most ``MAX_HEADERS`` header lines (431);
2. a body limit by route (``door``): a larger ``Content-Length`` is refused before anything is
   read (413), a chunked body as soon as it passes the limit; bodies of known routes are read
   whole here (bounded) and handed to the app, GET and HEAD carry none;
3. ``/api/…``: the user is signed in from the ``Authorization`` header before any body is read
   (HTTP basic: failures throttled per address and user name, ``sync.ratelimit.Throttle``, the
   argon2 check bounded by ``HashSlots``; or a bearer token), and a request that changes
   something needs role admin, also before its body; the user goes to the route in
   ``scope["state"]["user"]`` (``sync.http.current_user``);
4. dashboard POSTs take url-encoded forms only (415), no multipart (so nothing is spooled to
   disk), except a case's step and attachment forms (``UPLOAD_PATH``: a photo or letter of at
   most 5 MB), whose body is not read here: the dashboard reads it only for a signed-in user;
   the login's password check holds a hash slot;
5. every response gets ``X-Content-Type-Options: nosniff``; an answer given before the body was
   read closes the connection (the rest of the body is never drained).

Connection-level limits (count, slow heads and bodies, head size) are ``sync.server``'s.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

from sync.ratelimit import Throttle
from sync.service import accounts, verify
from sync.service.accounts import User
from sync.service.collector import Collector

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_HEADERS = 64
TERMINAL_BODY = verify.MAX_BODY  # one full batch
API_BODY = 64 * 1024  # JSON of the admin API
IMPORT_BODY = 16 * 1024 * 1024  # a residents CSV (the 9,459-resident fleet file is 0.6 MB)
LOGIN_BODY = 4 * 1024
FORM_BODY = 16 * 1024  # a dashboard form: a review note, an export's options
UPLOAD_BODY = 6 * 1024 * 1024  # a case's attachment (5 MB, sync.service.cases.MAX_FILE) and form
# Routes that take a file: the register (preview, import) and a case's attachment over the API;
# a case's step and attachment forms on the dashboard (multipart).
API_FILE_PATH = re.compile(r"/api/register/(preview|import)|/api/cases/\d+/files")
UPLOAD_PATH = re.compile(r"/dashboard/case/\d+/(step|attach)")
OTHER_BODY = 64 * 1024
_NO_BODY = ("GET", "HEAD", "OPTIONS")
_READS = ("GET", "HEAD", "OPTIONS")
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Door:
    limit: int  # body bytes
    read: bool = True  # read the body here and hand it to the app (routes that read it all)
    api: bool = False  # /api: a signed-in user before the body
    form: bool = False  # a dashboard form: url-encoded only
    upload: bool = False  # a dashboard form that may carry a file: url-encoded or multipart
    login: bool = False  # checks a password: holds a hash slot
    terminal: bool = False  # a terminal endpoint: an oversized body is an alert


def door(method: str, path: str) -> Door:
    api = path == "/api" or path.startswith("/api/")
    if method in _NO_BODY:
        return Door(0, read=False, api=api)
    if path in ("/v1/batches", "/v1/config", "/v1/allowlist") or path.startswith("/v1/release/"):
        return Door(TERMINAL_BODY, terminal=True)
    if api:
        if path == "/api/residents/import" or API_FILE_PATH.fullmatch(path):
            return Door(IMPORT_BODY, api=True)
        return Door(API_BODY, api=True)
    if UPLOAD_PATH.fullmatch(path):
        return Door(UPLOAD_BODY, read=False, upload=True)
    if path == "/dashboard/login":
        return Door(LOGIN_BODY, form=True, login=True)
    if path.startswith("/dashboard/"):
        return Door(FORM_BODY, form=True)
    return Door(OTHER_BODY, read=False)


class Busy(Exception):
    """Too many password checks are waiting already."""


class HashSlots:
    """At most ``concurrent`` argon2 checks at once (each takes 64 MiB and a core for a tenth of a
    second) and at most ``waiting`` requests queued for one; past that, ``Busy`` (503). The wait
    is on the event loop, so a queued request holds no worker thread."""

    def __init__(self, concurrent: int = 2, waiting: int = 16) -> None:
        self.concurrent = concurrent
        self.waiting = waiting
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sem = asyncio.Semaphore(concurrent)
        self._queued = 0

    @contextlib.asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # one server runs one loop; a test may start another
            self._loop, self._sem, self._queued = loop, asyncio.Semaphore(self.concurrent), 0
        if self._sem.locked() and self._queued >= self.waiting:
            raise Busy
        self._queued += 1
        try:
            await self._sem.acquire()
        finally:
            self._queued -= 1
        try:
            yield
        finally:
            self._sem.release()


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


async def answer(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    """A JSON error given before the body was read: the connection closes after it."""
    body = json.dumps({"detail": detail}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
            (b"connection", b"close")]  # fmt: skip
    head += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Gone
        body += message.get("body", b"")
        if len(body) > limit:
            raise _TooLarge
        if not message.get("more_body", False):
            return bytes(body)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # then only a disconnect

    return replayed


def _capped(receive: Receive, limit: int) -> Receive:
    """A body passed through as it comes, cut off (a disconnect) past ``limit``."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        seen += len(message.get("body", b""))
        return {"type": "http.disconnect"} if seen > limit else message

    return capped


def _nosniff(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            if not any(k.lower() == b"x-content-type-options" for k, _ in headers):
                headers.append((b"x-content-type-options", b"nosniff"))
            message = {**message, "headers": headers}
        await send(message)

    return sending


UNAUTHORIZED = "perlu masuk / authentication required"


class Gate:
    def __init__(
        self, app: Any, collector: Collector, throttle: Throttle, slots: HashSlots
    ) -> None:
        self.app = app
        self.c = collector
        self.throttle = throttle
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _nosniff(send)
        if len(scope["headers"]) > MAX_HEADERS:
            await answer(send, 431, "terlalu banyak header / too many header lines")
            return
        d = door(scope["method"], scope["path"])
        length = _header(scope, b"content-length")
        chunked = _header(scope, b"transfer-encoding") is not None
        declared = int(length) if length is not None and length.isdigit() else 0
        if declared > d.limit or (chunked and d.limit == 0):
            await self._too_large(scope, send, d)
            return
        if d.api:
            user = await self._api_user(scope, send)
            if user is None:
                return
            if scope["method"] not in _READS and not user.is_admin:
                await answer(send, 403, "khusus admin / admin role required")
                return
            scope.setdefault("state", {})["user"] = user
        if d.form or d.upload:
            kind = (_header(scope, b"content-type") or b"").split(b";")[0].strip().decode()
            if kind.lower() not in ((_FORM, _MULTIPART) if d.upload else (_FORM,)):
                await answer(send, 415, "hanya formulir / url-encoded form data only")
                return
        if not d.read:
            await self.app(scope, _capped(receive, d.limit), send)
            return
        try:
            body = await _read_body(receive, d.limit)
        except _TooLarge:
            await self._too_large(scope, send, d)
            return
        except _Gone:
            return
        receive = _replay(body, receive)
        if not d.login:
            await self.app(scope, receive, send)
            return
        try:
            async with self.slots.hold():
                await self.app(scope, receive, send)
        except Busy:
            await answer(send, 503, "server sibuk, coba lagi / busy, try again",
                         {"Retry-After": "5"})  # fmt: skip

    async def _too_large(self, scope: Scope, send: Send, d: Door) -> None:
        if d.terminal:
            await run_in_threadpool(verify.refuse_oversized, self.c, scope["path"])
        await answer(send, 413, "isi permintaan terlalu besar / request body too large")

    async def _api_user(self, scope: Scope, send: Send) -> User | None:
        """The signed-in user, or None once the refusal has been sent."""
        auth = (_header(scope, b"authorization") or b"").decode("latin-1")
        scheme, _, cred = auth.partition(" ")
        client = scope.get("client")
        address = client[0] if client else ""
        now = self.c.now()
        challenge = {"WWW-Authenticate": 'Basic realm="hadir"'}
        if scheme.lower() == "bearer" and cred.strip():
            if self.throttle.blocked(address, None, now):
                return await self._throttled(send, address, None, now)
            user = await run_in_threadpool(accounts.user_for_token, self.c, cred.strip())
            if user is None:
                self.throttle.failed(address, None, now)
                await answer(send, 401, UNAUTHORIZED, challenge)
            return user
        if scheme.lower() != "basic":
            await answer(send, 401, UNAUTHORIZED, challenge)
            return None
        try:
            name, sep, password = base64.b64decode(cred, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            sep = ""
        if not sep:
            await answer(send, 401, UNAUTHORIZED, challenge)
            return None
        if self.throttle.blocked(address, name, now):
            return await self._throttled(send, address, name, now)
        try:
            async with self.slots.hold():
                user = await run_in_threadpool(accounts.authenticate, self.c, name, password)
        except Busy:
            await answer(send, 503, "server sibuk, coba lagi / busy, try again",
                         {"Retry-After": "5"})  # fmt: skip
            return None
        if user is None:
            self.throttle.failed(address, name, now)
            await answer(send, 401, UNAUTHORIZED, challenge)
            return None
        self.throttle.succeeded(address, name)
        return user

    async def _throttled(self, send: Send, address: str, name: str | None, now: int) -> None:
        wait = self.throttle.retry_after(address, name, now)
        await answer(send, 429, "terlalu banyak percobaan masuk, coba lagi nanti / too many "
                     "failed sign-ins, try again later", {"Retry-After": str(wait)})  # fmt: skip
        return None
