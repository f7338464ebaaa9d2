# runtime: a MicroPython-shaped interpreter in CPython whose file system is a host folder.
# SPDX-License-Identifier: MIT
"""What the device double executes code with. Code sent over the raw REPL, and every module it
imports from the device's file system, runs with its own builtins (``open``, ``print``,
``__import__``) and its own module table, so nothing leaks into the host process:

- ``open`` and ``os.*`` are rooted at the device folder: ``/config.json`` is ``ROOT/config.json``;
  no path escapes it. Host errors come back as MicroPython's ``OSError: [Errno 2] ENOENT``.
- The folder holds ``Config.fs_blocks`` littlefs blocks and no more (``Budget``): ``statvfs``
  counts them as littlefs would, and a write or a ``mkdir`` beyond them raises
  ``OSError: [Errno 28] ENOSPC``, leaving the file as littlefs leaves it.
- ``sys.implementation`` reports MicroPython (version, ``_mpy`` as configured), so a version
  check sees a device, and ``compat`` takes its MicroPython branch.
- ``machine``, ``esp32``, ``network``, ``time``, ``gc``, ``micropython`` are shims:
  ``machine.UART`` is wired to the simulated PN532 (``tools/sim/pn532``), ``machine.WDT`` to the
  board double's ``Watchdog`` and ``network.WLAN`` to its ``Wifi`` (``tools/sim/board``; no
  access point in reach), ``esp32.Partition.find(label="hlog")`` to the NOR flash model on a
  host file (``tools/sim/flash``); ``time`` counts from 2000 like the ESP32, on the host clock.
  ``Pin``, ``PWM``, ``Timer`` and ``RTC`` are the bare module API ``firmware.hardware`` and
  ``boot.py`` call; the board's LED, buzzer and clock parts sit above them, not here.
- A module is imported from the device folder (``''`` and ``/lib`` on ``sys.path``). A ``.mpy``
  file cannot run in CPython, so for ``lib/x.mpy`` the double runs the project's ``lib/x.py``:
  the module must be on the device, the code is the source it was compiled from.
"""

from __future__ import annotations

import asyncio
import binascii
import collections
import errno as host_errno
import hashlib
import io
import json
import os
import pathlib
import posixpath
import random
import re
import struct
import sys
import time
import types
from typing import Any, Callable

from firmware.blocks import file_blocks
from firmware.wire import HOST_EPOCH_OFFSET
from tools import parttable
from tools.sim.board import Watchdog, Wifi
from tools.sim.board.chip import SilentUart

ROOT = pathlib.Path(__file__).resolve().parents[3]  # the project: sources of compiled modules
EPOCH_2000 = HOST_EPOCH_OFFSET  # the ESP32 counts time from 2000
# CPython modules that stand in for MicroPython built-ins of the same name and shape.
_HOST_MODULES = {
    "binascii": binascii, "collections": collections, "hashlib": hashlib, "io": io,
    "json": json, "random": random, "re": re, "struct": struct, "array": __import__("array"),
    "heapq": __import__("heapq"), "math": __import__("math"), "select": __import__("select"),
    "errno": host_errno, "socket": __import__("socket"),
}  # fmt: skip
_ERRNO_NAMES = host_errno.errorcode


class DeviceOSError(OSError):
    """``OSError(errno, "ENAME")``: prints as MicroPython does, ``[Errno 2] ENOENT``."""


def device_oserror(exc: OSError) -> OSError:
    code = exc.errno or host_errno.EIO
    return DeviceOSError(code, _ERRNO_NAMES.get(code, str(code)))


BLOCK = 4096


class Budget:
    """The littlefs ``vfs`` partition's block budget over the device folder.

    - Use: 2 blocks for the superblock pair, a metadata pair (2 blocks) per folder, each file by
      ``firmware.blocks.file_blocks``. ``statvfs`` reports it as MicroPython's
      extmod/vfs_lfsx.c does: f_bsize = f_frsize = block size, f_blocks = block count,
      f_bfree = f_bavail = count - the blocks ``lfs2_fs_traverse`` visits, which counts each
      folder's pair twice (lib/littlefs/lfs2.c: from the list of pairs, and from its parent's
      entry with ``includeorphans``), so a board reports 2 blocks less per folder than it has,
      below 0 on a nearly full file system (``f_bfree = -10`` was read on the unix port's
      ``VfsLfs2`` for an image with 5 folders). Allocation (ENOSPC) goes by the real use.
    - A write that needs more blocks than are free raises ENOSPC (littlefs LFS2_ERR_NOSPC = -28,
      made ``OSError(28)`` by extmod/vfs_lfsx_file.c). A file open for writing holds its old
      blocks and its new ones until it is synced (littlefs copies on write), so rewriting a
      file needs room for both.
    - What a failed write leaves (lib/littlefs/lfs2.c): the file's entry is committed when it is
      created (``lfs2_file_opencfg``: a new file exists, empty); a truncation (``"w"`` on an
      existing file) and written data are committed only by a sync or a close
      (``LFS2_F_DIRTY``); a write error marks the file ``LFS2_F_ERRED`` and
      ``lfs2_file_sync_`` then does nothing. So after ENOSPC the file is as last committed: a new
      file empty, an existing one with its old bytes, and nothing more is written through it.
    - ``mkdir`` commits a new metadata pair: ENOSPC with fewer than 2 blocks free.
    """

    def __init__(self, root: pathlib.Path, blocks: int) -> None:
        self.root = root
        self.blocks = blocks

    def _count(self) -> tuple[int, int]:
        """(blocks in use, folders below the root)."""
        used, folders = 2, 0  # littlefs keeps two superblocks
        for top, dirs, files in os.walk(self.root):
            folders += len(dirs)
            used += 2 * len(dirs)  # a metadata pair per directory
            used += sum(file_blocks(os.path.getsize(os.path.join(top, f))) for f in files)
        return used, folders

    def used(self) -> int:
        return self._count()[0]

    def free(self) -> int:
        return max(self.blocks - self.used(), 0)

    def statvfs(self) -> tuple[int, ...]:
        used, folders = self._count()
        free = self.blocks - used - 2 * folders  # each folder's pair counted twice: may be < 0
        return (BLOCK, BLOCK, self.blocks, free, free, 0, 0, 0, 0, 255)

    def open(self, host: pathlib.Path, mode: str, opener: Callable[[], Any]) -> Any:
        committed = host.read_bytes() if host.is_file() and "w" in mode else None
        return _BudgetFile(self, host, opener(), committed)

    def mkdir(self, host: pathlib.Path) -> None:
        if self.free() < 2:
            raise OSError(host_errno.ENOSPC, "ENOSPC")
        os.mkdir(host)


class _BudgetFile:
    """A device file open for writing under a ``Budget``; reads and seeks go to the host file."""

    def __init__(self, budget: Budget, host: pathlib.Path, f: Any, committed: bytes | None):
        self._budget = budget
        self._host = host
        self._f = f
        self._committed = committed  # the old bytes a "w" truncated: held until the sync
        self._erred = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._f, name)

    def __enter__(self) -> _BudgetFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self):
        return iter(self._f)

    def write(self, data: Any) -> int:
        if self._erred:
            raise OSError(host_errno.ENOSPC, "ENOSPC")
        self._f.flush()
        now = self._host.stat().st_size
        at = self._f.tell()
        n = len(data.encode() if isinstance(data, str) else data)
        grow = file_blocks(max(now, at + n)) - file_blocks(now)
        held = file_blocks(len(self._committed)) if self._committed is not None else 0
        if grow and self._budget.used() + held + grow > self._budget.blocks:
            self._fail()
        return self._f.write(data)

    def _fail(self) -> None:
        """ENOSPC: the file goes back to what was committed, and stays erred."""
        self._erred = True
        self._f.flush()
        self._f.seek(0)
        self._f.truncate()
        if self._committed:
            self._f.write(self._committed if "b" in self._f.mode else self._committed.decode())
        self._f.flush()
        raise OSError(host_errno.ENOSPC, "ENOSPC")

    def close(self) -> None:
        self._committed = None  # the sync: the new bytes are the file now
        self._f.close()


class Config:
    """What the device double claims to be and carries."""

    def __init__(self, version: tuple[int, int, int] = (1, 27, 0), mpy: int = 0x2B06,
                 machine: str = "Generic ESP32 module with ESP32", fs_blocks: int = 0,
                 rssi: int = -67, clock_offset_s: float = 0.0, cards: list[str] | None = None,
                 reader: bool = True, wdt_scale: float = 1.0, safe_button: bool = False,
                 run_boot: bool = True, powered_up: bool = False,
                 table: list[Any] | None = None, erase_ms: float = 0.0,
                 baud: int = 0) -> None:  # fmt: skip
        self.version = version
        self.mpy = mpy  # 6 | 3 << 8 (mpy v6.3) | arch xtensawin (10) << 10
        self.machine = machine
        # littlefs blocks of 4096 bytes in the vfs partition; 0: the size in the table
        self.fs_blocks = fs_blocks or parttable.by_label(parttable.hadir(), "vfs").size // 4096
        self.rssi = rssi
        self.clock_offset_s = clock_offset_s
        self.cards = cards or []
        self.reader = reader  # False: no PN532 on the UART (it never answers)
        self.wdt_scale = wdt_scale  # the watchdog's timeout runs this much faster (tests)
        self.safe_button = safe_button  # held at power-up: boot.py leaves the watchdog off
        self.run_boot = run_boot  # run /boot.py at every (soft) reset, as MicroPython does
        # The partition table at 0x8000: hadir's (tools/partitions.csv) unless a test flashes
        # another one (parttable.STOCK: what a stock MicroPython image brings back).
        self.table = parttable.hadir() if table is None else table
        # Wall-clock time one 4 KB erase of hlog takes: about 45 ms typical on an ESP32's
        # flash, 400 ms at the W25Q32 datasheet's maximum (t_SE); 0 keeps tests fast.
        self.erase_ms = erase_ms
        self.baud = baud  # 0: output as fast as the pty takes it; 115200: the USB-UART bridge
        # machine.RTC().memory(): kept over soft resets, lost with power. By default the
        # terminal has run since an earlier power-up (firmware/hardware.py's warm mark: byte 1
        # 0xA5), so boot.py skips the safe-mode window; powered_up=True: just switched on.
        self.rtc_memory = bytearray() if powered_up else bytearray(b"\x00\xa5")


class HardReset(BaseException):
    """Raised inside running code when the watchdog resets the chip: nothing more is printed."""


class _Implementation(types.SimpleNamespace):
    def __repr__(self) -> str:  # as MicroPython prints it: an attrtuple
        return "(" + ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items()) + ")"


class Runtime:
    """One boot of the device: module table, globals of the REPL, open files."""

    def __init__(self, root: pathlib.Path, config: Config, flash: Any, out: Callable[[str], None],
                 watchdog: Watchdog | None = None) -> None:  # fmt: skip
        self.root = pathlib.Path(root)
        self.watchdog = watchdog or Watchdog()
        self.wifi = Wifi(up=False, rssi=config.rssi)  # no access point near the bench
        self.config = config
        self.flash = flash
        self.out = out  # where print() goes: the double sends it over the pty
        self.cwd = "/"
        self.budget = Budget(self.root, config.fs_blocks)
        self.files: list[Any] = []
        self.device_files: set[str] = {"<stdin>"}
        self.modules: dict[str, types.ModuleType] = {}
        self.builtins = self._make_builtins()
        self.globals: dict[str, Any] = {"__name__": "__main__", "__builtins__": self.builtins}
        self._chip = None
        self._install_shims()

    # --- paths and files ----------------------------------------------------------------------

    def device_path(self, path: str) -> str:
        if not isinstance(path, str):
            raise TypeError("path must be str")
        full = posixpath.normpath(posixpath.join(self.cwd, path or "."))
        return "/" + full.lstrip("/") if full != "/" else "/"

    def host_path(self, path: str) -> pathlib.Path:
        dev = self.device_path(path)
        return self.root / dev.lstrip("/") if dev != "/" else self.root

    def _open(self, path, mode="r", *args, **kwargs):
        host = self.host_path(path)

        def opener():
            if "b" in mode:
                return open(host, mode)  # noqa: SIM115 - the device code closes it
            return open(host, mode, encoding="utf-8", newline="")  # noqa: SIM115

        try:
            if any(c in mode for c in "wax+"):
                f = self.budget.open(host, mode, opener)
            else:
                f = opener()
        except OSError as exc:
            raise device_oserror(exc) from None
        self.files.append(f)
        return f

    def close_files(self) -> None:
        for f in self.files:
            try:
                f.close()
            except OSError:
                pass
        self.files.clear()

    def _print(self, *args, sep=" ", end="\n", file=None):
        text = sep.join(str(a) for a in args) + end
        if file is not None and file is not self.modules["sys"].stdout:
            file.write(text)
        else:
            self.out(text)

    # --- modules ------------------------------------------------------------------------------

    def _make_builtins(self) -> dict[str, Any]:
        import builtins

        b = dict(builtins.__dict__)
        b["open"] = self._open
        b["print"] = self._print
        b["__import__"] = self._import
        b["input"] = None
        return b

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        if level:
            package = (globals or {}).get("__package__") or ""
            parts = package.split(".")
            base = ".".join(parts[: len(parts) - level + 1])
            name = f"{base}.{name}" if name else base
        module = self._load(name)
        if fromlist:
            for item in fromlist:
                if item != "*" and not hasattr(module, item):
                    try:
                        self._load(f"{name}.{item}")
                    except ImportError:
                        pass
            return module
        return self.modules[name.split(".")[0]] if not level else module

    def _load(self, name: str) -> types.ModuleType:
        if name in self.modules:
            return self.modules[name]
        parent = None
        if "." in name:
            parent = self._load(name.rpartition(".")[0])
        found = self._find(name)
        if found is None:
            raise ImportError(f"no module named '{name}'")
        dev_file, source, is_package = found
        module = types.ModuleType(name)
        module.__file__ = dev_file
        module.__dict__["__builtins__"] = self.builtins
        module.__package__ = name if is_package else name.rpartition(".")[0]
        if is_package:
            module.__path__ = [posixpath.dirname(dev_file)]  # type: ignore[attr-defined]
        self.modules[name] = module
        try:
            if source:
                self.device_files.add(dev_file)
                exec(compile(source, dev_file, "exec"), module.__dict__)
        except BaseException:
            del self.modules[name]
            raise
        if parent is not None:
            setattr(parent, name.rpartition(".")[2], module)
        return module

    def _find(self, name: str) -> tuple[str, str, bool] | None:
        rel = name.replace(".", "/")
        for base in ("", "lib"):
            stem = f"{base}/{rel}" if base else rel
            host = self.root / stem
            if host.is_dir():
                for init in ("__init__.py", "__init__.mpy"):
                    if (host / init).is_file():
                        return f"/{stem}/{init}", self._source(f"{stem}/{init}"), True
                return f"/{stem}/__init__.py", "", True  # a folder without __init__
            for ext in (".py", ".mpy"):
                if (self.root / (stem + ext)).is_file():
                    return f"/{stem}{ext}", self._source(stem + ext), False
        return None

    def _source(self, rel: str) -> str:
        if rel.endswith(".py"):
            return (self.root / rel).read_text()
        # A compiled module: run the project source it was compiled from.
        src = ROOT / (rel[: -len(".mpy")] + ".py")
        if not src.is_file():
            raise ImportError(f"{rel}: no source in the project to stand in for it")
        return src.read_text()

    def _module(self, name: str, **attrs: Any) -> types.ModuleType:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        self.modules[name] = m
        return m

    def _install_shims(self) -> None:
        for name, mod in _HOST_MODULES.items():
            self.modules[name] = mod
        self._module("micropython", const=lambda v: v, opt_level=lambda *a: 0,
                     mem_info=lambda *a: None, kbd_intr=lambda c: None, schedule=lambda f, a: f(a),
                     alloc_emergency_exception_buf=lambda n: None, native=lambda f: f,
                     viper=lambda f: f, heap_lock=lambda: 0, heap_unlock=lambda: 0)  # fmt: skip
        self._module("gc", collect=lambda: None, mem_free=lambda: 110_000,
                     mem_alloc=lambda: 40_000, enable=lambda: None, disable=lambda: None,
                     isenabled=lambda: True, threshold=lambda *a: -1)  # fmt: skip
        self._module("asyncio", **{k: v for k, v in asyncio.__dict__.items() if k[0] != "_"},
                     sleep_ms=lambda ms: asyncio.sleep(ms / 1000))  # fmt: skip
        self._install_sys()
        self._install_time()
        self._install_os()
        self._install_machine()
        self._install_esp32()
        self._install_network()

    def _install_sys(self) -> None:
        cfg = self.config
        impl = _Implementation(name="micropython", version=(*cfg.version, ""),
                               _machine=cfg.machine, _mpy=cfg.mpy)  # fmt: skip
        stdout = types.SimpleNamespace(write=lambda s: self.out(str(s)) or len(s))
        self._module(
            "sys", implementation=impl, platform="esp32", byteorder="little",
            maxsize=2**31 - 1, path=["", ".frozen", "/lib"], modules=self.modules,
            version="3.4.0; MicroPython v%d.%d.%d" % cfg.version, argv=[], stdout=stdout,
            stderr=stdout, stdin=None, exit=sys.exit,
            print_exception=lambda e, f=None: self.out(format_exception(e, self.device_files)),
        )  # fmt: skip

    def _install_time(self) -> None:
        start = time.monotonic()

        def now() -> float:
            return time.time() - EPOCH_2000 + self.config.clock_offset_s

        def ticks_ms() -> int:
            return int((time.monotonic() - start) * 1000) & 0x3FFFFFFF

        def gmtime(secs=None):
            t = time.gmtime((now() if secs is None else secs) + EPOCH_2000)
            return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, t.tm_wday,
                    t.tm_yday)  # fmt: skip

        def mktime(t) -> int:
            import calendar

            return calendar.timegm((*t[:6], 0, 0, 0)) - EPOCH_2000

        def set_clock(secs: float) -> None:
            self.config.clock_offset_s += secs - now()

        self._set_clock = set_clock
        self._now = now
        self._module(
            "time", time=lambda: int(now()), time_ns=lambda: int(now() * 1e9), gmtime=gmtime,
            localtime=gmtime, mktime=mktime, ticks_ms=ticks_ms,
            ticks_us=lambda: ticks_ms() * 1000, ticks_cpu=ticks_ms,
            ticks_add=lambda t, d: (t + d) & 0x3FFFFFFF,
            ticks_diff=lambda a, b: ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000,
            sleep=time.sleep, sleep_ms=lambda ms: time.sleep(ms / 1000),
            sleep_us=lambda us: time.sleep(us / 1e6),
        )  # fmt: skip

    def _install_os(self) -> None:
        rt = self

        def wrap(fn):
            def call(*args):
                try:
                    return fn(*args)
                except OSError as exc:
                    raise device_oserror(exc) from None

            return call

        def stat(path):
            st = os.stat(rt.host_path(path))
            mode = 0x4000 if os.path.isdir(rt.host_path(path)) else 0x8000
            size = 0 if mode == 0x4000 else st.st_size
            mtime = int(st.st_mtime) - EPOCH_2000
            return (mode, 0, 0, 0, 0, 0, size, mtime, mtime, mtime)

        def ilistdir(path=""):
            host = rt.host_path(path or ".")
            for name in sorted(os.listdir(host)):
                full = host / name
                if full.is_dir():
                    yield (name, 0x4000, 0, 0)
                else:
                    yield (name, 0x8000, 0, full.stat().st_size)

        def statvfs(path="/"):
            return rt.budget.statvfs()

        def chdir(path):
            if not rt.host_path(path).is_dir():
                raise DeviceOSError(host_errno.ENOENT, "ENOENT")
            rt.cwd = rt.device_path(path)

        v = self.config.version
        self._module(
            "os", stat=wrap(stat), ilistdir=wrap(ilistdir), statvfs=wrap(statvfs),
            listdir=wrap(lambda path="": [e[0] for e in ilistdir(path)]),
            mkdir=wrap(lambda p: rt.budget.mkdir(rt.host_path(p))),
            rmdir=wrap(lambda p: os.rmdir(rt.host_path(p))),
            remove=wrap(lambda p: os.remove(rt.host_path(p))),
            rename=wrap(lambda a, b: os.rename(rt.host_path(a), rt.host_path(b))),
            chdir=wrap(chdir), getcwd=lambda: rt.cwd, sync=lambda: None, urandom=os.urandom,
            uname=lambda: types.SimpleNamespace(
                sysname="esp32", nodename="esp32", release="%d.%d.%d" % v,
                version="v%d.%d.%d" % v, machine=rt.config.machine),
            sep="/",
        )  # fmt: skip

    def pn532(self):
        if self._chip is None:
            from tools.sim.pn532 import scenario

            self._chip = scenario.build({"cards": list(self.config.cards)})
        return self._chip

    def _install_machine(self) -> None:
        rt = self

        class Pin:
            IN, OUT, PULL_UP = 1, 3, 1

            def __init__(self, n, mode=-1, pull=-1, value=None):
                held = rt.config.safe_button and pull == Pin.PULL_UP
                self.n, self._v = n, value if value is not None else int(pull == Pin.PULL_UP)
                if held:
                    self._v = 0

            def value(self, v=None):
                if v is None:
                    return self._v
                self._v = int(bool(v))

            __call__ = value
            on = lambda self: self.value(1)  # noqa: E731
            off = lambda self: self.value(0)  # noqa: E731

        def uart(id, *args, **kwargs):
            if not rt.config.reader:
                return SilentUart()
            from tools.sim.pn532.transport import UART

            return UART(rt.pn532())

        def i2c(*args, **kwargs):
            from tools.sim.pn532.transport import I2C

            return I2C(rt.pn532())

        class RTC:
            def datetime(self, dt=None):
                if dt is None:
                    y, mo, d, h, mi, s, wd, _ = rt.modules["time"].gmtime()
                    return (y, mo, d, wd, h, mi, s, 0)
                y, mo, d, _, h, mi, s = dt[:7]
                rt._set_clock(rt.modules["time"].mktime((y, mo, d, h, mi, s, 0, 0)))

        class WDT:
            def __init__(self, id=0, timeout=5000):
                rt.watchdog.start(int(timeout * rt.config.wdt_scale))

            def feed(self):
                rt.watchdog.feed()

        class PWM:
            def __init__(self, pin, freq=0, duty_u16=0):
                self._freq, self._duty = freq, duty_u16

            def freq(self, f=None):
                if f is None:
                    return self._freq
                self._freq = f

            def duty_u16(self, d=None):
                if d is None:
                    return self._duty
                self._duty = d

        class Timer:
            PERIODIC = 1

            def __init__(self, id=-1, **kwargs):
                pass

            def init(self, **kwargs):
                pass  # no callbacks in the double: nothing runs between REPL commands

        memory = self.config.rtc_memory

        class RTC_(RTC):
            def memory(self, data=None):
                if data is None:
                    return bytes(memory)
                memory[:] = data

        def reset():
            raise SystemExit("machine.reset")

        self._module("machine", Pin=Pin, UART=uart, I2C=i2c, SoftI2C=i2c, RTC=RTC_, WDT=WDT,
                     PWM=PWM, Timer=Timer,
                     reset=reset, soft_reset=reset, freq=lambda *a: 240_000_000,
                     unique_id=lambda: b"\x24\x0a\xc4\x00\x00\x07", idle=lambda: None,
                     reset_cause=lambda: 1, PWRON_RESET=1)  # fmt: skip

    def _install_esp32(self) -> None:
        """``esp32.Partition`` over the double's partition table (``Config.table``, as
        ``tools.parttable`` parts): ``find(type, subtype, label)`` filters it as
        ``esp_partition_find`` does, ``info()`` is (type, subtype, offset, size, label,
        encrypted) (MicroPython's ports/esp32/esp32_partition.c). The ``hlog`` partition's
        blocks are the NOR flash model; other partitions have no blocks here."""
        flash = self.flash
        table = self.config.table

        class Partition:
            TYPE_APP = 0
            TYPE_DATA = 1

            def __init__(self, label):
                for part in table:
                    if part.label == label:
                        self._part = part
                        break
                else:
                    raise DeviceOSError(host_errno.ENOENT, "ENOENT")
                self.label = label

            @staticmethod
            def find(type=0, subtype=255, label=None):
                return [
                    Partition(p.label)
                    for p in table
                    if p.type == type
                    and subtype in (255, p.subtype)
                    and label in (None, p.label)
                    and (p.label != "hlog" or flash is not None)
                ]

            def info(self):
                p = self._part
                size = flash.blocks * flash.block_size if p.label == "hlog" else p.size
                return (p.type, p.subtype, p.offset, size, p.label, False)

            def readblocks(self, block, buf, offset=0):
                flash.readblocks(block, buf, offset)

            def writeblocks(self, block, buf, offset=None):  # None: erase first, as the port
                if offset is None:
                    erasing(-(-len(buf) // flash.block_size))
                flash.writeblocks(block, buf, offset)

            def ioctl(self, op, arg):
                if op == 6:
                    erasing(1)
                return flash.ioctl(op, arg)

        def erasing(blocks):
            """The chip is busy erasing: the caller (and the REPL) waits, printing nothing."""
            if config.erase_ms:
                time.sleep(blocks * config.erase_ms / 1000)

        config = self.config
        self._module("esp32", Partition=Partition, mcu_temperature=lambda: 41)

    def _install_network(self) -> None:
        wifi = self.wifi

        class WLAN:
            """The station interface over the board's Wi-Fi: ``status("rssi")`` raises when not
            connected, as the port's ``esp_wifi_sta_get_ap_info`` error does."""

            def __init__(self, interface=0):
                self._active = False

            def active(self, on=None):
                if on is None:
                    return self._active
                self._active = bool(on)

            def isconnected(self):
                return wifi.isconnected()

            def status(self, what=None):
                if what != "rssi":
                    return 1010 if wifi.isconnected() else 1000  # STAT_GOT_IP / STAT_IDLE
                if not wifi.isconnected():
                    raise DeviceOSError(host_errno.EIO, "EIO")
                return wifi.rssi()

            def config(self, *args, **kwargs):
                return b"\x24\x0a\xc4\x00\x00\x07" if args == ("mac",) else None

            def connect(self, ssid=None, key=None, **kwargs):
                wifi.connect(ssid, key)

        self._module("network", WLAN=WLAN, STA_IF=0, AP_IF=1)

    # --- running code -------------------------------------------------------------------------

    def execute(self, source: str | bytes, filename: str = "<stdin>") -> str:
        """Run one raw-REPL submission; returns the error text ('' when it ran cleanly)."""
        try:
            self.device_files.add(filename)
            code = compile(source, filename, "exec")
            exec(code, self.globals)
        except HardReset:
            raise
        except SystemExit as exc:
            if exc.args and exc.args[0] == "machine.reset":
                raise
            return ""
        except BaseException as exc:  # noqa: BLE001 - the device reports every exception
            return format_exception(exc, self.device_files)
        return ""


def format_exception(exc: BaseException, device_files: set[str]) -> str:
    """A traceback as MicroPython prints it: device frames only, OSError named as OSError."""
    import traceback

    lines = ["Traceback (most recent call last):\n"]
    if isinstance(exc, SyntaxError):
        lines.append(f'  File "{exc.filename}", line {exc.lineno}\n')
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in device_files:
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n')
    name = "OSError" if isinstance(exc, OSError) else type(exc).__name__
    if isinstance(exc, OSError) and exc.errno is not None:
        msg = f"[Errno {exc.errno}] {_ERRNO_NAMES.get(exc.errno, exc.errno)}"
    elif isinstance(exc, SyntaxError):
        msg = exc.msg
    else:
        msg = ", ".join(str(a) for a in exc.args) if len(exc.args) != 1 else str(exc.args[0])
    lines.append(f"{name}: {msg}\n" if msg or isinstance(exc, KeyboardInterrupt) else f"{name}\n")
    return "".join(lines)
