# fileflash: NOR flash semantics (program clears bits, erase sets 0xFF) kept in a file, off-heap.
# SPDX-License-Identifier: MIT
"""``FileFlash(path, blocks, block_size=4096)``, the ``esp32.Partition`` block API of
``tools/sim/flash/__init__.py`` on a file of the VFS: under the WebAssembly port the file lives in
the Emscripten file system, outside MicroPython's heap, as the SPI flash is outside the ESP32's.
Used where the heap itself is measured; counters ``erases``, ``prog_ops``, ``programmed_bytes``."""

_CHUNK = 64


class FileFlash:
    def __init__(self, path, blocks, block_size=4096):
        self.blocks = blocks
        self.block_size = block_size
        self._chunk = bytearray(_CHUNK)
        mv = memoryview(self._chunk)
        self._views = [mv[:k] for k in range(_CHUNK + 1)]  # no slicing (allocation) per call
        try:
            self._f = open(path, "r+b")
        except OSError:
            self._f = open(path, "w+b")
            ff = b"\xff" * 256
            for _ in range(blocks * block_size // 256):
                self._f.write(ff)
        self.erases = 0
        self.prog_ops = 0
        self.programmed_bytes = 0

    def readblocks(self, block, buf, offset=0):
        self._f.seek(block * self.block_size + offset)
        self._f.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        if offset is None:
            n = (len(buf) + self.block_size - 1) // self.block_size
            for b in range(block, block + n):
                self.ioctl(6, b)
            offset = 0
        addr = block * self.block_size + offset
        f = self._f
        c = self._chunk
        done = 0
        n = len(buf)
        while done < n:
            k = min(_CHUNK, n - done)
            view = self._views[k]
            f.seek(addr + done)
            f.readinto(view)
            for i in range(k):
                c[i] &= buf[done + i]
            f.seek(addr + done)
            f.write(view)
            done += k
        self.prog_ops += 1
        self.programmed_bytes += n

    def ioctl(self, op, arg):
        if op == 4:
            return self.blocks
        if op == 5:
            return self.block_size
        if op == 6:
            c = self._chunk
            for i in range(_CHUNK):
                c[i] = 0xFF
            self._f.seek(arg * self.block_size)
            for _ in range(self.block_size // _CHUNK):
                self._f.write(c)
            self.erases += 1
            return 0
        return None
