# app: builds the collector's FastAPI application from its settings.
# SPDX-License-Identifier: MIT
"""``create_app(settings)``: opens the database (creating the schema), builds the ``Collector``
service and mounts the routes of ``sync.http``; while it is served (its lifespan), the alert
loop runs every ``settings.alerts_every_s`` (``sync.alert_loop``) and the card sweep every
``settings.card_sweep_every_s`` (``sync.sweep_loop``). Used by ``python -m sync
serve`` and by tests."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from sync import apidocs
from sync.alert_loop import AlertLoop
from sync.gate import Gate, HashSlots
from sync.http import ReportSlots, admin_router, audited, terminal_router
from sync.http_cases import router as cases_router
from sync.notify import Webhook
from sync.ratelimit import Throttle
from sync.service.collector import Collector
from sync.service.journal import Journal
from sync.settings import Settings
from sync.store import schema
from sync.store.db import BadText, Database, driver_errors
from sync.sweep_loop import SweepLoop
from sync.vault import Vault
from sync.web.routes import mount as mount_dashboard


def open_collector(settings: Settings) -> Collector:
    db = Database.open(settings.db, prepare=not settings.pg_pooler)
    with db.write() as tx:
        schema.create(tx)
    c = Collector(db, Vault(settings.master_key), settings.clock, settings.after_commit)
    c.ca_pem = settings.ca_pem
    if settings.journal:
        c.journal = Journal(settings.journal, c.vault)
    return c


def create_app(settings: Settings) -> FastAPI:
    collector = open_collector(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = None
        if settings.alerts_every_s > 0:  # alerts reach people with no timer to install
            senders: list = [Webhook()] + ([settings.smtp] if settings.smtp else [])
            loop = AlertLoop(collector, senders, settings.alerts_every_s)
            loop.start()
        app.state.alert_loop = loop
        sweep = None
        if settings.card_sweep_every_s > 0:  # cards seen outside their district (cardsweep)
            sweep = SweepLoop(collector, settings.card_sweep_every_s)
            sweep.start()
        app.state.sweep_loop = sweep
        yield
        if loop is not None:
            await asyncio.to_thread(loop.stop)
        if sweep is not None:
            await asyncio.to_thread(sweep.stop)
        collector.db.close()

    app = FastAPI(
        title="hadir collector",
        version="1",
        description="Receives terminal logs (docs/protocol.md) and serves the admin API.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's loads Swagger UI from a CDN: sync.apidocs instead
        redoc_url=None,
        openapi_url="/openapi.json" if settings.api_docs else None,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the input back: not for passwords, and not for text that
        # cannot even be encoded (a lone surrogate made that answer itself fail with a 500).
        errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(BadText)
    async def bad_text(request: Request, exc: BadText) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The database refused or could not do a write (disk full, read-only, server gone):
        # nothing was acknowledged; the terminal sends the same batch again later.
        detail = "basis data tidak tersedia, coba lagi / database unavailable, try again"
        return JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "30"})

    for error in driver_errors():
        app.add_exception_handler(error, unavailable)

    app.state.collector = collector
    app.state.settings = settings
    app.state.report_slots = ReportSlots()  # reports computed at once (viewers included)
    app.state.throttle = Throttle()  # failed sign-ins: the admin API and the dashboard alike
    app.add_middleware(Gate, collector=collector, throttle=app.state.throttle, slots=HashSlots())
    app.include_router(terminal_router)
    every_request_audited = [Depends(audited)]  # docs/privacy.md, "Accountability"
    app.include_router(admin_router, dependencies=every_request_audited)
    app.include_router(cases_router, dependencies=every_request_audited)  # docs/cases.md
    mount_dashboard(app)  # /dashboard (docs/dashboard.md)
    if settings.api_docs:
        apidocs.mount(app)
    return app
