# transport: in-memory UART, I2C and reset-pin endpoints wired to a simulated PN532.
# SPDX-License-Identifier: MIT
"""Objects shaped like ``machine.UART``, ``machine.I2C`` and ``machine.Pin`` that a driver takes
instead of the real ones. Reads never block: data is there or it is not, as on a UART with
``timeout=0``; each look at the line lets the chip make progress (``PN532.tick``).
"""

from compat import const

ADDRESS = const(0x24)  # PN532 7-bit I2C address (UM0701-02 §6.2, I2C)
_READY = const(0x01)  # I2C status byte: a frame is ready (§6.2, I2C)
_ENODEV = const(19)


class UART:
    """The host's UART: bytes already received stay in its buffer whatever the chip does."""

    def __init__(self, chip):
        self.chip = chip
        self._rx = bytearray()
        self.sent = 0  # bytes the host sent (a count: a record of them would grow without end)

    def write(self, buf):
        self.sent += len(buf)
        self.chip.feed(bytes(buf))
        return len(buf)

    def _pump(self):
        self.chip.tick()
        f = self.chip.take()
        while f is not None:
            self._rx += f
            f = self.chip.take()

    def any(self):
        self._pump()
        return len(self._rx)

    def read(self, n=-1):
        self._pump()
        if not self._rx:
            return None
        if n is None or n < 0:
            n = len(self._rx)
        data = bytes(self._rx[:n])
        self._rx = self._rx[n:]
        return data

    def readinto(self, buf, nbytes=-1):
        n = len(buf) if nbytes is None or nbytes < 0 else nbytes
        data = self.read(n)
        if data is None:
            return None
        buf[: len(data)] = data
        return len(data)


class I2C:
    """Each read is one I2C transaction: status byte first, then the next frame when ready.

    A one-byte read only polls the status and leaves the frame for the next read."""

    def __init__(self, chip, address=ADDRESS):
        self.chip = chip
        self.address = address

    def _check(self, addr):
        if addr != self.address:
            raise OSError(_ENODEV)
        self.chip.i2c_select()

    def writeto(self, addr, buf, stop=True):
        self._check(addr)
        self.chip.i2c_write(bytes(buf))
        return len(buf)

    def readfrom_into(self, addr, buf, stop=True):
        self._check(addr)
        self.chip.tick()
        ready = bool(self.chip.out)
        for i in range(len(buf)):
            buf[i] = 0
        if not ready:
            return
        buf[0] = _READY
        if len(buf) > 1:
            f = self.chip.take()
            n = min(len(f), len(buf) - 1)
            buf[1 : 1 + n] = f[:n]

    def readfrom(self, addr, n, stop=True):
        buf = bytearray(n)
        self.readfrom_into(addr, buf)
        return bytes(buf)


class Pin:
    """The host's RSTPDN output: ``value(0)`` holds the chip in reset, ``value(1)`` releases it."""

    def __init__(self, chip, value=1):
        self.chip = chip
        self._v = value

    def value(self, v=None):
        if v is None:
            return self._v
        self._v = 1 if v else 0
        self.chip.set_rstpdn(self._v)

    def __call__(self, v=None):
        return self.value(v)

    def on(self):
        self.value(1)

    def off(self):
        self.value(0)

    def init(self, *args, **kwargs):
        pass
