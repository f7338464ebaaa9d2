# pn532.target: the one preallocated record of the card the PN532 last activated.
# SPDX-License-Identifier: MIT
"""``Target`` holds what InListPassiveTarget (UM0701-02 §7.3.5) reports for a 106 kbps type A card.

The driver fills one ``Target`` in place for every poll, so its raw fields live in buffers made
once. ``uid``, ``atqa`` and ``ats`` build ``bytes`` on access (convenient, allocates); the tap path
uses ``uid_len``, ``uid_into(buf)``, ``atqa_into(buf)`` and ``ats_into(buf)``, which allocate
nothing. ``ats`` is the Answer To Select as the chip reports it, length byte TL first.
"""

from compat import const

from .errors import PN532FrameError

UID_MAX = const(10)  # ISO/IEC 14443-3 triple-size UID
ATS_MAX = const(254)  # ISO/IEC 14443-4: TL counts itself, one byte


class Target:
    def __init__(self):
        self._uid = bytearray(UID_MAX)
        self._atqa = bytearray(2)
        self._ats = bytearray(ATS_MAX)
        self.uid_len = 0
        self.ats_len = 0
        self.sak = 0
        self.tg = 0  # logical number the PN532 gave the card, used by InDataExchange

    def clear(self):
        self.uid_len = self.ats_len = self.sak = self.tg = 0

    @property
    def uid(self):
        return bytes(self._uid[: self.uid_len])

    @property
    def atqa(self):
        return bytes(self._atqa)

    @property
    def ats(self):
        return bytes(self._ats[: self.ats_len]) if self.ats_len else None

    def parse(self, d, n):
        """Fill in from InListPassiveTarget's answer in ``d`` (TFI, code, then ``n`` bytes:
        NbTg, Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, [ATS]; UM0701-02 §7.3.5, 106 kbps
        type A). Every length is checked before it is used. False when NbTg is 0 (no card)."""
        self.clear()
        if n < 1:
            raise PN532FrameError("short")
        if d[2] == 0:
            return False  # NbTg = 0: no card within MxRtyPassiveActivation
        if n < 6:
            raise PN532FrameError("short")
        uid_len = d[7]
        end = 8 + uid_len
        if uid_len not in (4, 7, 10) or end > n + 2:
            raise PN532FrameError("uid")
        ats_len = 0
        if end < n + 2:
            ats_len = d[end]  # TL counts itself (ISO/IEC 14443-4)
            if ats_len < 1 or ats_len > ATS_MAX or end + ats_len > n + 2:
                raise PN532FrameError("ats")
        self.tg = d[3]
        self._atqa[0] = d[4]
        self._atqa[1] = d[5]
        self.sak = d[6]
        u = self._uid
        for i in range(UID_MAX):
            u[i] = d[8 + i] if i < uid_len else 0
        a = self._ats
        for i in range(ats_len):
            a[i] = d[end + i]
        self.uid_len = uid_len
        self.ats_len = ats_len
        return True

    def uid_into(self, buf, offset=0):
        """Copy the UID into ``buf`` at ``offset``; return its length. Allocates nothing."""
        src = self._uid
        for i in range(self.uid_len):
            buf[offset + i] = src[i]
        return self.uid_len

    def atqa_into(self, buf, offset=0):
        buf[offset] = self._atqa[0]
        buf[offset + 1] = self._atqa[1]
        return 2

    def ats_into(self, buf, offset=0):
        src = self._ats
        for i in range(self.ats_len):
            buf[offset + i] = src[i]
        return self.ats_len

    def same_uid(self, buf, n):
        """True when ``buf[:n]`` is this target's UID (lets a caller fire on UID change only)."""
        if n != self.uid_len:
            return False
        src = self._uid
        for i in range(n):
            if buf[i] != src[i]:
                return False
        return True
