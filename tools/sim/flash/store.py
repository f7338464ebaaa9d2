# store: where the NOR flash model keeps its bytes: a bytearray, or a file (off the heap).
# SPDX-License-Identifier: MIT
"""A backing store is a dumb medium: it stores what it is given. NOR semantics (programming clears
bits, erasing sets 0xFF, torn operations) are ``NorFlash``'s, written once on top of these calls:

=========================  ==================================================================
``readinto(addr, buf)``    fill ``buf`` with the ``len(buf)`` bytes from ``addr``
``write(addr, buf)``       store ``buf`` at ``addr``
``fill(addr, n)``          store ``n`` bytes of 0xFF at ``addr`` (what an erase leaves)
``close()``                release the medium (a file is closed; its image stays)
=========================  ==================================================================

``Ram(size, image=None)`` keeps the image in ``mem``, a bytearray tests can read and copy: one
image-sized allocation (a copy of ``image``, or erased in place), nothing more.
``File(path, size)`` keeps it in a file: it survives the model (a device double unplugged and
plugged again), and under MicroPython the file lives in the VFS, outside the heap, as the SPI
flash is outside the ESP32's RAM. Neither allocates per call on MicroPython (loops, no slices),
so the heap of the code above it can be measured; a torn erase of part of a block is the
exception (it happens once, at a simulated power cut).
"""

import os
import sys

_MPY = sys.implementation.name == "micropython"
_FF_CHUNK = 256  # bytes of 0xFF written per call when a file is erased


class Ram:
    def __init__(self, size, image=None):
        self.size = size
        if image is not None:
            if len(image) != size:
                raise ValueError("image size does not match the geometry")
            self.mem = bytearray(image)
        else:  # the image only, erased in place: never a second image-sized temporary
            self.mem = bytearray(size)
        self._ff = b"\xff" * 4096  # one erase block, written without slicing
        if image is None:
            for addr in range(0, size, 4096):
                self.fill(addr, 4096 if size - addr >= 4096 else size - addr)

    def readinto(self, addr, buf):
        if _MPY:  # a slice would allocate a copy on the heap being measured
            mem = self.mem
            for i in range(len(buf)):
                buf[i] = mem[addr + i]
        else:
            buf[:] = self.mem[addr : addr + len(buf)]

    def write(self, addr, buf):
        if _MPY:
            mem = self.mem
            for i in range(len(buf)):
                mem[addr + i] = buf[i]
        else:
            self.mem[addr : addr + len(buf)] = buf

    def fill(self, addr, n):
        ff = self._ff if n == len(self._ff) else b"\xff" * n
        self.mem[addr : addr + n] = ff

    def close(self):
        pass


class File:
    def __init__(self, path, size):
        self.size = size
        try:
            fresh = os.stat(path)[6] != size
        except OSError:
            fresh = True
        if fresh:  # absent, or of another geometry: an erased chip
            with open(path, "wb") as f:
                ff = b"\xff" * _FF_CHUNK
                for _ in range(size // _FF_CHUNK):
                    f.write(ff)
        if _MPY:
            self._f = open(path, "r+b")
        else:  # unbuffered: every write reaches the file at once, as a mapped file would
            self._f = open(path, "r+b", buffering=0)  # noqa: SIM115 - closed by close()
        self._ff = b"\xff" * _FF_CHUNK

    def readinto(self, addr, buf):
        f = self._f
        f.seek(addr)
        f.readinto(buf)

    def write(self, addr, buf):
        f = self._f
        f.seek(addr)
        f.write(buf)

    def fill(self, addr, n):
        f = self._f
        f.seek(addr)
        whole = n // _FF_CHUNK
        for _ in range(whole):
            f.write(self._ff)
        if n > whole * _FF_CHUNK:  # only a torn erase: allocation does not matter there
            f.write(b"\xff" * (n - whole * _FF_CHUNK))

    def close(self):
        self._f.close()
