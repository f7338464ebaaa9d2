# liveserver: the one way tests and benchmarks serve an app: uvicorn on 127.0.0.1, a free port.
# SPDX-License-Identifier: MIT
"""Three uses, one server loop:

- ``with serve(app) as base_url: ...`` any ASGI app in a thread of this process, served as
  ``python -m sync serve`` serves it (``sync.server``; ``tls=(cert, key)`` for https, ``limits=``
  other connection limits, ``proxies=`` trusted proxies); stopped and joined when the block ends.
- ``with Collector(tmp_path) as c: ...`` the real collector (``sync.app.create_app`` on a SQLite
  file, or ``db=`` any database URL) served that way: ``c.url``, ``c.collector`` (its service),
  ``c.register()`` (a provisioning bundle), ``c.enroll(rows)``, ``c.records(tid)``; the database
  is closed on exit.
- As a program, for tests that need the server in another process:
  ``python -m tests.kit.liveserver crashing DB PORT_FILE [--crash | --crash-in-tx ONCE_FILE]``
  serves DB, writes the port to PORT_FILE and runs until SIGTERM; with ``--crash`` the process
  exits (status 9) right after the first batch commits, before the reply; with ``--crash-in-tx``
  it exits inside the transaction of the first batch it stores, unless ONCE_FILE exists (it makes
  it first: of several processes sharing ONCE_FILE, one dies).
  ``python -m tests.kit.liveserver e2e`` prints one JSON line ``{"url": …, "bundle": {…}}``
  (a registered terminal of a rusun with one enrolled card), then answers ``records TID``
  lines on stdin with that terminal's records as one JSON line; stops when stdin closes (used
  by ``tests/firmware/test_terminal_e2e_bridge.bridge.mjs``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import signal
import sys
import tempfile
import threading
import time
from typing import Any, Iterator

import uvicorn

from sync.app import create_app
from sync.notify import Smtp
from sync.server import Limits, Listen, config
from sync.service import admin
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import records

MASTER_KEY = bytes(range(32))  # every test collector's master key


@contextlib.contextmanager
def serve(app, tls: tuple[str, str] | None = None, limits: Limits | None = None,
          proxies: tuple[str, ...] = (), lifespan: bool = False) -> Iterator[str]:  # fmt: skip
    """The deployed server (``sync.server``: h11, connection guard) with ``limits`` or its own,
    believing X-Forwarded-* from ``proxies`` only; ``lifespan``: the app's start-up and
    shut-down run as ``serve`` runs them (the alert loop; the database closed at the end)."""
    listen = Listen(port=0, tls_cert=tls[0] if tls else None, tls_key=tls[1] if tls else None,
                    trusted_proxies=proxies, limits=limits or Limits(),
                    log_level="warning")  # fmt: skip
    server = uvicorn.Server(config(app, listen, lifespan="on" if lifespan else "off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield "%s://127.0.0.1:%d" % ("http" if tls is None else "https", port)
    finally:
        server.should_exit = True
        thread.join(timeout=20)


class Collector:
    def __init__(self, tmp: pathlib.Path | None = None, db: str | None = None, after_commit=None,
                 tls: tuple[str, str] | None = None, ca: str | None = None,
                 alerts_every_s: float = 0.0, smtp: Smtp | None = None) -> None:  # fmt: skip
        """``alerts_every_s`` > 0: served with its lifespan, so its alert loop runs (as
        ``serve`` runs it), sending e-mail through ``smtp``."""
        if db is None:
            assert tmp is not None, "Collector needs a folder for its SQLite file, or db="
            db = str(tmp / "collector.db")
        settings = Settings(db=db, master_key=MASTER_KEY, after_commit=after_commit, ca_pem=ca,
                            alerts_every_s=alerts_every_s, smtp=smtp)  # fmt: skip
        self.app = create_app(settings)
        self.collector = self.app.state.collector
        self.url = ""
        self._serving = serve(self.app, tls=tls, lifespan=alerts_every_s > 0)

    def __enter__(self) -> Collector:
        self.url = self._serving.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self._serving.__exit__(None, None, None)
        finally:
            self.collector.db.close()

    def register(self, rusun: str = "Marunda", door: int = 1) -> dict[str, Any]:
        return admin.add_terminal(
            self.collector, rusun, door, collector_url=self.url, scope=OPERATOR
        )

    def enroll(self, rows: list[tuple[str, str, str, str]], rusun: str = "Marunda") -> None:
        """Residents (resident_id, name, unit, card_uid hex) of ``rusun``: the allow-list."""
        text = "resident_id,name,unit,rusun,card_uid\n" + "".join(
            f"{rid},{name},{unit},{rusun},{uid}\n" for rid, name, unit, uid in rows
        )
        admin.import_residents(self.collector, io.StringIO(text), scope=OPERATOR)

    def records(self, tid: int) -> list[dict[str, Any]]:
        with self.collector.db.read() as tx:
            return records.records_of(tx, tid)


def _die_once(once_file: str) -> None:
    try:
        os.close(os.open(once_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os._exit(9)


def _crashing(db: str, port_file: str, crash: bool, once_file: str | None = None) -> None:
    # SIGTERM is blocked before the server thread starts (threads inherit the mask) and taken
    # here, so a terminate stops the server cleanly instead of killing it mid-request.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    after_commit = (lambda: os._exit(9)) if crash else None
    with Collector(db=db, after_commit=after_commit) as c:
        if once_file is not None:
            c.collector.before_commit = lambda: _die_once(once_file)
        with open(port_file + ".tmp", "w") as f:
            f.write(c.url.rsplit(":", 1)[1])
        os.replace(port_file + ".tmp", port_file)
        signal.sigwait({signal.SIGTERM})


def _e2e() -> None:
    with tempfile.TemporaryDirectory(prefix="hadir-e2e-") as tmp:
        with Collector(pathlib.Path(tmp)) as c:
            c.enroll([("R1", "Siti", "A-101", "04A1B2C3")])
            bundle = c.register()
            print(json.dumps({"url": c.url, "bundle": bundle}), flush=True)
            for line in sys.stdin:
                cmd = line.split()
                if cmd[:1] == ["records"]:
                    print(json.dumps(c.records(int(cmd[1])), default=str), flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["crashing"] and len(argv) >= 3:
        rest = argv[3:]
        once = rest[rest.index("--crash-in-tx") + 1] if "--crash-in-tx" in rest[:-1] else None
        _crashing(argv[1], argv[2], "--crash" in rest, once)
        return 0
    if argv == ["e2e"]:
        _e2e()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
