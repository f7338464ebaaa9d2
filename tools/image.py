# image: a littlefs image of a terminal's whole file system, for flashing many with esptool.
# SPDX-License-Identifier: MIT
"""``python -m tools image --out vfs.bin [--bundle t7.json] [--from DIR] [--blocks N]``

Geometry as ESP32 MicroPython mounts its ``vfs`` partition (``vfs.VfsLfs2`` with readsize=32,
progsize=32, lookahead=32 on 4096-byte blocks, so a cache of 4 x 32 = 128 bytes and files up to
128 bytes inlined in their directory, ``extmod/vfs_lfsx.c``), littlefs on-disk version 2.0 so
every littlefs v2 reader mounts it. Default size: the ``vfs`` partition of
``tools/partitions.csv`` (512 KiB = 128 blocks). Without ``--from`` the tree is this checkout's
firmware (compiled, as deploy sends it) plus ``/data``; with ``--bundle`` also that terminal's
``config.json`` and ``secrets.json`` (then the image holds secrets: it is written with mode
0600), and next to it ``<out>.hlog``, the raw ``hlog`` partition (1.75 MiB, erased) with K0
installed as the log's key: K0 never goes into the littlefs image, whose stale blocks would keep
it (docs/log.md). Flash them with ``python -m tools flash --vfs vfs.bin --hlog vfs.bin.hlog``
(or esptool at the offsets of the partition table).
"""

from __future__ import annotations

import json
import os
import pathlib
import posixpath
from typing import Any

import littlefs

from tools import parttable, ui
from tools.errors import HadirError

BLOCK_SIZE = 4096
DISK_VERSION = 0x00020000  # littlefs 2.0


def geometry(blocks: int) -> dict[str, int]:
    return {"block_size": BLOCK_SIZE, "block_count": blocks, "read_size": 32, "prog_size": 32,
            "lookahead_size": 32, "cache_size": 128, "name_max": 255,
            "disk_version": DISK_VERSION}  # fmt: skip


def vfs_blocks() -> int:
    """Blocks of the ``vfs`` partition in ``tools/partitions.csv``."""
    return parttable.by_label(parttable.hadir(), "vfs").size // BLOCK_SIZE


def tree_of(folder: pathlib.Path) -> tuple[dict[str, bytes], list[str]]:
    """Files and (also empty) directories of a host folder, as device paths. A folder that is
    not there is refused (an empty image of a mistyped path would flash a blank terminal)."""
    if not folder.is_dir():
        raise HadirError("folder tidak ada", "no such folder", str(folder))
    files: dict[str, bytes] = {}
    dirs: list[str] = []
    for path in sorted(folder.rglob("*")):
        dev = "/" + path.relative_to(folder).as_posix()
        if path.is_dir():
            dirs.append(dev)
        elif path.is_file():
            files[dev] = path.read_bytes()
    return files, dirs


def build_image(files: dict[str, bytes], dirs: list[str], blocks: int) -> bytes:
    fs = littlefs.LittleFS(**geometry(blocks))
    wanted = set(dirs) | {posixpath.dirname(p) for p in files}
    try:
        for d in sorted(wanted):
            if d != "/":
                fs.makedirs(d, exist_ok=True)
        for path in sorted(files):
            with fs.open(path, "wb") as f:
                f.write(files[path])
    except littlefs.LittleFSError as exc:
        raise HadirError("image penuh", "image too small", f"{exc}; try --blocks") from None
    return bytes(fs.context.buffer)


def read_image(data: bytes, blocks: int) -> tuple[dict[str, bytes], list[str]]:
    """Mount an image and list it (what the tests check against the device tree)."""
    ctx = littlefs.UserContext(len(data))
    ctx.buffer[:] = data
    # Mounted at littlefs-python's own (newest) on-disk version: the ESP32's first write
    # upgrades an image from 2.0 to 2.1, and a reader pinned to 2.0 refuses that (LFS_ERR_INVAL).
    shape = {k: v for k, v in geometry(blocks).items() if k != "disk_version"}
    fs = littlefs.LittleFS(context=ctx, mount=False, **shape)
    fs.mount()
    files: dict[str, bytes] = {}
    dirs: list[str] = []
    for top, dnames, fnames in fs.walk("/"):
        for d in dnames:
            dirs.append(posixpath.join(top, d))
        for name in fnames:
            path = posixpath.join(top, name)
            with fs.open(path, "rb") as f:
                files[path] = f.read()
    return files, sorted(dirs)


def do_image(state: Any, args: Any) -> int:
    from tools import deploy, provision

    if args.tree:
        files, dirs = tree_of(pathlib.Path(args.tree))
    else:
        files = deploy.release(compile_mpy=not args.source)
        dirs = ["/data"]
        if args.bundle:
            bundle = provision.load_bundle(pathlib.Path(args.bundle))
            config = provision.make_config(bundle, args.wifi_ssid)
            files["/config.json"] = json.dumps(config).encode()
            files["/secrets.json"] = json.dumps(provision.make_secrets(bundle, "")).encode()
    blocks = args.blocks or vfs_blocks()
    image = build_image(files, dirs, blocks)
    # The log image first: if the terminal code it runs cannot load, nothing is written (never
    # an image with secrets and no log beside it).
    log = hlog_bytes(bundle) if args.bundle and not args.tree else None
    size = sum(map(len, files.values()))
    if args.dry_run:
        ui.console.print(f"dry-run: {len(files)} files, {size} B, {blocks} blocks; "
                         "tidak ada yang ditulis / nothing written")  # fmt: skip
        return 0
    out = pathlib.Path(args.out)
    secret = "/secrets.json" in files
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(image)
    note = " (rahasia / secret, 0600)" if secret else ""
    if log is not None:
        hlog = out.with_name(out.name + ".hlog")
        _write_secret(hlog, log)
        note += f"; log {hlog} (K0, 0600)"
    ui.console.print(f"[green]image[/] {out}: {len(files)} berkas / files, {size} B in "
                     f"{blocks} x {BLOCK_SIZE} B, littlefs v2.0{note}")  # fmt: skip
    return 0


class RawPartition:
    """The raw ``hlog`` partition as the chip will hold it, in RAM, behind the three
    ``esp32.Partition`` calls the log makes (``readblocks``, ``writeblocks``, ``ioctl``).

    Written as NOR flash behaves, so the image is byte for byte what the terminal's own log would
    leave: programming only clears bits (stored = old & new), ``ioctl(6, block)`` erases a 4 KB
    block to 0xFF, ``writeblocks`` without an offset erases first (MicroPython's
    ``ports/esp32/esp32_partition.c``)."""

    def __init__(self, blocks: int) -> None:
        self.blocks = blocks
        self.data = bytearray(b"\xff" * (blocks * BLOCK_SIZE))

    def _at(self, block: int, offset: int, n: int) -> int:
        addr = block * BLOCK_SIZE + offset
        if block < 0 or offset < 0 or addr + n > len(self.data):
            raise OSError(22, "EINVAL")
        return addr

    def readblocks(self, block: int, buf: Any, offset: int = 0) -> None:
        addr = self._at(block, offset, len(buf))
        buf[:] = self.data[addr : addr + len(buf)]

    def writeblocks(self, block: int, buf: Any, offset: int | None = None) -> None:
        if offset is None:
            for b in range(block, block + -(-len(buf) // BLOCK_SIZE)):
                self.ioctl(6, b)
            offset = 0
        addr = self._at(block, offset, len(buf))
        old = self.data[addr : addr + len(buf)]
        self.data[addr : addr + len(buf)] = bytes(a & b for a, b in zip(old, bytes(buf)))

    def ioctl(self, op: int, arg: int) -> int | None:
        if op == 4:
            return self.blocks
        if op == 5:
            return BLOCK_SIZE
        if op == 6:
            addr = self._at(arg, 0, BLOCK_SIZE)
            self.data[addr : addr + BLOCK_SIZE] = b"\xff" * BLOCK_SIZE
            return 0
        return 0 if 1 <= op <= 3 else None


def hlog_bytes(bundle: dict[str, Any], blocks: int = 448) -> bytes:
    """The raw ``hlog`` partition, erased, with K0 as its log's key (``Log.install_key``), as
    provisioning leaves it (tools/device/logkey.py)."""
    import tempfile

    from firmware.log import Log

    part = RawPartition(blocks)
    with tempfile.TemporaryDirectory() as state:
        Log(part, state, bundle["terminal_id"]).install_key(bytes.fromhex(bundle["k0"]))
    return bytes(part.data)


def hlog_image(path: pathlib.Path, bundle: dict[str, Any], blocks: int = 448) -> None:
    """``hlog_bytes`` written with mode 0600 (it holds K0)."""
    _write_secret(path, hlog_bytes(bundle, blocks))


def _write_secret(path: pathlib.Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
