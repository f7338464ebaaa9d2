# oled: a 128x32 / 128x64 SSD1306 OLED over I2C showing two short lines of text.
# SPDX-License-Identifier: MIT
"""``OLED(i2c, height=32, address=0x3C)``; ``show(line1, line2)`` clears and draws two lines of
the 8x8 built-in font (``framebuf``), then sends the frame (SSD1306 data sheet §9 command table:
0xAE display off, 0x20 addressing mode, 0x8D charge pump, 0xAF on; §10.1.3 horizontal mode)."""

import framebuf

from compat import const

_ADDRESS = const(0x3C)
_WIDTH = const(128)
_COLS = const(16)


class OLED:
    def __init__(self, i2c, height=32, address=_ADDRESS):
        self.i2c = i2c
        self.address = address
        self.height = height
        self._pages = height // 8
        self._buf = bytearray(1 + _WIDTH * self._pages)
        self._buf[0] = 0x40  # control byte: data follows
        self._fb = framebuf.FrameBuffer(
            memoryview(self._buf)[1:], _WIDTH, height, framebuf.MONO_VLSB
        )
        self._cmd = bytearray(2)
        for c in (0xAE, 0x20, 0x00, 0xA8, height - 1, 0xDA, 0x02 if height == 32 else 0x12,
                  0xA1, 0xC8, 0x8D, 0x14, 0x81, 0xCF, 0xAF):  # fmt: skip
            self._command(c)

    def _command(self, c):
        self._cmd[0] = 0x80  # control byte: one command
        self._cmd[1] = c
        self.i2c.writeto(self.address, self._cmd)

    def show(self, line1, line2=""):
        fb = self._fb
        fb.fill(0)
        y = 0
        for text in (line1, line2):
            while text and y < self.height:  # word-wrap at 16 columns of the 8x8 font
                cut = len(text) if len(text) <= _COLS else text.rfind(" ", 0, _COLS + 1)
                if cut <= 0:
                    cut = _COLS
                fb.text(text[:cut], 0, y)
                text = text[cut:].lstrip()
                y += 8
        for c in (0x21, 0, _WIDTH - 1, 0x22, 0, self._pages - 1):
            self._command(c)
        self.i2c.writeto(self.address, self._buf)
