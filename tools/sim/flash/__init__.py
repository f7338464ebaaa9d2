# norflash: a NOR flash partition with the esp32.Partition block API, power cuts and counters.
# SPDX-License-Identifier: MIT
"""An in-memory SPI NOR flash shaped like ``esp32.Partition``, for tests and benchmarks.

Runs on CPython and MicroPython (the device test runner loads it into the WebAssembly port).

=====================================  ==========================================================
call                                   what the flash does
=====================================  ==========================================================
``readblocks(block, buf, offset=0)``   copies ``len(buf)`` bytes from ``block * size + offset``
``writeblocks(block, buf, offset)``    *program*: stored = old & new (bits only go 1 -> 0)
``writeblocks(block, buf)``            no offset: erase the blocks covered, then program, as
                                       ``esp32.Partition`` does for the simple block protocol
``ioctl(4, 0)`` / ``ioctl(5, 0)``      block count / block size
``ioctl(6, block)``                    erase that block to 0xFF
=====================================  ==========================================================

Counters: ``erases``, ``prog_ops``, ``programmed_bytes``, ``pages`` (256-byte program pages
touched, what the program time depends on), ``read_ops``.

Power cuts: ``cut_at = k`` makes the k-th program or erase from creation (``ops`` counts them,
1-based) tear: a program stores only its first ``tear`` fraction of bytes plus some bits of the
next byte, an erase resets only the first ``tear`` fraction of the block (with ``scatter``:
random bits of the whole range instead, as a real cell array may be left); then the flash is
unpowered and every call raises ``PowerCut`` until ``power_on()``. ``journal = []`` records
every program and erase as ``(addr, data)`` / ``(block, None)`` so a test can replay any prefix
(``apply``) on a copy of the starting image, together with other media cut at the same moment.
"""

import sys

_FAST_COPY = sys.implementation.name != "micropython"
_PAGE = 256  # SPI NOR page program unit (W25Q32JV datasheet, 8.2.15 Page Program)


class PowerCut(Exception):
    """The simulated supply failed: the flash did (part of) one operation and nothing after."""


class NorFlash:
    def __init__(self, blocks=448, block_size=4096, image=None):
        self.blocks = blocks
        self.block_size = block_size
        size = blocks * block_size
        if image is not None:
            if len(image) != size:
                raise ValueError("image size does not match the geometry")
            self.mem = bytearray(image)
        else:
            self.mem = bytearray(b"\xff" * size)
        self._ff = b"\xff" * block_size
        self.erases = 0
        self.prog_ops = 0
        self.programmed_bytes = 0
        self.pages = 0
        self.read_ops = 0
        self.ops = 0  # programs + erases since creation: what cut_at counts
        self.cut_at = 0  # 0: never cut
        self.tear = 0.5
        self.scatter = False  # True: a torn operation hits random bits of the whole range
        self.powered = True
        self.journal = None

    # --- esp32.Partition block API -------------------------------------------------------------

    def readblocks(self, block, buf, offset=0):
        self._check_power()
        addr = self._addr(block, offset, len(buf))
        self.read_ops += 1
        if _FAST_COPY:
            buf[:] = self.mem[addr : addr + len(buf)]
        else:  # MicroPython: a loop allocates nothing, so the log's RAM can be measured
            mem = self.mem
            for i in range(len(buf)):
                buf[i] = mem[addr + i]

    def writeblocks(self, block, buf, offset=None):
        self._check_power()
        if offset is None:  # simple block protocol: the partition erases first
            n = (len(buf) + self.block_size - 1) // self.block_size
            for b in range(block, block + n):
                self.ioctl(6, b)
            offset = 0
        addr = self._addr(block, offset, len(buf))
        self.ops += 1
        if self.journal is not None:
            self.journal.append((addr, bytes(buf)))
        if self.ops == self.cut_at:
            if self.scatter:
                self._scatter_program(addr, buf, self.ops)
            else:
                self._program(addr, buf, int(len(buf) * self.tear), True)
            self._cut()
        self._program(addr, buf, len(buf), False)
        self.prog_ops += 1
        self.programmed_bytes += len(buf)
        if len(buf):
            self.pages += (addr + len(buf) - 1) // _PAGE - addr // _PAGE + 1

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        if op == 6:
            self._check_power()
            if not 0 <= arg < self.blocks:
                raise OSError(22)
            self.ops += 1
            if self.journal is not None:
                self.journal.append((arg, None))
            if self.ops == self.cut_at:
                if self.scatter:
                    self._scatter_erase(arg, self.ops)
                else:
                    self._erase(arg, int(self.block_size * self.tear))
                self._cut()
            self._erase(arg, self.block_size)
            self.erases += 1
            return 0
        return None

    # --- test hooks ----------------------------------------------------------------------------

    def power_on(self):
        self.powered = True
        self.cut_at = 0

    def apply(self, op, tear=None, scatter=False):
        """Replay one journal entry on this flash (no counters); ``tear``: do only part of it
        (``scatter``: random bits of all of it, seeded by ``tear``)."""
        where, data = op
        if tear is not None and scatter:
            seed = int(tear * 1000) + 1
            if data is None:
                self._scatter_erase(where, seed)
            else:
                self._scatter_program(where, data, seed)
            return
        if data is None:
            self._erase(where, self.block_size if tear is None else int(self.block_size * tear))
        else:
            n = len(data) if tear is None else int(len(data) * tear)
            self._program(where, data, n, tear is not None)

    def flip(self, addr, bit):
        """Invert one stored bit (a retention fault), whichever way it goes."""
        self.mem[addr] ^= 1 << bit

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.mem)

    def load(self, path):
        with open(path, "rb") as f:
            n = f.readinto(self.mem)
        if n != len(self.mem):
            raise ValueError("flash file does not match the geometry")

    # --- internals -----------------------------------------------------------------------------

    def _check_power(self):
        if not self.powered:
            raise PowerCut()

    def _cut(self):
        self.powered = False
        raise PowerCut()

    def _addr(self, block, offset, n):
        addr = block * self.block_size + offset
        if block < 0 or offset < 0 or addr + n > len(self.mem):
            raise OSError(22)  # EINVAL, as esp_partition_* reports out-of-range access
        return addr

    def _program(self, addr, buf, n, torn):
        mem = self.mem
        for i in range(n):
            mem[addr + i] &= buf[i]
        if torn and n < len(buf):
            # The byte being programmed when power failed: only its high bits made it.
            mem[addr + n] &= buf[n] | 0x0F

    def _scatter_program(self, addr, buf, seed):
        """A cut program in which each byte got only some of its zero bits."""
        r = seed * 2654435761 & 0xFFFFFFFF
        mem = self.mem
        for i in range(len(buf)):
            r = (r * 1103515245 + 12345) & 0x7FFFFFFF
            mem[addr + i] &= buf[i] | ((r >> 16) & 0xFF)

    def _scatter_erase(self, block, seed):
        """A cut erase in which each byte got only some of its bits back to 1."""
        r = seed * 2654435761 & 0xFFFFFFFF
        mem = self.mem
        start = block * self.block_size
        for i in range(start, start + self.block_size):
            r = (r * 1103515245 + 12345) & 0x7FFFFFFF
            mem[i] |= (r >> 16) & 0xFF

    def _erase(self, block, n):
        start = block * self.block_size
        self.mem[start : start + n] = self._ff[:n]
