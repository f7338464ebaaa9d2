# flashfile: the terminal's raw "hlog" partition kept in a host file (image, device double).
# SPDX-License-Identifier: MIT
"""A NOR flash with the ``esp32.Partition`` block API, memory-mapped on a host file: ``tools
image`` writes the partition image a technician flashes with it (K0 installed by the log's own
code), and the device double (``tools/sim/device``) keeps a simulated terminal's log in one
across being unplugged and replugged.

Programming can only clear bits (stored = old & new); ``ioctl(6, block)`` erases a block to 0xFF,
as on the ESP32's SPI flash. Same API as ``tools/sim/flash/__init__.py`` (stream ``log``).
"""

from __future__ import annotations

import mmap
import os
import pathlib

BLOCKS = 448  # 1.75 MiB: the hlog partition of docs/protocol.md
BLOCK_SIZE = 4096


class FileFlash:
    def __init__(self, path: str | os.PathLike[str], blocks: int = BLOCKS,
                 block_size: int = BLOCK_SIZE) -> None:  # fmt: skip
        self.path = pathlib.Path(path)
        self.blocks = blocks
        self.block_size = block_size
        size = blocks * block_size
        if not self.path.exists() or self.path.stat().st_size != size:
            self.path.write_bytes(b"\xff" * size)
        self._file = open(self.path, "r+b")  # noqa: SIM115 - closed by close()
        self._map = mmap.mmap(self._file.fileno(), size)
        self.erases = 0
        self.programmed_bytes = 0
        self.prog_ops = 0

    def _span(self, block: int, offset: int, n: int) -> int:
        start = block * self.block_size + offset
        if block < 0 or offset < 0 or start + n > self.blocks * self.block_size:
            raise OSError(22, "EINVAL")
        return start

    def readblocks(self, block: int, buf, offset: int = 0) -> None:
        start = self._span(block, offset, len(buf))
        buf[:] = self._map[start : start + len(buf)]

    def writeblocks(self, block: int, buf, offset: int = 0) -> None:
        data = bytes(buf)
        start = self._span(block, offset, len(data))
        old = self._map[start : start + len(data)]
        self._map[start : start + len(data)] = bytes(a & b for a, b in zip(old, data))
        self.programmed_bytes += len(data)
        self.prog_ops += 1

    def ioctl(self, op: int, arg: int) -> int | None:
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        if op == 6:
            start = self._span(arg, 0, self.block_size)
            self._map[start : start + self.block_size] = b"\xff" * self.block_size
            self.erases += 1
            return 0
        return None  # 1 init, 2 deinit, 3 sync: nothing to do on a mapped file

    def close(self) -> None:
        self._map.flush()
        self._map.close()
        self._file.close()
