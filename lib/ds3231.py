# ds3231: Maxim DS3231 real-time clock over I2C: read and set the time as seconds since 2000.
# SPDX-License-Identifier: MIT
"""``DS3231(i2c, address=0x68)``: ``read()`` -> seconds since 2000-01-01 UTC, or None when the
oscillator stopped (OSF set: the time is not valid); ``write(seconds)`` sets it and clears OSF.
Registers 0x00-0x06 hold BCD seconds..year (DS3231 data sheet, Figure 1 "Timekeeping
Registers"); bit 7 of 0x0F is OSF (data sheet, "Status Register")."""

import time

from compat import const

_ADDRESS = const(0x68)
_REG_TIME = const(0x00)
_REG_STATUS = const(0x0F)
_OSF = const(0x80)


def _bcd(b):
    return (b >> 4) * 10 + (b & 0x0F)


def _tobcd(v):
    return ((v // 10) << 4) | (v % 10)


class DS3231:
    def __init__(self, i2c, address=_ADDRESS):
        self.i2c = i2c
        self.address = address
        self._buf = bytearray(7)

    def read(self):
        st = bytearray(1)
        self.i2c.readfrom_mem_into(self.address, _REG_STATUS, st)
        if st[0] & _OSF:
            return None
        b = self._buf
        self.i2c.readfrom_mem_into(self.address, _REG_TIME, b)
        ss, mm, hh = _bcd(b[0] & 0x7F), _bcd(b[1] & 0x7F), _bcd(b[2] & 0x3F)
        day, month, year = _bcd(b[4] & 0x3F), _bcd(b[5] & 0x1F), 2000 + _bcd(b[6])
        # ESP32 MicroPython's mktime counts from 2000 (docs: time module, "Epoch").
        return time.mktime((year, month, day, hh, mm, ss, 0, 0))

    def write(self, seconds):
        t = time.gmtime(seconds)  # (year, month, mday, hour, minute, second, weekday, yearday)
        b = self._buf
        b[0], b[1], b[2] = _tobcd(t[5]), _tobcd(t[4]), _tobcd(t[3])
        b[3], b[4], b[5], b[6] = t[6] + 1, _tobcd(t[2]), _tobcd(t[1]), _tobcd(t[0] - 2000)
        self.i2c.writeto_mem(self.address, _REG_TIME, b)
        st = bytearray(1)
        self.i2c.readfrom_mem_into(self.address, _REG_STATUS, st)
        st[0] &= ~_OSF & 0xFF
        self.i2c.writeto_mem(self.address, _REG_STATUS, st)
