# pn532.i2c: the PN532 over I2C (UM0701-02 §6.2, I2C): status byte first, one frame per read.
# SPDX-License-Identifier: MIT
"""``PN532I2C(i2c, *, address=0x24, reset=None)``: ``i2c`` is a ``machine.I2C``-like object with
``writeto`` and ``readfrom_into``.

Every read transaction starts with the status byte; bit 0 set means a frame is ready
(UM0701-02 §6.2, I2C).
The driver polls that single byte, then reads the status byte and one window of frame bytes in
one transaction. The window holds any answer hadir uses (64 bytes: a UID with a 20-byte ATS, a
16-byte block); longer frames (extended frames) need the UART transport.

A bus error (``OSError``: the chip does not acknowledge its address while it wakes or stretches
the clock) is "not ready" on a read, ``PN532Timeout`` on a write: only PN532Error gets out.
"""

from compat import const, sleep_ms

from .chip import PN532
from .errors import PN532Timeout

_READY = const(0x01)
_WINDOW = const(64)


class PN532I2C(PN532):
    _PACKETISED = True
    _WAKE_SOURCE = 0x80  # PowerDown: wake on I2C (§7.2.11)

    def __init__(self, i2c, *, address=0x24, reset=None):
        super().__init__(reset)
        self._i2c = i2c
        self._addr = address
        self._status = bytearray(1)
        self._win = bytearray(1 + _WINDOW)
        self._body = memoryview(self._win)[1:]

    def _write(self, buf):
        try:
            self._i2c.writeto(self._addr, buf)
        except OSError:
            raise PN532Timeout("i2c write not acknowledged") from None

    def _read(self, buf):
        try:
            self._i2c.readfrom_into(self._addr, self._status)
            if not self._status[0] & _READY:
                return 0
            self._i2c.readfrom_into(self._addr, self._win)
        except OSError:
            return 0
        if not self._win[0] & _READY:
            return 0
        buf[0:_WINDOW] = self._body
        return _WINDOW

    def _wake(self):
        # On I2C the chip wakes when it sees its own address (§7.2.11) but does not acknowledge
        # that transaction: an empty write, its error expected, then time to start.
        try:
            self._i2c.writeto(self._addr, b"")
        except OSError:
            pass
        sleep_ms(2)
