# migrate: a terminal on an older hadir table moved to today's, its log and files carried over.
# SPDX-License-Identifier: MIT
"""``tools flash`` calls this when the chip carries a table of ``parttable.OLDER`` (or a foreign
table over an older hadir log). The steps, each safe to cut:

1. the old ``hlog`` and ``vfs`` ranges are read whole and saved on the laptop in a backup folder
   of their own (``build/flash-backup/<chip>/`` or ``--backup DIR/<chip>/``, mode 0700, files
   0600: the vfs holds the terminal's secrets, hlog its log key); ``migration.json`` is written
   last, state ``saved``, once the files are on disk and read back equal;
2. the new ``vfs`` is built from the old one's tree (littlefs-python, the board's geometry, the
   new block count) and checked against it file by file;
3. ``tools flash`` writes the app, the ``hlog`` bytes unchanged at the new offset (the log
   addresses its sectors relative to its partition, ``firmware/log``, and keeps the same 448
   sectors) and the new ``vfs``, then the new table last; it verifies both ranges on the chip by
   hash and marks the backup ``done``.

A cut after step 1 (cable, power, laptop) leaves the backup ``saved``; the same command run
again finds it by the chip's identity. Old table still there: the move is done again from the
backup, never from the half-written chip. New table there: every range was written before it,
so the chip is only checked against the backup; a log that differs is newer (the terminal ran
since) and is kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import pathlib
import re
import time
from dataclasses import dataclass

from tools import image, parttable
from tools.errors import HadirError

DEFAULT_ROOT = pathlib.Path(__file__).resolve().parent.parent / "build" / "flash-backup"
_STATE = "migration.json"
_KEY_REC = 40  # firmware/log/keys.py: b"HK" | epoch u32 | key 32 | CRC-16
_KEY_RECS = 102  # records per sector
SECTOR = 0x1000


@dataclass
class Move:
    """What goes to the new layout: the old ``hlog`` bytes as they were, the new ``vfs`` image
    (None: the old one held no littlefs, MicroPython formats the partition at boot), and where
    they came from."""

    hlog: bytes
    vfs: bytes | None
    source: str  # the old layout, for the technician: "hlog 0x200000, vfs 0x3c0000"
    files: int  # files carried into the new vfs


def hadir_log(head: bytes) -> bool:
    """The first 12 KiB of a range hold a hadir log: a key record (``HK`` with a valid CRC) in
    one of the two key sectors, or a ring sector header (``HLS1``) in block 2 (docs/log.md)."""
    from firmware.log.layout import crc_ok

    for s in (0, 1):
        for i in range(_KEY_RECS):
            at = s * SECTOR + i * _KEY_REC
            rec = bytearray(head[at : at + _KEY_REC])
            if rec[:2] == b"HK" and crc_ok(rec, _KEY_REC - 2):
                return True
    return head[2 * SECTOR : 2 * SECTOR + 4] == b"HLS1"


def carried_vfs(old: bytes, blocks: int) -> tuple[bytes | None, int]:
    """The old vfs's tree in a new littlefs of ``blocks`` blocks, read back and compared file by
    file; (None, 0) when the old range holds no littlefs (erased, or never formatted)."""
    if old.count(0xFF) == len(old):
        return None, 0
    try:
        files, dirs = image.read_image(old, len(old) // image.BLOCK_SIZE)
    except Exception as exc:  # littlefs-python raises its own errors for a range it cannot mount
        raise HadirError(
            "vfs lama tidak terbaca",
            "the old vfs does not mount",
            f"{exc}; cadangan / backup kept, nothing written",
        ) from None
    new = image.build_image(files, dirs, blocks)
    if image.read_image(new, blocks) != (files, dirs):
        raise HadirError("vfs baru berbeda", "the new vfs differs from the old", "nothing written")
    return new, len(files)


def backup_folder(root: str | None, ident: str) -> pathlib.Path:
    return (pathlib.Path(root) if root else DEFAULT_ROOT) / re.sub(r"[^\w.-]", "_", ident)


class Backup:
    """The backup folder of one chip: ``table.bin``, ``hlog.bin``, ``vfs.bin``, then
    ``migration.json`` (state ``saved``, later ``done``) with their SHA-256 and the layout."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder

    def state(self) -> dict | None:
        try:
            return json.loads((self.folder / _STATE).read_text())
        except (OSError, ValueError):
            return None

    def pending(self) -> bool:
        st = self.state()
        return st is not None and st.get("state") == "saved"

    def save(self, table: bytes, hlog: bytes, vfs: bytes, old: list[parttable.Part]) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        blobs = {"table.bin": table, "hlog.bin": hlog, "vfs.bin": vfs}
        for name, data in blobs.items():
            _write(self.folder / name, data)
        for name, data in blobs.items():  # read back before the chip is touched
            if (self.folder / name).read_bytes() != data:
                raise HadirError("cadangan rusak", "backup did not read back", str(self.folder))
        state = {
            "state": "saved",
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "from": [[p.label, p.type, p.subtype, p.offset, p.size] for p in old],
            "sha256": {n: hashlib.sha256(d).hexdigest() for n, d in blobs.items()},
        }
        _write(self.folder / _STATE, json.dumps(state, indent=1).encode())

    def load(self) -> tuple[bytes, bytes, list[parttable.Part]]:
        """(hlog, vfs, old layout) of a saved backup, each file checked against its hash."""
        st = self.state() or {}
        out = {}
        for name in ("hlog.bin", "vfs.bin"):
            data = (self.folder / name).read_bytes()
            if hashlib.sha256(data).hexdigest() != st["sha256"][name]:
                raise HadirError("cadangan rusak", "backup damaged", f"{self.folder / name}")
            out[name] = data
        old = [parttable.Part(*row) for row in st["from"]]
        return out["hlog.bin"], out["vfs.bin"], old

    def done(self) -> None:
        st = self.state() or {}
        st["state"] = "done"
        st["done_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _write(self.folder / _STATE, json.dumps(st, indent=1).encode())


def move(hlog: bytes, vfs: bytes, old: list[parttable.Part]) -> Move:
    """The ``Move`` of an old layout's ``hlog`` and ``vfs`` bytes to ``parttable.hadir()``."""
    new = parttable.hadir()
    log, fs = parttable.by_label(new, "hlog"), parttable.by_label(new, "vfs")
    was_log, was_fs = parttable.by_label(old, "hlog"), parttable.by_label(old, "vfs")
    if len(hlog) != log.size:  # the ring's sector count is its capacity: moved as it is
        raise HadirError("ukuran hlog berbeda", "hlog of another size",
                         f"{len(hlog)} B, need {log.size} B")  # fmt: skip
    data, files = carried_vfs(vfs, fs.size // image.BLOCK_SIZE)
    where = (f"hlog 0x{was_log.offset:x} -> 0x{log.offset:x}, "
             f"vfs 0x{was_fs.offset:x} -> 0x{fs.offset:x}")  # fmt: skip
    return Move(hlog, data, where, files)


def _write(path: pathlib.Path, data: bytes) -> None:
    """Whole or not at all, mode 0600, on disk before the next step (fsync)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
