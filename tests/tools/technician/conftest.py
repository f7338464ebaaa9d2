# Fixtures for the technician-tool tests: the device double on a pty, a bundle, the CLI runner.
# SPDX-License-Identifier: MIT
from __future__ import annotations

import json
import os
import pathlib
from typing import Any

import pytest
from typer.testing import CliRunner

from tools.cli import app
from tools.devsim import Config, DeviceDouble

K0 = "11" * 32
CARD_KEY = "22" * 16


def write_bundle(path: pathlib.Path, terminal_id: int = 7, url: str = "http://127.0.0.1:9"):
    bundle = {"format": "hadir-provision-1", "terminal_id": terminal_id, "rusun": "Marunda",
              "door": 1, "k0": K0, "card_key": CARD_KEY, "collector_url": url,
              "ca_pin": None}  # fmt: skip
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


@pytest.fixture
def device(tmp_path):
    dev = Device(tmp_path, cards=["classic1k:04A1B2C3"])
    yield dev
    dev.unplug()


def cli(port: str | None, *args: str):
    runner = CliRunner()
    argv = (["--port", port] if port else []) + list(args)
    return runner.invoke(app, argv, catch_exceptions=False)
