# flash: MicroPython onto an ESP32 with hadir's partition table, never the stock one, over esptool.
# SPDX-License-Identifier: MIT
"""``python -m tools flash --firmware ESP32_GENERIC-v1.25.0.bin [--vfs vfs.bin] [--hlog F]``

The official MicroPython download is a merged image for 0x1000: bootloader (file offset 0,
flash 0x1000), the stock partition table (file 0x7000, flash 0x8000) and the app (file 0xF000,
flash 0x10000). Flashing it whole brings back the stock table, whose 2 MiB ``vfs`` starts on
the log's key sector (docs/log.md). So the image is taken apart: its bootloader and app are
checked (``esptool image-info``: checksum and SHA-256 valid, chip ESP32, MicroPython >= 1.23),
and written with hadir's table (``tools/partitions.csv`` -> ``tools.parttable``) instead.

What happens to the data partitions depends on what the chip holds, read first (the table at
0x8000 and the first 12 KiB of the ``hlog`` range):

- hadir's table already there (a re-flash, e.g. a new MicroPython version): ``hlog`` and
  ``vfs`` are kept -- the log's unsynced records survive the update;
- another table: ``vfs`` is erased (MicroPython formats it at first boot) unless ``--vfs`` is
  given; ``hlog`` is erased only when it holds stock MicroPython's littlefs (the stock ``vfs``
  starts there), and kept when it holds anything else -- a hadir log found under a stock
  table (someone flashed a stock image over a terminal) is kept, never destroyed;
- ``--vfs FILE`` (from ``tools image``) and ``--hlog FILE`` are written; ``--erase-log``
  erases the log (its unsynced records are lost: ``pull`` first).

``--table-out FILE`` writes the table's binary, exactly as flashed at 0x8000, and needs no
device; ``--image-out FILE`` applies the same plan to a flash image file instead of a chip
(an existing file is the chip's current flash), as esptool would: each written range is
erased in whole 4 KiB sectors first.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any

from tools import migrate, parttable, ui
from tools.errors import HadirError
from tools.link import MIN_VERSION

BASE = 0x1000  # the merged image starts at this flash address
BOOTLOADER = (0x0, 0x7000)  # file range of the bootloader in the merged image
APP_AT = 0xF000  # file offset of the app (flash 0x10000)
FLASH_SIZE = 4 * 1024 * 1024
SECTOR = 0x1000
HEAD = 3 * SECTOR  # of the hlog range, read before flashing: key store and the first ring sector
_VERSION = re.compile(rb"MicroPython v(\d+)\.(\d+)\.(\d+)[^\x00\s;]* on (\d{4}-\d{2}-\d{2})")
_LFS_MAGIC = b"littlefs"


def bad_firmware(detail: str) -> HadirError:
    return HadirError("firmware tidak sah", "not a usable MicroPython firmware", detail)


@dataclass
class Firmware:
    path: pathlib.Path
    bootloader: bytes
    app: bytes
    version: tuple[int, int, int]
    built: str

    @property
    def name(self) -> str:
        return "MicroPython v%d.%d.%d (%s)" % (*self.version, self.built)


def image_length(data: bytes, at: int = 0) -> int:
    """Length of the ESP32 app/bootloader image at ``data[at:]``: header, segments, checksum
    (padded to 16 bytes), and the appended SHA-256 when the header says so (ESP-IDF's
    esp_app_format.h)."""
    if data[at : at + 1] != b"\xe9":
        raise bad_firmware(f"no ESP32 image at file offset 0x{at:x}")
    segments = data[at + 1]
    pos = at + 24  # 8-byte header + 16-byte extended header
    for _ in range(segments):
        if pos + 8 > len(data):
            raise bad_firmware("image truncated")
        pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "little")
    pos += 1  # the checksum byte
    pos += -(pos - at) % 16
    if data[at + 23]:  # hash_appended
        pos += 32
    if pos > len(data):
        raise bad_firmware("image truncated")
    return pos - at


def image_info(data: bytes) -> str:
    """``esptool image-info`` of one image; a checksum or hash that is not valid is refused."""
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "part.bin"
        path.write_bytes(data)
        r = esptool("--chip", "esp32", "image-info", str(path), capture=True)
    text = r.stdout + r.stderr
    if r.returncode or "(invalid)" in text or "Checksum:" not in text:
        raise bad_firmware("esptool image-info: " + (text.strip().splitlines() or ["?"])[-1])
    if "Chip ID: 0 (ESP32)" not in text:
        raise bad_firmware("bukan untuk ESP32 / not built for the ESP32")
    return text


def load_firmware(path: pathlib.Path) -> Firmware:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise bad_firmware(f"{path}: {exc}") from None
    if data[0x7000:0x7002] != b"\xaa\x50" or len(data) <= APP_AT:
        raise bad_firmware(
            f"{path.name}: not a merged image for 0x1000 (ESP32_GENERIC-*.bin of micropython.org)"
        )
    boot = data[BOOTLOADER[0] : BOOTLOADER[0] + image_length(data, 0)]
    app = data[APP_AT : APP_AT + image_length(data, APP_AT)]
    image_info(boot)
    image_info(app)
    m = _VERSION.search(app)
    if m is None:
        raise bad_firmware(f"{path.name}: no MicroPython version string in the app")
    version = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if version < MIN_VERSION:
        need = ".".join(map(str, MIN_VERSION))
        raise HadirError(
            "versi MicroPython salah",
            "wrong MicroPython version",
            f"{'.'.join(map(str, version))}; perlu / need >= {need}",
        )
    factory = parttable.by_label(parttable.hadir(), "factory")
    if len(app) > factory.size:
        raise bad_firmware(f"app {len(app)} B > factory partition {factory.size} B")
    return Firmware(path, boot, app, version, m.group(4).decode())


@dataclass
class Plan:
    """What goes onto the chip: ``writes`` (flash offset, bytes, what), ``erases`` (offset,
    size, what) done before them, and lines to tell the technician."""

    writes: list[tuple[int, bytes, str]] = field(default_factory=list)
    erases: list[tuple[int, int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plan(fw: Firmware, table_now: bytes, hlog_head: bytes, vfs: bytes | None = None,
         hlog: bytes | None = None, erase_log: bool = False,
         moved: migrate.Move | None = None) -> Plan:  # fmt: skip
    """The flash plan for a chip whose 0x8000 holds ``table_now`` and whose ``hlog`` range starts
    with ``hlog_head`` (its first 12 KiB); ``moved``: the log and files of an older hadir layout
    (``tools.migrate``), written at their new places."""
    parts = parttable.hadir()
    table = parttable.to_binary(parts)
    log = parttable.by_label(parts, "hlog")
    fs = parttable.by_label(parts, "vfs")
    out = Plan()
    out.writes += [
        (BASE, fw.bootloader, "bootloader"),
        (parttable.OFFSET, table, "tabel partisi hadir / hadir's partition table"),
        (parttable.by_label(parts, "factory").offset, fw.app, fw.name),
    ]
    ours = table_now[: len(table)] == table
    if moved is not None:
        out.notes.append(f"pindah / moved: {moved.source}")
    if vfs is not None:
        if len(vfs) > fs.size:
            raise HadirError("image vfs terlalu besar", "vfs image too big", f"{len(vfs)} B")
        out.writes.append((fs.offset, vfs, "vfs (littlefs)"))
    elif moved is not None and moved.vfs is not None:
        out.writes.append((fs.offset, moved.vfs, f"vfs: {moved.files} berkas lama / old files"))
    elif ours:
        out.notes.append("vfs dipertahankan / vfs kept (config, secrets, firmware files)")
    else:
        out.erases.append((fs.offset, fs.size, "vfs"))
        out.notes.append("vfs dihapus, MicroPython memformatnya / vfs erased, formatted at boot")
    if hlog is not None:
        if len(hlog) != log.size:
            raise HadirError("image hlog salah ukuran", "hlog image of the wrong size",
                             f"{len(hlog)} B, need {log.size} B")  # fmt: skip
        out.writes.append((log.offset, hlog, "hlog (log dengan kunci / log with its key)"))
    elif erase_log:
        out.erases.append((log.offset, log.size, "hlog"))
        out.notes.append("[yellow]log dihapus / log erased (--erase-log)")
    elif moved is not None:
        out.writes.append((log.offset, moved.hlog, "hlog: log lama, utuh / the old log, whole"))
    elif not ours and not migrate.hadir_log(hlog_head):
        # A foreign table left its bytes there (stock MicroPython: its vfs overlaps hlog).
        out.erases.append((log.offset, log.size, "hlog"))
        out.notes.append(
            "littlefs stok di area hlog dihapus / stock littlefs in the hlog range erased"
            if stock_littlefs(hlog_head) or parttable.identify(table_now)[0] == "stock"
            else "area hlog tanpa log hadir dihapus / hlog range erased: no hadir log in it"
        )
    else:
        out.notes.append("hlog dipertahankan / hlog kept: catatan yang belum terkirim aman / "
                         "unsynced records are safe")  # fmt: skip
    return out


def stock_littlefs(head: bytes) -> bool:
    """The first 12 KiB of a range hold a littlefs superblock (in block 0 or 1)."""
    return _LFS_MAGIC in head[:64] or _LFS_MAGIC in head[SECTOR : SECTOR + 64]


def apply(p: Plan, image: bytearray) -> None:
    """The plan on a flash image, as esptool leaves a chip: erases, then each write erases
    the 4 KiB sectors it covers and programs its bytes; the table last (``Chip.carry_out``)."""
    for offset, size, _ in p.erases:
        image[offset : offset + size] = b"\xff" * size
    for offset, data, _ in sorted(p.writes, key=lambda w: w[0] == parttable.OFFSET):
        end = offset + len(data)
        top = end + (-end % SECTOR)
        image[offset:top] = b"\xff" * (top - offset)
        image[offset:end] = data


def esptool(*args: str, capture: bool = False) -> subprocess.CompletedProcess:
    """esptool (PyPI) in a process of its own, as the technician would run it."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "esptool", *args], capture_output=capture, text=True
        )
    except OSError as exc:
        raise HadirError(
            "esptool tidak dapat dijalankan", "esptool cannot run", str(exc)
        ) from None


class Chip:
    """The ESP32 in its ROM download mode, through esptool: read, erase, write, verify."""

    def __init__(self, port: str, baud: int) -> None:
        self.port = port
        self.baud = baud
        # A socket (the emulated ESP32) has no DTR/RTS: the chip is already in download mode.
        reset = ["--before", "no-reset", "--after", "no-reset"] if "://" in port else []
        self.base = ["--chip", "esp32", "--port", port, "--baud", str(baud), *reset]

    def _run(self, *args: str, capture: bool = False) -> subprocess.CompletedProcess:
        r = esptool(*self.base, *args, capture=capture)
        if r.returncode:
            raise HadirError("esptool gagal", "esptool failed", f"{args[0]} on {self.port}")
        return r

    def ident(self) -> str:
        """The chip's base MAC (esptool read-mac): names its migration backup."""
        r = self._run("read-mac", capture=True)
        m = re.search(r"MAC:\s*([0-9a-fA-F:]{17})", r.stdout)
        if m is None:
            raise HadirError("esptool gagal", "esptool failed", f"read-mac on {self.port}")
        return "mac-" + m.group(1).lower().replace(":", "")

    def read(self, offset: int, size: int) -> bytes:
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "read.bin"
            self._run("read-flash", hex(offset), hex(size), str(out))
            return out.read_bytes()

    def carry_out(self, p: Plan) -> None:
        """Erases, then every write but the table's, then the table (esptool writes one call's
        files in address order): a chip that shows hadir's table has all its data written."""
        for offset, size, _ in p.erases:
            self._run("erase-region", hex(offset), hex(size))
        with tempfile.TemporaryDirectory() as tmp:
            for batch in (
                [w for w in p.writes if w[0] != parttable.OFFSET],
                [w for w in p.writes if w[0] == parttable.OFFSET],
            ):
                args = []
                for offset, data, _ in batch:
                    path = pathlib.Path(tmp) / f"{offset:x}.bin"
                    path.write_bytes(data)
                    args += [hex(offset), str(path)]
                if args:
                    self._run("write-flash", *args)

    def holds(self, offset: int, data: bytes) -> bool:
        """The chip holds ``data`` at ``offset`` (esptool verify-flash: MD5 computed on the
        chip, no read-back over the cable)."""
        with tempfile.TemporaryDirectory() as tmp:
            path = pathlib.Path(tmp) / "want.bin"
            path.write_bytes(data)
            return esptool(*self.base, "verify-flash", hex(offset), str(path)).returncode == 0

    def done(self) -> str:
        return self.port


class ImageFile:
    """A flash image file in place of a chip (``--image-out``): an existing file is the chip's
    current flash; the plan is applied as esptool would and the file replaced whole, mode 0600
    when it holds a terminal's log or files."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.existed = path.exists()
        self.image = (
            bytearray(path.read_bytes()) if self.existed else bytearray(b"\xff" * FLASH_SIZE)
        )

    def ident(self) -> str:
        where = str(self.path.resolve()).encode()
        return f"image-{self.path.name}-{hashlib.sha256(where).hexdigest()[:8]}"

    def read(self, offset: int, size: int) -> bytes:
        return bytes(self.image[offset : offset + size])

    def carry_out(self, p: Plan) -> None:
        apply(p, self.image)
        secret = self.existed or any(
            o != BASE and o != parttable.OFFSET for o, _, _ in p.writes[3:]
        )
        _write_private(self.path, bytes(self.image), 0o600 if secret else 0o644)

    def holds(self, offset: int, data: bytes) -> bool:
        return self.path.read_bytes()[offset : offset + len(data)] == data

    def done(self) -> str:
        return f"{self.path}: {len(self.image)} B"


def fix_command(port: str | None = None) -> str:
    """The one command that fixes a missing or stock table (doctor and provision print it)."""
    where = f" --port {port}" if port else ""
    return f"python -m tools{where} flash --firmware ESP32_GENERIC-<version>.bin"


def _write_private(path: pathlib.Path, data: bytes, mode: int = 0o644) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def do_flash(state: Any, args: Any) -> int:
    if args.table_out:
        data = parttable.to_binary(parttable.hadir())
        _write_private(pathlib.Path(args.table_out), data)
        ui.console.print(f"[green]tabel partisi / partition table[/] {args.table_out}: "
                         f"{len(data)} B for 0x{parttable.OFFSET:x}")  # fmt: skip
        if not args.firmware:
            return 0
    if not args.firmware:
        raise HadirError("firmware diperlukan", "a firmware image is needed", "--firmware FILE")
    fw = load_firmware(pathlib.Path(args.firmware))
    ui.console.print(f"firmware: {fw.name}, app {len(fw.app)} B, image-info OK")
    vfs = pathlib.Path(args.vfs).read_bytes() if args.vfs else None
    hlog = pathlib.Path(args.hlog).read_bytes() if args.hlog else None
    target: Chip | ImageFile
    if args.image_out:
        target = ImageFile(pathlib.Path(args.image_out))
    else:
        port = getattr(args, "port", None) or state.port
        if not port:
            from tools.link import find_port

            port = find_port(None)
        target = Chip(port, args.baud)
    log = parttable.by_label(parttable.hadir(), "hlog")
    table_now = target.read(parttable.OFFSET, parttable.TABLE_LEN)
    backup, moved = _older_layout(target, table_now, getattr(args, "backup", None), args.dry_run)
    p = plan(fw, table_now, target.read(log.offset, HEAD), vfs, hlog, args.erase_log, moved)
    _show(p)
    if args.dry_run:
        return _dry()
    target.carry_out(p)
    if moved is not None and backup is not None:
        for offset, data, what in p.writes[3:]:
            if not target.holds(offset, data):
                raise HadirError("verifikasi gagal", "verify failed",
                                 f"{what} at 0x{offset:x}; jalankan lagi / run again")  # fmt: skip
        backup.done()
        ui.console.print(f"[green]dipindah & diverifikasi / moved and verified[/]; cadangan / "
                         f"backup {backup.folder} (hapus setelah sinkron / delete once "
                         "synced)")  # fmt: skip
    ui.console.print(f"[green]selesai / done[/]: {fw.name} on {target.done()}; next: "
                     "python -m tools provision … (docs/tools.md)")  # fmt: skip
    return 0


def _older_layout(target: Chip | ImageFile, table_now: bytes, root: str | None,
                  dry_run: bool) -> tuple[migrate.Backup | None, migrate.Move | None]:  # fmt: skip
    """The backup and the move when the chip carries an older hadir layout, or a foreign table
    over an older hadir log, or when an earlier run of this command was cut mid-move."""
    kind, _ = parttable.identify(table_now)
    if kind == "current" and root is None and not migrate.DEFAULT_ROOT.exists():
        return None, None  # the common re-flash: nothing was ever moved on this laptop
    backup = migrate.Backup(migrate.backup_folder(root, target.ident()))
    if backup.pending() and kind != "current":
        # cut before the table was written (it goes last): the chip's ranges may be torn
        ui.console.print(f"[yellow]migrasi terputus, diselesaikan dari cadangan / an interrupted "
                         f"move is completed from the backup[/] {backup.folder}")  # fmt: skip
        return backup, migrate.move(*backup.load())
    if backup.pending():  # the table went last, so the data was written; cut before the check
        moved = migrate.move(*backup.load())
        fs = parttable.by_label(parttable.hadir(), "vfs")
        log = parttable.by_label(parttable.hadir(), "hlog")
        if target.holds(log.offset, moved.hlog) and (
            moved.vfs is None or target.holds(fs.offset, moved.vfs)
        ):
            note = "pindah sudah selesai, diverifikasi / the move had finished: verified"
        else:  # the terminal has run since: its log is newer than the backup, never overwrite
            note = "cadangan lama diabaikan / an older backup ignored: the terminal ran since"
        backup.done()
        ui.console.print(f"[yellow]{note}[/] {backup.folder}")
        return None, None
    old = None
    if kind == "older":
        old = parttable.OLDER[parttable.digest(table_now) or ""]
    elif kind != "current":  # a foreign table flashed over a terminal of an older layout
        for parts in parttable.OLDER.values():
            was = parttable.by_label(parts, "hlog")
            here = parttable.by_label(parttable.hadir(), "hlog")
            if migrate.hadir_log(target.read(was.offset, HEAD)) and not migrate.hadir_log(
                target.read(here.offset, HEAD)
            ):
                old = parts
                break
    if old is None:
        return None, None
    was_log, was_fs = parttable.by_label(old, "hlog"), parttable.by_label(old, "vfs")
    hlog = target.read(was_log.offset, was_log.size)
    vfs = target.read(was_fs.offset, was_fs.size)
    moved = migrate.move(hlog, vfs, old)  # refuses a vfs that does not mount: nothing written
    if dry_run:
        return None, moved
    backup.save(table_now, hlog, vfs, old)
    ui.console.print(f"cadangan / backup: {backup.folder} (hlog, vfs, table; 0600)")
    return backup, moved


def _show(p: Plan) -> None:
    for offset, data, what in p.writes:
        ui.console.print(f"  tulis / write 0x{offset:06x} {len(data):>8} B  {what}")
    for offset, size, what in p.erases:
        ui.console.print(f"  hapus / erase 0x{offset:06x} {size:>8} B  {what}")
    for note in p.notes:
        ui.console.print(f"  {note}")


def _dry() -> int:
    ui.console.print("dry-run: tidak ada yang ditulis / nothing written")
    return 0
