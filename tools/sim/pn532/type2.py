# type2: MIFARE Ultralight (MF0ICU1) and NTAG213/215/216 card models (NFC Forum Type 2 memory).
# SPDX-License-Identifier: MIT
"""Pages of 4 bytes; READ returns four pages, WRITE/COMPATIBILITY WRITE one, GET_VERSION 8 bytes.

Layout from MF0ICU1 and NTAG213/215/216 §8.5: page 0 = UID0-2 + BCC0, page 1 = UID3-6,
page 2 = BCC1, internal, lock bytes; page 3 = capability container; configuration pages at the
end of NTAG memory. READ rolls over to page 0 past the last page (MF0ICU1 READ, NTAG §10.2).
"""

from compat import const
from tools.sim.pn532.card import MIFARE_ERROR, OK, TIMEOUT, Card, bcc

_READ = const(0x30)
_WRITE = const(0xA2)
_COMPAT_WRITE = const(0xA0)
_GET_VERSION = const(0x60)

# name: (pages, capability container, GET_VERSION answer); NTAG21x §8.5.6 and §10.1.
_MODELS = {
    "ultralight": (16, b"\x00\x00\x00\x00", None),
    "ntag213": (45, b"\xe1\x10\x12\x00", b"\x00\x04\x04\x02\x01\x00\x0f\x03"),
    "ntag215": (135, b"\xe1\x10\x3e\x00", b"\x00\x04\x04\x02\x01\x00\x11\x03"),
    "ntag216": (231, b"\xe1\x10\x6d\x00", b"\x00\x04\x04\x02\x01\x00\x13\x03"),
}


class Type2(Card):
    """``Type2("ntag215", uid7)``: an Ultralight or NTAG21x with a 7-byte UID."""

    def __init__(self, model, uid):
        pages, cc, version = _MODELS[model]
        super().__init__(uid, b"\x00\x44", 0x00)  # ATQA 0044, SAK 00 (NTAG21x data sheet)
        self.name = model
        self.pages = pages
        self.version = version
        self.mem = bytearray(pages * 4)
        u = self.uid
        self.mem[0:8] = u[0:3] + bytes((bcc(b"\x88" + u[0:3]),)) + u[3:7]
        self.mem[8] = bcc(u[3:7])
        self.mem[9] = 0x48  # the "internal" byte of page 2 (NTAG21x §8.5.1)
        self.mem[12:16] = cc
        if version:  # CFG0: AUTH0 = FF, no password protection (NTAG21x §8.5.7)
            self.mem[(pages - 4) * 4 : (pages - 3) * 4] = b"\x04\x00\x00\xff"

    def exchange(self, data):
        if self.halted or not data:
            return TIMEOUT, b""
        cmd = data[0]
        if cmd == _GET_VERSION:
            if self.version is None:
                self.halt()  # MF0ICU1 has no GET_VERSION: no answer, card back to IDLE
                return TIMEOUT, b""
            return OK, self.version
        page = data[1] if len(data) > 1 else 0xFFFF
        if page >= self.pages:
            return self._nak()
        if cmd == _READ:
            out = bytearray(16)
            for i in range(16):
                out[i] = self.mem[(page * 4 + i) % (self.pages * 4)]
            return OK, bytes(out)
        if cmd == _WRITE and len(data) >= 6:
            return self._write(page, data[2:6])
        if cmd == _COMPAT_WRITE and len(data) >= 18:
            return self._write(page, data[2:6])  # only the first 4 of 16 bytes are written
        return self._nak()

    def _write(self, page, data):
        if page < 2:
            return self._nak()  # UID pages are read-only
        at = page * 4
        if page in (2, 3):  # lock bytes and CC are one-time programmable: bits only set (§8.5.2)
            for i in range(4):
                if page == 3 or i >= 2:
                    self.mem[at + i] |= data[i]
            return OK, b""
        self.mem[at : at + 4] = data
        return OK, b""

    def _nak(self):
        self.halt()  # a NAK sends the tag back to IDLE (NTAG21x data sheet, ACK and NAK)
        return MIFARE_ERROR, b""
