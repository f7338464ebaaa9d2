# frame: PN532 host-link frame codec for the simulator (encoder and streaming decoder).
# SPDX-License-Identifier: MIT
"""Frames as in PN532 User Manual UM0701-02 §6.2.1 (normal, extended, ACK, NACK, error).

``encode(tfi_and_data)`` builds a whole frame; ``Decoder`` eats host bytes one at a time and says
when an ACK, a NACK, a valid frame or a frame with a bad checksum went past. The decoder
resynchronises on the start code ``00 FF`` (§6.2.1.1), so preamble, postamble, wake-up bytes and
garbage between frames are skipped.
"""

from compat import const

ACK = b"\x00\x00\xff\x00\xff\x00"  # §6.2.1.3
NACK = b"\x00\x00\xff\xff\x00\x00"  # §6.2.1.4
ERROR = b"\x00\x00\xff\x01\xff\x7f\x81\x00"  # §6.2.1.5: syntax error at the application level

TFI_HOST = const(0xD4)  # host controller to PN532
TFI_CHIP = const(0xD5)  # PN532 to host controller

# Decoder events.
NONE = const(0)
GOT_ACK = const(1)
GOT_NACK = const(2)
GOT_FRAME = const(3)
BAD_LCS = const(4)
BAD_DCS = const(5)

# Decoder states.
_HUNT = const(0)  # looking for 00
_START = const(1)  # saw 00, want FF
_LEN = const(2)
_LCS = const(3)
_XLEN_M = const(4)  # extended frame: LENM, LENL, LCS (§6.2.1.2)
_XLEN_L = const(5)
_XLCS = const(6)
_BODY = const(7)
_DCS = const(8)

FRAME_MAX = const(265 + 1)  # TFI + 264 data bytes is the PN532's largest frame (§6.2.1.2)


def encode(body):
    """The frame carrying ``body`` (TFI + PD0..PDn), extended when it needs more than 254 bytes."""
    n = len(body)
    dcs = (-sum(body)) & 0xFF
    if n <= 254:
        head = bytes((0x00, 0x00, 0xFF, n, (-n) & 0xFF))
    else:
        hi, lo = n >> 8, n & 0xFF
        head = bytes((0x00, 0x00, 0xFF, 0xFF, 0xFF, hi, lo, (-(hi + lo)) & 0xFF))
    return head + bytes(body) + bytes((dcs, 0x00))


class Decoder:
    """Streaming decoder of host-to-chip frames; after GOT_FRAME, ``body`` holds TFI + data."""

    def __init__(self):
        self._buf = bytearray(FRAME_MAX)
        self.body = memoryview(self._buf)[:0]
        self.reset()

    def reset(self):
        self._state = _HUNT
        self._len = 0
        self._got = 0
        self._sum = 0

    def feed(self, byte):
        st = self._state
        if st == _HUNT:
            if byte == 0x00:
                self._state = _START
        elif st == _START:
            self._state = _LEN if byte == 0xFF else (_START if byte == 0x00 else _HUNT)
        elif st == _LEN:
            self._len = byte
            self._state = _LCS
        elif st == _LCS:
            n = self._len
            self._state = _HUNT
            if n == 0x00 and byte == 0xFF:
                return GOT_ACK
            if n == 0xFF and byte == 0x00:
                return GOT_NACK
            if n == 0xFF and byte == 0xFF:
                self._state = _XLEN_M
            elif (n + byte) & 0xFF:
                return BAD_LCS
            else:
                self._begin(n)
        elif st == _XLEN_M:
            self._len = byte << 8
            self._state = _XLEN_L
        elif st == _XLEN_L:
            self._len |= byte
            self._state = _XLCS
        elif st == _XLCS:
            self._state = _HUNT
            n = self._len
            if ((n >> 8) + (n & 0xFF) + byte) & 0xFF:
                return BAD_LCS
            if n > FRAME_MAX:
                return BAD_LCS  # longer than the chip's buffer: treated as a broken length
            self._begin(n)
        elif st == _BODY:
            self._buf[self._got] = byte
            self._got += 1
            self._sum += byte
            if self._got == self._len:
                self._state = _DCS
        elif st == _DCS:
            self._state = _HUNT
            if (self._sum + byte) & 0xFF:
                return BAD_DCS
            self.body = memoryview(self._buf)[: self._len]
            return GOT_FRAME
        return NONE

    def _begin(self, n):
        self._len = n
        self._got = 0
        self._sum = 0
        # A zero-length information frame carries not even a TFI; treat it as a bad length.
        self._state = _BODY if n else _HUNT
