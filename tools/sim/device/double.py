# double: a terminal on a pseudo-terminal that speaks MicroPython's REPL protocols.
# SPDX-License-Identifier: MIT
"""``DeviceDouble(root)`` serves a simulated ESP32 on a pty, byte for byte as MicroPython's
``shared/runtime/pyexec.c`` does, so the real mpremote (``SerialTransport``) drives it:

============================  ========================================================
host sends                    device answers
============================  ========================================================
(running ``main.py``) Ctrl-C  ``KeyboardInterrupt`` traceback, banner, ``>>> ``
Ctrl-A (friendly REPL)        ``raw REPL; CTRL-B to exit\\r\\n>``
code, Ctrl-D (raw REPL)       ``OK``, stdout, ``\\x04``, stderr, ``\\x04``, ``>``
Ctrl-E ``A`` Ctrl-A           raw paste: ``R\\x01``, window size (u16 LE), ``\\x01`` per window
                              consumed; host ends with Ctrl-D, device acks ``\\x04``, runs
Ctrl-D on an empty raw line   ``OK\\r\\n`` then ``MPY: soft reboot\\r\\n`` and the raw banner
Ctrl-D (friendly REPL)        ``MPY: soft reboot\\r\\n``, banner, ``>>> ``
Ctrl-B (raw REPL)             ``\\r\\n``, banner, ``>>> `` (friendly REPL)
Ctrl-C while code runs        ``KeyboardInterrupt`` raised in that code
============================  ========================================================

Code runs in ``runtime.Runtime`` against the folder ``root`` (the device's littlefs), and the raw
``hlog`` partition is a NOR flash in the host file ``flash_path``. Faults for tests: ``stuck``
(firmware with Ctrl-C disabled: the device never answers), ``after_exec`` (a callback run after
each execution; call ``unplug()`` there to pull the cable halfway through a transfer).
Real timing when asked: ``Config(baud=115200)`` sends output at the UART's speed (a print waits
for it, as the ESP32's UART driver blocks on a full TX buffer), ``Config(erase_ms=45)`` makes
each erase of ``hlog`` take that long.
"""

from __future__ import annotations

import ctypes
import os
import pathlib
import select
import threading
import time
import tty
from typing import Callable

from tools.sim.board import Watchdog
from tools.sim.device.runtime import Config, HardReset, Runtime
from tools.sim.flash import NorFlash

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
PASTE_WINDOW = 128
_FRIENDLY, _RAW, _PASTE, _RUNNING, _EXEC = range(5)


class DeviceDouble:
    def __init__(self, root: str | os.PathLike[str], flash_path: str | os.PathLike[str] | None,
                 config: Config | None = None, stuck: bool = False,
                 after_exec: Callable[[DeviceDouble], None] | None = None) -> None:  # fmt: skip
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.config = config or Config()
        self.flash = NorFlash(path=str(flash_path)) if flash_path else None
        self.stuck = stuck
        self.after_exec = after_exec
        self.execs = 0
        self.watchdog = Watchdog()
        self.wdt_resets = 0
        self.received = 0  # bytes from the host, and to it: what crosses the USB cable
        self.sent = 0
        self.path = ""
        self._master = -1
        self._slave = -1
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pending = bytearray()
        self._line = bytearray()
        self._request = 0  # progress through a raw-paste request (Ctrl-E, "A", Ctrl-A)
        self._pasted = 0
        self._worker: threading.Thread | None = None
        self.runtime = self._boot()
        self.mode = _RUNNING if (self.root / "main.py").exists() else _FRIENDLY

    # --- life cycle ---------------------------------------------------------------------------

    def start(self) -> str:
        self._master, self._slave = os.openpty()
        self._wake_r, self._wake_w = os.pipe()  # the exec thread wakes the serving loop
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._thread = threading.Thread(target=self._serve, name="devsim", daemon=True)
        self._thread.start()
        return self.path

    def unplug(self) -> None:
        """The USB cable is pulled: the host's next read or write fails."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._worker is not None:
            self._worker.join(timeout=5)
        self.runtime.close_files()
        if self.flash is not None:
            self.flash.close()
            self.flash = None

    def __enter__(self) -> DeviceDouble:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _boot(self) -> Runtime:
        rt = Runtime(self.root, self.config, self.flash, self._write_text, self.watchdog)
        if self.config.run_boot and (self.root / "boot.py").is_file():
            err = rt.execute((self.root / "boot.py").read_text(), "boot.py")
            if err:
                self._write_text(err)
        return rt

    # --- byte I/O -----------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._master < 0 or self._stop.is_set():
                return
            view = memoryview(data)
            self.sent += len(data)
            while view:
                try:
                    n = os.write(self._master, view)
                except BlockingIOError:
                    select.select([], [self._master], [], 0.05)
                    continue
                except OSError:
                    return
                view = view[n:]
        if self.config.baud:  # the UART sends 10 bits a byte: print() waits for it, as on the chip
            time.sleep(len(data) * 10 / self.config.baud)

    def _write_text(self, text: str) -> None:
        self._write(text.replace("\n", "\r\n").encode())  # stdout is "cooked", as on the ESP32

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master, self._wake_r], [], [], 0.05)
                if self._wake_r in ready:
                    os.read(self._wake_r, 64)
                if self._master in ready:
                    try:
                        data = os.read(self._master, 4096)
                    except OSError:
                        data = b""
                    self.received += len(data)
                    if self._worker is not None and b"\x03" in data:
                        self._interrupt()
                        data = data[data.rindex(b"\x03") + 1 :]
                    self._pending += data
                if self._worker is not None and not self._worker.is_alive():
                    self._worker = None
                if self.mode == _RUNNING and not self.stuck:
                    self.watchdog.feed()  # the application's watchdog task feeds it
                elif self.watchdog.expired():
                    self._watchdog_reset()
                while self._pending and self._worker is None and not self._stop.is_set():
                    c = self._pending[0]
                    del self._pending[0]
                    self._byte(c)
        finally:
            with self._lock:
                os.close(self._master)
                os.close(self._slave)
                self._master = -1
            if self._worker is not None:
                self._worker.join(timeout=5)
            os.close(self._wake_r)
            os.close(self._wake_w)

    # --- the REPL state machine (pyexec.c) ----------------------------------------------------

    def _banner(self) -> None:
        v = self.config.version
        self._write(b"MicroPython v%d.%d.%d on 2025-12-09; " % v + self.config.machine.encode()
                    + b'\r\nType "help()" for more information.\r\n>>> ')  # fmt: skip

    def _soft_reset(self) -> None:
        self.runtime.close_files()
        self.runtime = self._boot()
        self._write(b"MPY: soft reboot\r\n")

    def _byte(self, c: int) -> None:
        if self.mode == _RUNNING:
            if c == 3 and not self.stuck:  # Ctrl-C stops main.py
                self._write(b'Traceback (most recent call last):\r\n  File "main.py", line 1, in '
                            b"<module>\r\nKeyboardInterrupt: \r\n")  # fmt: skip
                self.mode = _FRIENDLY
                self._banner()
        elif self.mode == _FRIENDLY:
            self._friendly(c)
        elif self.mode == _RAW:
            self._raw(c)
        elif self.mode == _PASTE:
            self._paste(c)

    def _friendly(self, c: int) -> None:
        if c == 1:  # Ctrl-A: raw REPL
            self._line.clear()
            self.mode = _RAW
            self._write(RAW_BANNER + b">")
        elif c == 3:  # Ctrl-C: clear the line
            self._line.clear()
            self._write(b"\r\n>>> ")
        elif c == 4 and not self._line:  # Ctrl-D: soft reset, runs main.py again
            self._soft_reset()
            if (self.root / "main.py").exists():
                self.mode = _RUNNING
            else:
                self._banner()
        elif c == 2:
            self._banner()
        elif c == 13:
            line = bytes(self._line)
            self._line.clear()
            self._write(b"\r\n")
            if line.strip():
                self._run(line, raw=False)
            else:
                self._write(b">>> ")
        elif c in (8, 127):
            if self._line:
                self._line.pop()
                self._write(b"\x08 \x08")
        elif c >= 32:
            self._line.append(c)
            self._write(bytes([c]))

    def _raw(self, c: int) -> None:
        if self._request and c not in (0x41, 1):
            self._request = 0
        if c == 1 and not self._request:  # Ctrl-A again: the banner again
            self._line.clear()
            self._write(RAW_BANNER + b">")
        elif c == 2:  # Ctrl-B: friendly REPL
            self._line.clear()
            self.mode = _FRIENDLY
            self._write(b"\r\n")
            self._banner()
        elif c == 3:
            self._line.clear()
        elif c == 5 and not self._line:  # Ctrl-E: raw-paste request, "\x05A\x01"
            self._request = 1
        elif self._request == 1 and c == 0x41:
            self._request = 2
        elif self._request == 2 and c == 1:
            self._request = 0
            self.mode = _PASTE
            self._pasted = 0
            self._write(b"R\x01" + PASTE_WINDOW.to_bytes(2, "little"))
        elif c == 4:
            if not self._line:  # soft reset, staying in the raw REPL
                self._write(b"OK\r\n")
                self._soft_reset()
                self._write(RAW_BANNER + b">")
                return
            self._write(b"OK")
            code = bytes(self._line)
            self._line.clear()
            self._run(code, raw=True)
        else:
            self._line.append(c)

    def _paste(self, c: int) -> None:
        if c == 4:  # end of data: acknowledge, then compile and run
            self._write(b"\x04")
            code = bytes(self._line)
            self._line.clear()
            self.mode = _RAW
            self._run(code, raw=True)
            return
        self._line.append(c)
        self._pasted += 1
        if self._pasted % PASTE_WINDOW == 0:
            self._write(b"\x01")  # room for one more window

    def _run(self, code: bytes, raw: bool) -> None:
        def work() -> None:
            try:
                run()
            except HardReset:
                pass
            finally:
                try:
                    os.write(self._wake_w, b"!")
                except OSError:
                    pass  # unplugged: the serving loop has gone

        def run() -> None:
            rt = self.runtime
            try:
                err = rt.execute(code.decode("utf-8", "replace"))
            except SystemExit:  # machine.reset(): the board reboots
                self._soft_reset()
                self.mode = _RUNNING if (self.root / "main.py").exists() else _FRIENDLY
                if self.mode == _FRIENDLY:
                    self._banner()
                return
            if raw:
                self._write(b"\x04")
                self._write(err.replace("\n", "\r\n").encode())
                self._write(b"\x04>")
            else:
                self._write_text(err)
                self._write(b">>> ")
            self.execs += 1
            if self.after_exec is not None:
                self.after_exec(self)

        self._worker = threading.Thread(target=work, name="devsim-exec", daemon=True)
        self._worker.start()

    def _watchdog_reset(self) -> None:
        """Not fed in time: the chip resets hard. The ROM prints its banner, boot.py and main.py
        run again (the watchdog is off until boot.py starts it)."""
        self.wdt_resets += 1
        if self._worker is not None and self._worker.is_alive():
            self._interrupt(HardReset)
            self._worker.join(timeout=5)
        self._worker = None
        self._pending.clear()
        self._line.clear()
        self.watchdog.stop()
        self._write(b"\r\nets Jun  8 2016 00:22:57\r\n\r\nrst:0x8 (TG1WDT_SYS_RESET),boot:0x13 "
                    b"(SPI_FAST_FLASH_BOOT)\r\n")  # fmt: skip
        self.runtime.close_files()
        self.runtime = self._boot()
        self.mode = _RUNNING if (self.root / "main.py").exists() else _FRIENDLY
        if self.mode == _FRIENDLY:
            self._banner()

    def _interrupt(self, exc: type[BaseException] = KeyboardInterrupt) -> None:
        """Ctrl-C while code runs: raise KeyboardInterrupt inside it, as MicroPython does."""
        worker = self._worker
        if worker is not None and worker.ident is not None:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(worker.ident), ctypes.py_object(exc)
            )
