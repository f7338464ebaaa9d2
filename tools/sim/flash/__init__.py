# flash: the NOR flash model: the raw "hlog" partition with the esp32.Partition block API.
# SPDX-License-Identifier: MIT
"""One SPI NOR flash model for every test, benchmark and simulator; runs on CPython and
MicroPython (the device test runner loads it into the WebAssembly port).

    NorFlash(blocks=448, block_size=4096)              # in RAM; ``mem`` is the image
    NorFlash(blocks=448, image=data)                   # in RAM, starting from a copy of data
    NorFlash(blocks=448, path="dev.hlog")              # in a file (tools/sim/flash/store.py)

=====================================  ==========================================================
call                                   what the flash does
=====================================  ==========================================================
``readblocks(block, buf, offset=0)``   copies ``len(buf)`` bytes from ``block * size + offset``
``writeblocks(block, buf, offset)``    *program*: stored = old & new (bits only go 1 -> 0)
``writeblocks(block, buf)``            no offset: erase the blocks covered, then program, as
                                       ``esp32.Partition`` does for the simple block protocol
``ioctl(4, 0)`` / ``ioctl(5, 0)``      block count / block size
``ioctl(6, block)``                    erase that block to 0xFF
``ioctl(1|2|3, 0)``                    init / deinit / sync: nothing to do, 0
=====================================  ==========================================================

Where each behaviour comes from:

- Programming only clears bits: the W25Q32JV datasheet (Winbond, the ESP32 module's flash
  family), Page Program (02h): data is programmed "at previously erased (FFh) memory locations";
  a bit can only go from 1 to 0, so programming over old data stores old & new.
- Erasing sets a whole 4 KB sector to 0xFF: the same datasheet, Sector Erase (20h).
- A program is counted in 256-byte pages (``pages``), the datasheet's Page Program unit, which
  sets its time (tPP); ESP-IDF's ``esp_partition_write`` splits a write at page boundaries.
- ``writeblocks`` without an offset erases first, with one programs only; ``ioctl`` answers 0 for
  init/deinit/sync, the count, the size, and 0 after an erase: MicroPython
  ``ports/esp32/esp32_partition.c``. Out-of-range access raises ``OSError(22)``.

Counters: ``erases``, ``prog_ops``, ``programmed_bytes``, ``pages``; ``ops`` counts programs and
erases from creation (1-based), what ``cut_at`` counts.

Power cuts (a program takes up to 3 ms, an erase up to 400 ms: the datasheet's tPP and tSE, long
enough for the supply to fail inside one): ``cut_at = k`` makes the k-th operation tear: a
program stores only its first ``tear`` fraction of bytes plus the high bits of the next byte, an
erase resets only the first ``tear`` fraction of the block (with ``scatter``: random bits of the
whole range instead, as a real cell array may be left); then the flash is unpowered and every
call raises ``PowerCut`` until ``power_on()``. ``journal = []`` records every program and erase
as ``(addr, data)`` / ``(block, None)`` so a test can replay any prefix (``apply``) on a copy of
the starting image, together with other media cut at the same moment. ``flip(addr, bit)``
inverts one stored bit (a retention fault).

The backing store (``tools/sim/flash/store.py``) only keeps bytes; every NOR rule is here, and
goes through one preallocated 64-byte buffer, so no call allocates on MicroPython.
"""

from tools.sim.flash.store import File, Ram

_PAGE = 256  # W25Q32JV Page Program unit
_CHUNK = 64  # bytes read, changed and written back per step of a program
_EINVAL = 22


class PowerCut(Exception):
    """The simulated supply failed: the flash did (part of) one operation and nothing after."""


class NorFlash:
    def __init__(self, blocks=448, block_size=4096, image=None, path=None):
        self.blocks = blocks
        self.block_size = block_size
        size = blocks * block_size
        if path is not None:
            self.store = File(path, size)
            self.mem = None
        else:
            self.store = Ram(size, image)
            self.mem = self.store.mem  # the image itself: tests read, copy and compare it
        self._size = size
        self._chunk = bytearray(_CHUNK)
        mv = memoryview(self._chunk)
        self._views = [mv[:k] for k in range(_CHUNK + 1)]  # no slicing (allocation) per call
        self.erases = 0
        self.prog_ops = 0
        self.programmed_bytes = 0
        self.pages = 0
        self.ops = 0
        self.cut_at = 0  # 0: never cut
        self.tear = 0.5
        self.scatter = False  # True: a torn operation hits random bits of the whole range
        self.powered = True
        self.journal = None

    # --- esp32.Partition block API -------------------------------------------------------------

    def readblocks(self, block, buf, offset=0):
        self._check_power()
        self.store.readinto(self._addr(block, offset, len(buf)), buf)

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
                self._program(addr, buf, len(buf), False, self.ops)
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
                raise OSError(_EINVAL)
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
        if 1 <= op <= 3:
            return 0
        return None

    def close(self):
        """Release the backing store (a file keeps the image for the next ``NorFlash``)."""
        self.store.close()

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
                self._program(where, data, len(data), False, seed)
            return
        if data is None:
            self._erase(where, self.block_size if tear is None else int(self.block_size * tear))
        else:
            n = len(data) if tear is None else int(len(data) * tear)
            self._program(where, data, n, tear is not None)

    def flip(self, addr, bit):
        """Invert one stored bit (a retention fault), whichever way it goes."""
        one = self._views[1]
        self.store.readinto(addr, one)
        self._chunk[0] ^= 1 << bit
        self.store.write(addr, one)

    # --- internals -----------------------------------------------------------------------------

    def _check_power(self):
        if not self.powered:
            raise PowerCut()

    def _cut(self):
        self.powered = False
        raise PowerCut()

    def _addr(self, block, offset, n):
        addr = block * self.block_size + offset
        if block < 0 or offset < 0 or addr + n > self._size:
            raise OSError(_EINVAL)
        return addr

    def _program(self, addr, buf, n, torn, seed=0):
        """Program the first ``n`` bytes of ``buf`` (old & new); ``torn``: power failed on the
        next byte, of which only the high bits made it. ``seed``: a cut program in which each
        byte got only some of its zero bits (random, reproducible from the seed)."""
        r = seed * 2654435761 & 0xFFFFFFFF if seed else 0  # big ints allocate: only on a cut
        store = self.store
        c = self._chunk
        done = 0
        while done < n:
            k = n - done if n - done < _CHUNK else _CHUNK
            view = self._views[k]
            store.readinto(addr + done, view)
            for i in range(k):
                if seed:
                    r = (r * 1103515245 + 12345) & 0x7FFFFFFF
                    c[i] &= buf[done + i] | ((r >> 16) & 0xFF)
                else:
                    c[i] &= buf[done + i]
            store.write(addr + done, view)
            done += k
        if torn and n < len(buf):
            one = self._views[1]
            store.readinto(addr + n, one)
            c[0] &= buf[n] | 0x0F
            store.write(addr + n, one)

    def _scatter_erase(self, block, seed):
        """A cut erase in which each byte got only some of its bits back to 1."""
        r = seed * 2654435761 & 0xFFFFFFFF
        store = self.store
        c = self._chunk
        start = block * self.block_size
        done = 0
        while done < self.block_size:
            view = self._views[_CHUNK]
            store.readinto(start + done, view)
            for i in range(_CHUNK):
                r = (r * 1103515245 + 12345) & 0x7FFFFFFF
                c[i] |= (r >> 16) & 0xFF
            store.write(start + done, view)
            done += _CHUNK

    def _erase(self, block, n):
        self.store.fill(block * self.block_size, n)
