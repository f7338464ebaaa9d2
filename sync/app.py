# app: builds the collector's FastAPI application from its settings.
# SPDX-License-Identifier: MIT
"""``create_app(settings)``: opens the database (creating the schema), builds the ``Collector``
service and mounts the routes of ``sync.http``. Used by ``python -m sync serve`` and by tests."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sync import store_schema
from sync.http import admin_router, terminal_router
from sync.service import Collector
from sync.settings import Settings
from sync.store_db import BadText, Database
from sync.vault import Vault
from sync.web.routes import mount as mount_dashboard


def open_collector(settings: Settings) -> Collector:
    db = Database.open(settings.db)
    with db.write() as tx:
        store_schema.create(tx)
    return Collector(db, Vault(settings.master_key), settings.clock, settings.after_commit)


def create_app(settings: Settings) -> FastAPI:
    collector = open_collector(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        collector.db.close()

    app = FastAPI(
        title="hadir collector",
        version="1",
        description="Receives terminal logs (docs/protocol.md) and serves the admin API.",
        lifespan=lifespan,
    )

    @app.exception_handler(BadText)
    async def bad_text(request: Request, exc: BadText) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    app.state.collector = collector
    app.state.settings = settings
    app.include_router(terminal_router)
    app.include_router(admin_router)
    mount_dashboard(app)  # /dashboard (docs/dashboard.md)
    return app
