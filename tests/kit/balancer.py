# balancer: several collector processes on one database behind HAProxy (sync/deploy/haproxy.cfg).
# SPDX-License-Identifier: MIT
"""``with Cluster(db, tmp, processes=2) as cl: httpx.post(cl.url + "/v1/batches", ...)`` starts
``processes`` collectors (``python -m tests.kit.liveserver crashing DB PORT_FILE``: the real app,
each in its own process) and HAProxy with the repository's configuration, its ``bind`` and
``server`` lines pointed at free loopback ports; every reply says which process answered
(``x-hadir-process``, added for tests). ``crash_in_tx=True``: the first process to store a batch
dies inside that batch's transaction. Everything started is stopped, by its pid, on exit. Tests
and the city bench share it."""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from typing import Any

from tests.kit.paths import ROOT
from tests.kit.ports import free_port

CONFIG = ROOT / "sync" / "deploy" / "haproxy.cfg"


def haproxy() -> str | None:
    return shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy")
                                       else None)  # fmt: skip


def config(port: int, backends: list[int], tag: bool = True) -> str:
    """The repository's configuration, listening on ``port``, balancing over ``backends``."""
    text = CONFIG.read_text()
    text = re.sub(r"(?m)^(\s*bind )\S+", lambda m: f"{m.group(1)}127.0.0.1:{port}", text)
    text = re.sub(r"(?m)^\s*server .*\n", "", text)
    servers = "".join(f"    server c{i + 1} 127.0.0.1:{p} check\n" for i, p in enumerate(backends))
    if tag:
        servers += "    http-response set-header x-hadir-process %[srv_name]\n"
    return re.sub(r"(?m)^(backend collectors\n(?:\s+.*\n)*)", lambda m: m.group(1) + servers, text)


def start_collector(db: str, tmp: pathlib.Path, name: str, extra: list[str]) -> tuple[Any, int]:
    port_file = tmp / f"port-{name}"
    args = [sys.executable, "-m", "tests.kit.liveserver", "crashing", db, str(port_file), *extra]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not port_file.exists():
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "collector died")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("collector did not start")
        time.sleep(0.05)
    return proc, int(port_file.read_text())


class Cluster:
    def __init__(self, db: str, tmp: pathlib.Path, processes: int = 2,
                 crash_in_tx: bool = False) -> None:  # fmt: skip
        self.db, self.tmp, self.n = db, tmp, processes
        self.extra = ["--crash-in-tx", str(tmp / "died-once")] if crash_in_tx else []
        self.procs: list[Any] = []
        self.ports: list[int] = []
        self.lb: Any = None
        self.url = ""

    def __enter__(self) -> Cluster:
        binary = haproxy()
        assert binary, "haproxy is not installed"
        try:
            for i in range(self.n):
                proc, port = start_collector(self.db, self.tmp, f"c{i + 1}", self.extra)
                self.procs.append(proc)
                self.ports.append(port)
            port = free_port()
            cfg = self.tmp / "haproxy.cfg"
            cfg.write_text(config(port, self.ports))
            self.lb = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)  # fmt: skip
            self.url = f"http://127.0.0.1:{port}"
            self._wait_ready(port)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self, port: int) -> None:
        import httpx

        deadline = time.monotonic() + 30
        seen: set[str] = set()
        while len(seen) < self.n:  # every process has answered through the balancer
            if self.lb.poll() is not None:
                raise RuntimeError(self.lb.stderr.read().decode() if self.lb.stderr else "haproxy")
            if time.monotonic() > deadline:
                raise RuntimeError(f"balancer not ready: {sorted(seen)} answered")
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                if r.status_code == 200:
                    seen.add(r.headers.get("x-hadir-process", ""))
            except httpx.HTTPError:
                pass
            time.sleep(0.05)

    def __exit__(self, *exc: Any) -> None:
        for proc in [self.lb, *self.procs]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [self.lb, *self.procs]:
            if proc is None:
                continue
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)
