# doctor's files row on a real littlefs: MicroPython's statvfs counts each directory twice.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 128k: a 16-block (64 KiB) littlefs in RAM and the health snippet
from tests.kit.mpytest import IS_MICROPYTHON, skip

BLOCKS = 16
MOUNT = "/zz_lfs"


class RamBlocks:
    """A block device in RAM with the block protocol VfsLfs2 uses (readblocks/writeblocks with
    an offset, ioctl 4 count, 5 size, 6 erase)."""

    def __init__(self, n):
        self.data = bytearray(n * 4096)  # erased below, without a second 64 KiB temporary
        for b in range(n):
            self.ioctl(6, b)

    def readblocks(self, block, buf, off=0):
        at = block * 4096 + off
        for i in range(len(buf)):
            buf[i] = self.data[at + i]

    def writeblocks(self, block, buf, off=0):
        at = block * 4096 + off
        for i in range(len(buf)):
            self.data[at + i] = buf[i]

    def ioctl(self, op, arg):
        if op == 4:
            return BLOCKS
        if op == 5:
            return 4096
        if op == 6:
            at = arg * 4096
            for i in range(4096):
                self.data[at + i] = 0xFF
        return 0


def _mounted():
    if not IS_MICROPYTHON:
        skip("CPython: the double's statvfs stands in for it (tests/tools/test_doctor_pull.py)")
    import vfs

    if not hasattr(vfs, "VfsLfs2"):
        skip("this MicroPython port has no littlefs")
    dev = RamBlocks(BLOCKS)
    vfs.VfsLfs2.mkfs(dev, readsize=32, progsize=32, lookahead=32)
    vfs.mount(vfs.VfsLfs2(dev, readsize=32, progsize=32, lookahead=32), MOUNT)


def test_each_directory_costs_its_two_blocks_once_and_used_never_passes_the_size():
    import os

    from tools.device import health

    _mounted()
    try:
        empty = health.fs_room(MOUNT)
        assert empty["total"] == BLOCKS * 4096
        for path in ("/a", "/a/b", "/a/b/c", "/d", "/e"):  # a metadata pair (2 blocks) each
            os.mkdir(MOUNT + path)
        room = health.fs_room(MOUNT)
        assert empty["free"] - room["free"] == 5 * 2 * 4096
        raw = os.statvfs(MOUNT)  # what the board reports: each pair counted twice
        assert raw[3] == room["free"] // 4096 - 5 * 2
        assert room["free"] <= room["total"]
    finally:
        import vfs

        vfs.umount(MOUNT)
