# live_collector: the real collector for a simulation: SQLite, uvicorn process, admin in process.
# SPDX-License-Identifier: MIT
"""``RealCollector(workdir, now)`` starts the collector of ``sync/`` for real:

- a fresh SQLite file and a random master key (``HADIR_MASTER_KEY`` for the server process),
  written beside the database as ``master.key`` (mode 0600, ``sync.secretfile``) so that a kept
  work folder can be opened again (``python -m sync --db … --master-key-file …``);
- ``python -m tools.sim.fleet.serve`` (= ``sync.app.create_app`` under uvicorn on 127.0.0.1, a
  free port) in its own process, its clock the simulation's (``serve.SharedClock``);
- admin work in this process through the collector's own service functions, on the same
  database file, as ``python -m sync terminals add`` / ``residents import`` do: registering the
  world's terminals with their ids, importing residents, enrolling more as the days pass.

``records()`` reads back every stored record, ``cpu_s()`` the server process's CPU time.
"""

from __future__ import annotations

import io
import os
import pathlib
import secrets
import subprocess
import sys
import time

import httpx

from sync import secretfile
from sync.app import open_collector
from sync.service import admin
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import records, terminals
from tools.sim.fleet.population import Population, write_residents_csv
from tools.sim.fleet.serve import SharedClock
from tools.sim.fleet.site import SimTime

_START_TIMEOUT_S = 60


class RealCollector:
    def __init__(self, workdir: str, now: SimTime) -> None:
        self.workdir = workdir
        self.db_path = os.path.join(workdir, "collector.sqlite")
        self.master_hex = secrets.token_hex(32)
        self.key_path = os.path.join(workdir, "master.key")
        secretfile.write(self.key_path, self.master_hex + "\n")
        self.now = now
        self.clock = SharedClock(os.path.join(workdir, "clock.bin"), create=True)
        now.publish = self.clock.set
        self.clock.set(now.ms)
        settings = Settings(
            db=self.db_path, master_key=bytes.fromhex(self.master_hex), clock=lambda: now.unix
        )
        self.admin = open_collector(settings)
        self.bundles: dict[int, dict] = {}
        self.proc: subprocess.Popen | None = None
        self.url = ""
        self.pop: Population | None = None

    # --- server process -------------------------------------------------------------------------
    def start(self) -> None:
        port_file = os.path.join(self.workdir, "port")
        env = dict(os.environ, HADIR_MASTER_KEY=self.master_hex)
        root = str(pathlib.Path(__file__).resolve().parents[3])  # the project
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
        self.log_path = os.path.join(self.workdir, "collector.log")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.sim.fleet.serve", "--db", self.db_path,
             "--clock-file", os.path.join(self.workdir, "clock.bin"), "--port-file", port_file],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=root,
        )  # fmt: skip
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("collector exited: " + self.tail())
            if os.path.exists(port_file):
                port = int(open(port_file, encoding="ascii").read())
                self.url = "http://127.0.0.1:%d" % port
                try:
                    if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        raise RuntimeError("collector did not start: " + self.tail())

    def tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process so far (Linux /proc)."""
        if self.proc is None:
            return 0.0
        try:
            with open("/proc/%d/stat" % self.proc.pid, encoding="ascii") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            return 0.0

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "_log", None) is not None:
            self._log.close()
        self.admin.db.close()
        self.clock.close()

    # --- admin ----------------------------------------------------------------------------------
    def register(self, pop: Population, settings: dict | None = None) -> None:
        """Residents registered at day 0, then the world's terminals with the world's ids, and
        the settings the collector sends them (its signed config blob)."""
        self.pop = pop
        self.import_rows(None)
        for t in pop.terminals:
            door = int(t.door.rsplit("-", 1)[1])
            self.bundles[t.terminal_id] = admin.add_terminal(
                self.admin, t.rusun, door, t.terminal_id, self.url, scope=OPERATOR
            )
            if settings:
                admin.set_config(self.admin, t.terminal_id, settings, scope=OPERATOR)

    def import_rows(self, rows: list[dict] | None) -> int:
        """``residents import`` of a CSV written by tools/sim/fleet/population (with the optional
        card columns, so the allow-list carries each card's fingerprint)."""
        assert self.pop is not None
        path = os.path.join(self.workdir, "residents.csv")
        n = write_residents_csv(self.pop, path, day=0, rows=rows, cards=True)
        with open(path, encoding="utf-8") as f:
            report = admin.import_residents(self.admin, io.StringIO(f.read()), scope=OPERATOR)
        if report.refused:
            raise RuntimeError("residents import refused rows: %s" % report.refused[:3])
        return n

    def enroll(self, rows: list[dict]) -> None:
        if rows:
            self.import_rows(rows)

    # --- what it stored -------------------------------------------------------------------------
    def records(self) -> tuple[list[dict], dict[int, list[int]]]:
        """Every stored record (current generation), and per terminal the sequence numbers of
        its stored seals (seal slots are blocks, not records: docs/collector.md)."""
        out: list[dict] = []
        seals: dict[int, list[int]] = {}
        with self.admin.db.read() as tx:
            for t in terminals.terminals(tx):
                for r in records.records_of(tx, t["id"]):
                    r["terminal_id"] = t["id"]
                    out.append(r)
                blocks = records.blocks_overlapping(tx, t["id"], t["gen"], 0, 1 << 62)
                seals[t["id"]] = [b[1] for b in blocks]
        return out, seals
