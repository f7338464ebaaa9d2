# isodep: ISO/IEC 14443-4 card models: MIFARE DESFire EV1/EV2/EV3 and a random-UID card.
# SPDX-License-Identifier: MIT
"""Cards that answer RATS with an ATS, so the PN532 lists them with their ATS (UM0701-02 §7.3.5)
and wraps InDataExchange data in ISO-DEP blocks itself (§7.3.8): the model sees the payload only.
"""

from compat import const
from tools.sim.pn532.card import OK, TIMEOUT, Card, Rng

_GET_VERSION = const(0x60)  # DESFire native command
_ADDITIONAL_FRAME = const(0xAF)
_ILLEGAL_COMMAND = const(0x1C)

# DESFire hardware major version in GetVersion (MF3ICDx1, EV2 and EV3 data sheets).
_MAJOR = {"desfire-ev1": 0x01, "desfire-ev2": 0x12, "desfire-ev3": 0x33}
_DESFIRE_ATS = b"\x06\x75\x77\x81\x02\x80"  # TL T0 TA TB TC T1 (MF3ICDx1)


class DESFire(Card):
    """MIFARE DESFire with a 7-byte UID, ATQA 0344, SAK 20 and its ATS; answers GetVersion."""

    def __init__(self, model, uid):
        super().__init__(uid, b"\x03\x44", 0x20, _DESFIRE_ATS)
        self.name = model
        self._major = _MAJOR[model]
        self._step = 0

    def reset_session(self):
        self._step = 0

    def exchange(self, data):
        if self.halted or not data:
            return TIMEOUT, b""
        if data[0] == _GET_VERSION:
            self._step = 1
            return OK, bytes((_ADDITIONAL_FRAME, 0x04, 0x01, 0x01, self._major, 0x00, 0x1A, 0x05))
        if data[0] == _ADDITIONAL_FRAME and self._step == 1:
            self._step = 2
            return OK, bytes((_ADDITIONAL_FRAME, 0x04, 0x01, 0x01, self._major, 0x00, 0x1A, 0x05))
        if data[0] == _ADDITIONAL_FRAME and self._step == 2:
            self._step = 0
            return OK, b"\x00" + self.uid + b"\x00" * 5 + b"\x20\x26"
        self._step = 0
        return OK, bytes((_ILLEGAL_COMMAND,))


class RandomUID(Card):
    """An ISO/IEC 14443-4 card with a random 4-byte UID (first byte 0x08, ISO/IEC 14443-3
    UID contents), drawn anew at each selection from a seeded generator; any APDU gets 6A 82."""

    name = "random"

    def __init__(self, seed=1):
        self._rng = Rng(seed)
        super().__init__(b"\x08\x00\x00\x00", b"\x00\x04", 0x20, b"\x05\x78\x80\x70\x02")
        self._draw()

    def _draw(self):
        r = self._rng.next()
        self.uid = bytes((0x08, r & 0xFF, (r >> 8) & 0xFF, (r >> 16) & 0xFF))

    def activate(self):
        self._draw()
        super().activate()

    def exchange(self, data):
        if self.halted or not data:
            return TIMEOUT, b""
        return OK, b"\x6a\x82"  # ISO/IEC 7816-4: file or application not found
