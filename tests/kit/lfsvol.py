# lfsvol: a real littlefs volume for device tests, MicroPython's own VfsLfs2 on a host file.
# SPDX-License-Identifier: MIT
"""``mount(blocks)`` -> the mount point of a fresh littlefs of ``blocks`` 4 KiB blocks, formatted
and mounted by the port's own ``vfs.VfsLfs2`` with ESP32 MicroPython's geometry (readsize,
progsize and lookahead 32, as ports/esp32's ``vfs`` partition is mounted by
``extmod/vfs_lfsx.c``'s defaults); its statvfs and its ENOSPC are littlefs's own. The blocks
live in a host file, not on the heap. None where the port has no VfsLfs2 (the WebAssembly
port) and on CPython (tests there use ``tools/sim/device/runtime.Budget`` or littlefs-python).
``umount(point)`` takes it down.
"""

import os
import sys

_BLOCK = 4096
_n = [0]


class FileBlocks:
    """The block device protocol ``vfs.VfsLfs2`` calls (MicroPython docs, "Block devices",
    extended interface): ``readblocks(n, buf, off)``, ``writeblocks(n, buf, off)`` (littlefs
    erases first: ioctl 6), ``ioctl(4)`` = block count, ``ioctl(5)`` = block size."""

    def __init__(self, path, blocks):
        self.blocks = blocks
        self.f = open(path, "w+b")
        chunk = b"\xff" * _BLOCK
        for _ in range(blocks):
            self.f.write(chunk)
        self.f.flush()

    def readblocks(self, n, buf, off=0):
        self.f.seek(n * _BLOCK + off)
        self.f.readinto(buf)

    def writeblocks(self, n, buf, off=0):
        self.f.seek(n * _BLOCK + off)
        self.f.write(buf)

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return _BLOCK
        if op == 6:  # erase: littlefs programs only erased blocks; a file has no such need
            return 0
        return None

    def close(self):
        self.f.close()


def mount(blocks, scratch="/tmp"):
    if sys.implementation.name != "micropython":
        return None
    try:
        import vfs

        lfs = vfs.VfsLfs2
    except (ImportError, AttributeError):
        return None
    _n[0] += 1
    point = "/lfs%d" % _n[0]
    dev = FileBlocks("%s/hadir-lfs%d.img" % (scratch, _n[0]), blocks)
    lfs.mkfs(dev, readsize=32, progsize=32, lookahead=32)
    vfs.mount(lfs(dev, readsize=32, progsize=32, lookahead=32), point)
    return point


def umount(point):
    import vfs

    vfs.umount(point)
    try:
        os.remove("/tmp/hadir-" + point.lstrip("/") + ".img")
    except OSError:
        pass
