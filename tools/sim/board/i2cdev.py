# i2cdev: the board double's I2C devices beside the PN532: an SSD1306 OLED and a DS3231 clock.
# SPDX-License-Identifier: MIT
"""Devices on the board double's I2C bus (``chip.Esp32``), answering at their address the calls
``machine.I2C`` makes (``writeto``, ``readfrom_into``, ``readfrom_mem_into``, ``writeto_mem``):

``Ssd1306(address=0x3C)``  takes command and data writes (SSD1306 data sheet §8.1.5: a control
                           byte 0x80 precedes one command, 0x40 display data); ``commands``
                           and ``frames`` count them, ``on`` is set by 0xAF (display on)
``Ds3231(when=None)``      the timekeeping registers 0x00-0x06 (BCD seconds .. year) and the
                           status register 0x0F whose bit 7 (OSF) is set while the oscillator
                           has not been set since power-up (DS3231 data sheet, Figure 1 and
                           "Status Register"); ``when`` (y, mo, d, h, mi, s) sets it at creation
"""

from compat import const

_OSF = const(0x80)


def _bcd(v):
    return ((v // 10) << 4) | (v % 10)


class Ssd1306:
    def __init__(self, address=0x3C):
        self.address = address
        self.commands = 0
        self.frames = 0
        self.on = False

    def writeto(self, buf):
        if buf[0] == 0x80:
            self.commands += 1
            if buf[1] == 0xAF:
                self.on = True
        elif buf[0] == 0x40:
            self.frames += 1


class Ds3231:
    def __init__(self, when=None, address=0x68):
        self.address = address
        self.regs = bytearray(0x13)
        self.regs[0x0F] = _OSF
        if when is not None:  # (year, month, day, hour, minute, second)
            y, mo, d, h, mi, sec = when
            for i, v in enumerate((sec, mi, h, 1, d, mo, y - 2000)):
                self.regs[i] = _bcd(v)
            self.regs[0x0F] = 0
        self._ptr = 0

    def writeto(self, buf):
        self._ptr = buf[0]
        for i in range(1, len(buf)):
            self.regs[(self._ptr + i - 1) % len(self.regs)] = buf[i]

    def readfrom_into(self, buf):
        for i in range(len(buf)):
            buf[i] = self.regs[(self._ptr + i) % len(self.regs)]
