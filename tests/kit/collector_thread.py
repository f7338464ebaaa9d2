# collector_thread: the real collector (sync/) served by uvicorn on 127.0.0.1, free port, thread.
# SPDX-License-Identifier: MIT
"""``with Running(tmp_path) as c:`` → ``c.url``, ``c.collector`` (the service), ``c.register()``
-> provisioning bundle, ``c.records(tid)``. Stopped (and its database closed) on exit."""

from __future__ import annotations

import io
import pathlib
import threading
import time
from typing import Any

import uvicorn

from sync.app import create_app
from sync.service import admin
from sync.settings import Settings
from sync.store import records

MASTER_KEY = bytes(range(32))


class Running:
    def __init__(
        self, tmp: pathlib.Path, db: str | None = None, after_commit=None, tls=None
    ) -> None:
        settings = Settings(
            db=db or str(tmp / "collector.db"), master_key=MASTER_KEY, after_commit=after_commit
        )
        self.app = create_app(settings)
        self.collector = self.app.state.collector
        extra = {} if tls is None else {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]}
        config = uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning", **extra)
        self.scheme = "http" if tls is None else "https"
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> Running:
        self.thread.start()
        for _ in range(500):  # bounded: uvicorn binds within a few ms
            if self.server.started:
                break
            time.sleep(0.01)
        sock = self.server.servers[0].sockets[0]
        self.url = "%s://127.0.0.1:%d" % (self.scheme, sock.getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.collector.db.close()

    def register(self, rusun: str = "Marunda", door: int = 1) -> dict[str, Any]:
        return admin.add_terminal(self.collector, rusun, door, collector_url=self.url)

    def enroll(self, rows: list[tuple[str, str, str, str]], rusun: str = "Marunda") -> None:
        """Residents (resident_id, name, unit, card_uid hex) of ``rusun``: the allow-list."""
        text = "resident_id,name,unit,rusun,card_uid\n" + "".join(
            f"{rid},{name},{unit},{rusun},{uid}\n" for rid, name, unit, uid in rows
        )
        admin.import_residents(self.collector, io.StringIO(text))

    def records(self, tid: int) -> list[dict[str, Any]]:
        with self.collector.db.read() as tx:
            return records.records_of(tx, tid)
