# qemu: the emulated ESP32 (shared esp32-qemu, official MicroPython) and a PN532 on its UART2.
# SPDX-License-Identifier: MIT
"""What the board suite and ``bench/board.py`` share.

``Board(flash, uart2)`` boots the machine's emulated ESP32 (``boot.sh`` of
``shared("esp32-qemu")``: Espressif's QEMU with the official firmware's flash image ``flash``)
with its REPL on a free TCP port and its UART2 on the pty ``uart2``. ``console(marker)`` reads
the REPL's output (boot log, what the application prints); ``exec(code)`` runs code through
mpremote's own transport (raw-paste mode: plain raw mode loses bytes here, the emulated UART has
no baud delay); ``url`` is what ``python -m tools --port`` takes; ``cut()`` is ``kill -9``, a
power cut: the flash file keeps every operation QEMU completed.

``Reader(cards)`` serves the PN532 simulator (``tools/sim/pn532``) on a pty in a thread and taps
cards on request: ``tap(spec)`` places a MIFARE Classic card and returns once the terminal has
answered it, then takes it away. The terminal probes a Classic card it is about to log
(InCommunicateThru, ``firmware/taps.py``), stores the record, answers (light, sound), and only
then polls again: an InListPassiveTarget after an InCommunicateThru, both after the card
arrived, means the tap is durable and answered. Two polls alone do not: a poll whose answer
came after the terminal's 150 ms deadline is polled again without any tap (seen here).
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import select
import signal
import socket
import subprocess
import threading
import time
import tty

from tests.kit.esp32 import qemu_dir
from tests.kit.ports import free_port
from tools import parttable
from tools.sim.pn532 import scenario
from tools.sim.pn532.cards import from_spec

HLOG = parttable.by_label(parttable.hadir(), "hlog")
_IN_LIST = 0x4A  # InListPassiveTarget (UM0701-02 §7.3.5): the terminal's poll
_THRU = 0x42  # InCommunicateThru (§7.3.9): the Gen1a probe of a card about to be logged


class BoardError(Exception):
    pass


class Board:
    def __init__(self, flash: pathlib.Path, uart2: str, log: pathlib.Path, wdt: bool = False):
        base = qemu_dir()
        if base is None:
            raise BoardError("no shared/esp32-qemu")
        self.port = free_port()
        env = dict(os.environ, FLASH=str(flash), PORT=str(self.port), UART2=uart2, WAIT="on")
        if wdt:
            env["WDT"] = "on"
        self._out = open(log, "ab")
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen([str(base / "boot.sh")], env=env, stdout=self._out,
                                     stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        self.text = b""  # everything the REPL printed while we listened
        self._pending = b""
        self.sock: socket.socket | None = None
        self.listen(timeout=30)

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    # --- the console ----------------------------------------------------------------------------

    def listen(self, timeout: float = 10) -> None:
        """(Re)connect to the REPL port (QEMU serves one client at a time)."""
        end = time.monotonic() + timeout
        while self.sock is None:
            if self.proc.poll() is not None:
                raise BoardError(f"qemu exited {self.proc.returncode}")
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
            except OSError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)
        self._pending = b""

    def release(self) -> None:
        """Let another client (mpremote, the tools) have the REPL port."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def console(self, marker: bytes, timeout: float) -> bytes:
        """Read the REPL output up to and including ``marker``."""
        assert self.sock is not None
        end = time.monotonic() + timeout
        while marker not in self._pending:
            left = end - time.monotonic()
            if left <= 0:
                raise BoardError(f"no {marker!r} within {timeout} s: {self._pending[-400:]!r}")
            self.sock.settimeout(min(left, 0.5))
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                if self.proc.poll() is not None:
                    raise BoardError(f"qemu exited {self.proc.returncode}") from None
                continue
            if not chunk:
                raise BoardError("qemu closed the REPL port")
            self._pending += chunk
            self.text += chunk
        i = self._pending.index(marker) + len(marker)
        got, self._pending = self._pending[:i], self._pending[i:]
        return got

    def drain(self) -> bytes:
        """What the REPL printed since the last read, without waiting."""
        assert self.sock is not None
        self.sock.setblocking(False)
        try:
            while True:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                self._pending += chunk
                self.text += chunk
        except (BlockingIOError, socket.timeout):
            pass
        finally:
            self.sock.setblocking(True)
        got, self._pending = self._pending, b""
        return got

    # --- code on the board --------------------------------------------------------------------

    def exec(self, code: str, timeout: float = 300, interrupt: bool = True) -> str:
        """Run ``code`` in the raw REPL (stopping whatever runs, no soft reset) through
        mpremote's transport; its output. A traceback raises BoardError."""
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        self.release()
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                t = SerialTransport(self.url, baudrate=115200)
            try:
                t.enter_raw_repl(soft_reset=False, timeout_overall=60)
                out, err = t.exec_raw(code, timeout=timeout)
                t.exit_raw_repl()
            finally:
                t.close()
        except TransportError as exc:
            raise BoardError(f"REPL: {exc}") from exc
        finally:
            self.listen()
        if err:
            raise BoardError(err.decode(errors="replace").strip())
        return out.decode(errors="replace")

    def start(self, code: str) -> None:
        """Send ``code`` to the raw REPL and let it run (the terminal's main loop never ends):
        the console shows what it prints; a later ``exec`` or a tool's Ctrl-C stops it."""
        from mpremote.transport_serial import SerialTransport

        self.release()
        with contextlib.redirect_stdout(io.StringIO()):
            t = SerialTransport(self.url, baudrate=115200)
        try:
            t.enter_raw_repl(soft_reset=False, timeout_overall=60)
            t.exec_raw_no_follow(code)
        finally:
            t.close()
        self.listen()

    def stop_boot(self, timeout: float = 600) -> float:
        """Ctrl-C until the REPL prompt: boot.py is cut short, so main.py does not run (pyexec
        runs main.py only after a boot.py that succeeded). The interrupt lands only when the
        VM next runs bytecode: after the module being read from the slow flash (minutes here).
        Seconds from QEMU's start."""
        assert self.sock is not None
        end = time.monotonic() + timeout
        while b">>> " not in self.text:
            if time.monotonic() > end:
                raise BoardError(f"no REPL within {timeout} s: {self.text[-400:]!r}")
            if b"entry 0x" in self.text:  # the ROM handed over to the firmware
                self.sock.sendall(b"\x03")
            with contextlib.suppress(BoardError):
                self.console(b">>> ", 0.3)
        return time.monotonic() - self.t0

    # --- the end --------------------------------------------------------------------------------

    def cut(self) -> None:
        """``kill -9``: a power cut (boot.sh execs QEMU, so this pid is QEMU)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.release()
        self._out.close()

    def __enter__(self) -> Board:
        return self

    def __exit__(self, *exc) -> None:
        self.cut()


# Emulated flash costs ~40 ms an operation whatever its size, and littlefs at MicroPython's
# default 32-byte reads turns an import into hundreds of them (the app: ~9 minutes). Test set-up
# imports under a mount with 1 KB reads, then mounts the vfs again exactly as the firmware's
# _boot.py does, so the terminal itself runs on the stock mount and its heap.
FAST_MOUNT = """
import vfs, esp32
_b = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="vfs")[0]
try:
    vfs.umount("/")
except OSError:  # the Ctrl-C that stopped boot.py came before _boot.py mounted it
    pass
vfs.mount(vfs.VfsLfs2(_b, readsize=1024, progsize=32, lookahead=32), "/")
"""
STOCK_MOUNT = """
vfs.umount("/")
vfs.mount(_b, "/")
del _b
"""


def preload(modules: list[str]) -> str:
    """Code that imports ``modules`` under the fast mount and mounts the stock way again."""
    return FAST_MOUNT + "".join(f"import {m}\n" for m in modules) + STOCK_MOUNT


class Reader:
    """The PN532 simulator on a pty, in a thread of this process; cards placed on request."""

    def __init__(self) -> None:
        self.chip = scenario.build({})
        self.polls = 0  # InListPassiveTarget commands received
        self.commands = 0
        self.codes = bytearray()  # every command code, in order
        real = self.chip._event
        chip = self.chip

        def event(ev):
            body = chip.decoder.body
            if len(body) >= 2 and body[0] == 0xD4:
                self.commands += 1
                self.codes.append(body[1])
                if body[1] == _IN_LIST:
                    self.polls += 1
            real(ev)

        self.chip._event = event  # count the terminal's commands as the chip takes them
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        chip = self.chip
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.005)
            with self._lock:
                if ready:
                    try:
                        data = os.read(self._master, 4096)
                    except OSError:  # QEMU closed its end (a power cut): wait for the next
                        time.sleep(0.05)
                        continue
                    chip.feed(data)
                chip.tick()
                f = chip.take()
                while f is not None:
                    with contextlib.suppress(OSError):
                        os.write(self._master, f)
                    f = chip.take()

    def wait_polls(self, n: int, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while self.polls < n:
            if time.monotonic() > end:
                return False
            time.sleep(0.01)
        return True

    def place(self, spec: str):
        card = from_spec(spec)
        with self._lock:
            self.chip.field.place(card)
            start = len(self.codes)
        return card, start

    def remove(self, card) -> None:
        with self._lock:
            self.chip.field.remove(card)

    def tap(self, spec: str, timeout: float = 60) -> bool:
        """Place the card, wait until the terminal answered it (True), take it away."""
        card, start = self.place(spec)
        end = time.monotonic() + timeout
        try:
            while time.monotonic() < end:
                seen = bytes(self.codes[start:])
                probe = seen.find(bytes([_THRU]))
                if probe >= 0 and seen.find(bytes([_IN_LIST]), probe) >= 0:
                    return True
                time.sleep(0.01)
            return False
        finally:
            self.remove(card)

    def power_cycle(self) -> None:
        """The terminal lost power: the reader did too."""
        with self._lock:
            self.chip.field.clear()
            self.chip.power_on()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self._master)
        os.close(self._slave)


# --- a terminal's flash image, built on the host as a technician's tools build it --------------


def card_uid(i: int) -> str:
    return f"1A{i:06X}"


def terminal_flash(tmp: pathlib.Path, bundle: dict, allow: bytes, prefill: list[bytes],
                   name: str = "flash", app: bool = True):  # fmt: skip
    """``tmp/flash.bin``: ``tools flash --image-out`` of the official firmware with a vfs image
    (``tools image``'s build: this checkout's .mpy firmware, config with no Wi-Fi -- an offline
    site --, secrets, the allow-list) and ``hlog`` with K0 (``image.hlog_image``) holding
    ``prefill`` taps appended by the firmware's own log code. Returns its path. ``app=False``
    leaves out boot.py and main.py: the board starts at the REPL, for a test's own program."""
    import json
    import tempfile

    from firmware import wire
    from firmware.log import Log
    from tests.kit.esp32 import firmware
    from tests.kit.technician import cli
    from tools import deploy, image, provision
    from tools.sim.flash import NorFlash

    files = deploy.release(compile_mpy=True)
    files["/config.json"] = json.dumps(provision.make_config(bundle, "")).encode()
    files["/secrets.json"] = json.dumps(provision.make_secrets(bundle, "")).encode()
    files["/allow.bin"] = allow
    if not app:
        del files["/boot.py"], files["/main.py"]
    hlog = tmp / "hlog.bin"
    image.hlog_image(hlog, bundle)
    with tempfile.TemporaryDirectory() as state:
        part = NorFlash(image=bytearray(hlog.read_bytes()))
        log = Log(part, state, bundle["terminal_id"])
        log.boot(bundle["door"])
        for i, token in enumerate(prefill):
            log.append(wire.TAP, wire.CARD_ENROLLED, token, 1000 + i)
            log.maintain()
        log.seal()
        hlog.write_bytes(bytes(part.mem))
        for f in pathlib.Path(state).iterdir():
            files["/data/" + f.name] = f.read_bytes()
    vfs = tmp / "vfs.bin"
    vfs.write_bytes(image.build_image(files, ["/data"], image.vfs_blocks()))
    out = tmp / f"{name}.bin"
    r = cli(None, "flash", "--firmware", str(firmware()), "--image-out", str(out),
            "--vfs", str(vfs), "--hlog", str(hlog))  # fmt: skip
    assert r.exit_code == 0, r.output + r.stderr
    return out


def tokens_of(bundle: dict, uids: list[str]) -> list[bytes]:
    """The 4-byte card tokens the terminal logs for these cards, as the collector computes
    them (``sync.vault.card_tokens``, docs/protocol.md)."""
    from sync.vault import card_tokens

    key = bytes.fromhex(bundle["card_key"])
    return [t.to_bytes(4, "big") for t in card_tokens(key, [bytes.fromhex(u) for u in uids])]


def older_flash(tmp: pathlib.Path, bundle: dict, allow: bytes, taps: list[bytes]):
    """``tmp/older.bin``: a terminal as the earlier hadir table (``parttable.OLDER``: hlog at
    0x200000, a 64-block vfs at 0x3C0000) left it: the official firmware, that table, the log
    with K0 and ``taps`` appended by the firmware's own log code, and a vfs with the firmware
    (no boot.py/main.py: the board starts at the REPL), config, secrets, allow-list and the log's
    state. Returns (path, the vfs files)."""
    import json
    import tempfile

    from firmware import wire
    from firmware.log import Log
    from tests.kit.esp32 import firmware
    from tools import deploy, flash, image, provision
    from tools.sim.flash import NorFlash

    (old,) = parttable.OLDER.values()
    was_log, was_fs = parttable.by_label(old, "hlog"), parttable.by_label(old, "vfs")
    fw = flash.load_firmware(firmware())
    data = bytearray(b"\xff" * flash.FLASH_SIZE)
    data[flash.BASE : flash.BASE + len(fw.bootloader)] = fw.bootloader
    data[parttable.OFFSET : parttable.OFFSET + parttable.TABLE_LEN] = parttable.to_binary(old)
    data[0x10000 : 0x10000 + len(fw.app)] = fw.app
    files = deploy.release(compile_mpy=True)
    del files["/boot.py"], files["/main.py"]
    files["/config.json"] = json.dumps(provision.make_config(bundle, "")).encode()
    files["/secrets.json"] = json.dumps(provision.make_secrets(bundle, "")).encode()
    files["/allow.bin"] = allow
    part = NorFlash(was_log.size // 4096, image=bytearray(image.hlog_bytes(bundle)))
    with tempfile.TemporaryDirectory() as state:
        log = Log(part, state, bundle["terminal_id"])
        log.boot(bundle["door"])
        for i, token in enumerate(taps):
            log.append(wire.TAP, wire.CARD_ENROLLED, token, 1000 + i)
            log.maintain()
        log.seal()
        for f in pathlib.Path(state).iterdir():
            files["/data/" + f.name] = f.read_bytes()
    data[was_log.offset : was_log.end] = part.mem
    data[was_fs.offset : was_fs.end] = image.build_image(files, ["/data"], was_fs.size // 4096)
    out = tmp / "older.bin"
    out.write_bytes(bytes(data))
    return out, files
