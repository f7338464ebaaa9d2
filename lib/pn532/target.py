# pn532.target: the one preallocated record of the card the PN532 last activated.
# SPDX-License-Identifier: MIT
"""``Target`` holds what InListPassiveTarget (UM0701-02 §7.3.5) reports for a 106 kbps type A card.

The driver fills one ``Target`` in place for every poll, so its raw fields live in buffers made
once. ``uid``, ``atqa`` and ``ats`` build ``bytes`` on access (convenient, allocates); the tap path
uses ``uid_len``, ``uid_into(buf)``, ``atqa_into(buf)`` and ``ats_into(buf)``, which allocate
nothing. ``ats`` is the Answer To Select as the chip reports it, length byte TL first.
"""

from compat import const

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
