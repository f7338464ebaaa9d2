# card: what every simulated ISO/IEC 14443 type A card shares, status codes, a seeded PRNG.
# SPDX-License-Identifier: MIT
"""Base of the card models the simulated PN532 talks to.

A card answers two calls, both returning ``(status, reply)`` where ``status`` is a PN532 status
byte (UM0701-02 §7.1, error codes table) and ``reply`` the bytes the card sent back:

* ``exchange(data)`` — what the PN532 does for InDataExchange (§7.3.8): MIFARE Classic
  authentication is done by the chip with the key and UID the host gives it.
* ``thru(data, last_bits)`` — InCommunicateThru (§7.3.9): raw frames, ``last_bits`` from
  CIU_BitFraming (0 means whole bytes), so 7-bit short frames reach the card.
"""

from compat import const

# PN532 status bytes, UM0701-02 §7.1.
OK = const(0x00)
TIMEOUT = const(0x01)  # the target has not answered
MIFARE_ERROR = const(0x14)  # MIFARE authentication error (also used here for a card NAK)
BAD_CONTEXT = const(0x27)  # command not acceptable in this context (e.g. unknown target number)

_HLTA = const(0x50)  # ISO/IEC 14443-3 HLTA: 50 00 + CRC, no answer


def bcc(data):
    """ISO/IEC 14443-3 block check character: XOR of the bytes."""
    x = 0
    for b in data:
        x ^= b
    return x


class Rng:
    """xorshift32: the same seeded sequence on MicroPython and CPython (``random`` differs)."""

    def __init__(self, seed=1):
        self._x = (seed & 0xFFFFFFFF) or 0x2545F491

    def next(self):
        x = self._x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self._x = x
        return x

    def below(self, n):
        return self.next() % n


class Card:
    """A type A card: ``uid``, ``atqa`` (SENS_RES in the order the PN532 sends it), ``sak``,
    ``ats`` (with its TL byte, or None when the card is not ISO/IEC 14443-4)."""

    name = "card"

    def __init__(self, uid, atqa, sak, ats=None):
        self.uid = bytes(uid)
        self.atqa = bytes(atqa)
        self.sak = sak
        self.ats = ats
        self.halted = False

    def activate(self):
        """Anticollision and select (ISO/IEC 14443-3) after WUPA: a halted card wakes too."""
        self.halted = False
        self.reset_session()

    def reset_session(self):
        """Forget authentication and protocol state (field off, halt, re-select)."""

    def halt(self):
        self.halted = True
        self.reset_session()

    def exchange(self, data):
        return TIMEOUT, b""

    def thru(self, data, last_bits):
        if last_bits == 0 and len(data) >= 2 and data[0] == _HLTA and data[1] == 0:
            self.halt()
            return TIMEOUT, b""  # HLTA has no answer, so the PN532 reports a timeout
        if self.halted or last_bits:
            return TIMEOUT, b""
        return self.exchange(data)
