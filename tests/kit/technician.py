# technician: what the technician-tool tests and benchmarks share: a device that survives being
# unplugged, a provisioning bundle, the CLI runner, a day of terminal logging, a write journal.
# SPDX-License-Identifier: MIT
from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from typer.testing import CliRunner

from tools import ui
from tools.cli import app
from tools.sim.device import Config, DeviceDouble

K0 = "11" * 32
CARD_KEY = "22" * 16


def write_bundle(path: pathlib.Path, terminal_id: int = 7, url: str = "http://127.0.0.1:9"):
    bundle = {
        "format": "hadir-provision-1",
        "terminal_id": terminal_id,
        "rusun": "Marunda",
        "door": 1,
        "k0": K0,
        "card_key": CARD_KEY,
        "collector_url": url,
        "ca_pin": None,
    }
    path.write_text(json.dumps(bundle))
    os.chmod(path, 0o600)
    return path


class Device:
    """A device folder + hlog file that survive the double being stopped and started again."""

    def __init__(self, tmp: pathlib.Path, **config: Any) -> None:
        self.root = tmp / "dev"
        self.flash = tmp / "dev.hlog"
        self.config = Config(**config)
        self.double: DeviceDouble | None = None

    def plug(self, **kwargs: Any) -> str:
        self.double = DeviceDouble(self.root, self.flash, self.config, **kwargs)
        return self.double.start()

    def unplug(self) -> None:
        if self.double is not None:
            self.double.stop()
            self.double = None

    def files(self) -> dict[str, bytes]:
        return {
            "/" + p.relative_to(self.root).as_posix(): p.read_bytes()
            for p in sorted(self.root.rglob("*"))
            if p.is_file()
        }


class _Tee:
    """A device file open for writing whose every written byte is also kept in a journal."""

    def __init__(self, f: Any, journal: list[bytes]) -> None:
        self._f, self._journal = f, journal

    def write(self, data: Any) -> int:
        self._journal.append(data.encode() if isinstance(data, str) else bytes(data))
        return self._f.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _Tee:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._f.close()


def journal_writes(monkeypatch) -> list[bytes]:
    """Every byte any device code writes to the double's file system from now on, in order
    (littlefs is copy-on-write: a stale block can keep what a file once held, so all of it
    counts). ``monkeypatch`` undoes it."""
    from tools.sim.device import runtime

    journal: list[bytes] = []
    real = runtime.Runtime._open

    def _open(self, path, mode="r", *args, **kwargs):
        f = real(self, path, mode, *args, **kwargs)
        return _Tee(f, journal) if any(c in mode for c in "wax+") else f

    monkeypatch.setattr(runtime.Runtime, "_open", _open)
    return journal


def cli(port: str | None, *args: str):
    ui.console.width = 200  # one table row per line, whatever the test runner's terminal
    runner = CliRunner()
    argv = (["--port", port] if port else []) + list(args)
    return runner.invoke(app, argv, catch_exceptions=False)


def provision_registered(device: Device, server, tmp: pathlib.Path, *args: str):
    """Register a terminal at the live collector ``server`` (tests/kit/liveserver.py), plug the
    device and provision it from the bundle: (bundle, port)."""
    from sync.service import admin
    from sync.service.scope import OPERATOR

    bundle = admin.add_terminal(server.collector, "Marunda", 1, None, server.url, scope=OPERATOR)
    path = tmp / "bundle.json"
    admin.write_bundle(bundle, str(path))
    port = device.plug()
    r = cli(port, "provision", "--bundle", str(path), *args)
    assert r.exit_code == 0, r.output + r.stderr
    return bundle, port


RUN_A_DAY = """
import esp32
from firmware import wire
from firmware.log import Log
log = Log(esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0], "/data", {tid})
if not log.has_key():
    log.install_key(bytes.fromhex({k0!r}))
log.boot(1, 0)
log.append(wire.CLOCK, wire.CLOCK_NTP, {wall}, 1000)
for i in range({taps}):
    log.append(wire.TAP, wire.CARD_ENROLLED, 0x01020304 + i % 3, 2000 + i * 60000)
log.seal()
"""


def run_terminal(device, taps=20, wall=850_000_000, tid=7, k0=K0):
    """What the terminal's application would have logged: a boot, a clock anchor, some taps."""
    err = device.double.runtime.execute(RUN_A_DAY.format(tid=tid, k0=k0, wall=wall, taps=taps))
    assert err == "", err
