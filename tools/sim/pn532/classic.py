# classic: MIFARE Classic 1K/4K card model (sectors, keys, access bits) and a Gen1a magic clone.
# SPDX-License-Identifier: MIT
"""MIFARE Classic as the PN532 host sees it through InDataExchange (UM0701-02 §7.3.8).

Memory, trailers and access conditions follow MF1S50yy (1K) / MF1S70yy (4K) §8.6-§8.7. The PN532
runs Crypto1 itself, so the model checks what decides the outcome: the key, and the UID bytes the
host passes (for a 7-byte UID the last four, UID3..UID6, NXP AN10927). A failed
authentication, or an access the conditions forbid, sends the card to HALT: it answers nothing
until it is selected again (MF1S50yy, state diagram).
"""

from compat import const
from tools.sim.pn532.card import MIFARE_ERROR, OK, TIMEOUT, Card, bcc

_AUTH_A = const(0x60)
_AUTH_B = const(0x61)
_READ = const(0x30)
_WRITE = const(0xA0)
_TRANSPORT_TRAILER = b"\xff" * 6 + b"\xff\x07\x80\x69" + b"\xff" * 6  # MF1S50yy §8.7.1

# Data block access (C1 C2 C3 as a 3-bit number), MF1S50yy §8.7.3 table: who may read / write.
_A, _B, _AB, _NEVER = 1, 2, 3, 0
_DATA_READ = (_AB, _AB, _AB, _B, _AB, _B, _AB, _NEVER)
_DATA_WRITE = (_AB, _NEVER, _NEVER, _B, _B, _NEVER, _B, _NEVER)
_KEY_B_READABLE = (0, 1, 2)  # trailer conditions where key B is data, not a key (§8.7.2)


class Classic(Card):
    """MIFARE Classic 1K (``blocks=64``) or 4K (``blocks=256``) with a 4- or 7-byte UID."""

    name = "classic"

    def __init__(self, uid, blocks=64):
        uid = bytes(uid)
        big = len(uid) == 7
        # ATQA/SAK from NXP AN10833: 1K 0004/08 (7-byte 0044), 4K 0002/18 (0042).
        atqa = (
            (b"\x00\x44" if big else b"\x00\x04")
            if blocks == 64
            else (b"\x00\x42" if big else b"\x00\x02")
        )
        super().__init__(uid, atqa, 0x08 if blocks == 64 else 0x18)
        self.blocks = blocks
        self.mem = bytearray(blocks * 16)
        for b in range(blocks):
            if self.is_trailer(b):
                self.mem[b * 16 : b * 16 + 16] = _TRANSPORT_TRAILER
        # Block 0, the manufacturer block (§8.6.1): UID, BCC (4-byte UID), SAK, ATQA LSB first.
        head = uid + bytes((bcc(uid),)) if not big else uid
        head += bytes((self.sak, self.atqa[1], self.atqa[0]))
        self.mem[0 : len(head)] = head
        self._auth = None  # (sector, key) after a successful authentication

    @staticmethod
    def sector_of(block):
        return block // 4 if block < 128 else 32 + (block - 128) // 16

    def trailer_of(self, block):
        if block < 128:
            return block | 3
        return block | 15

    def is_trailer(self, block):
        return self.trailer_of(block) == block

    def _cond(self, block):
        """Access condition C1C2C3 of ``block`` from its sector trailer bytes 7 and 8 (§8.7.1)."""
        t = self.trailer_of(block) * 16
        if block == t // 16:
            g = 3
        elif block < 128:
            g = block & 3
        else:
            g = (block & 15) // 5  # 16-block sectors: groups of five data blocks (§8.7.1, 4K)
        b7, b8 = self.mem[t + 7], self.mem[t + 8]
        return ((b7 >> (4 + g)) & 1) << 2 | ((b8 >> g) & 1) << 1 | ((b8 >> (4 + g)) & 1)

    def auth_uid(self):
        return self.uid[-4:]

    def reset_session(self):
        self._auth = None

    def _fail(self):
        self.halt()
        return MIFARE_ERROR, b""

    def _key_for(self, block):
        """The key (_A or _B) the sector of ``block`` is authenticated with, or 0."""
        auth = self._auth
        if auth is None or auth[0] != self.sector_of(block):
            return 0
        return auth[1]

    def _may(self, block, table):
        key = self._key_for(block)
        if not key:
            return False
        if key == _B and self._cond(self.trailer_of(block)) in _KEY_B_READABLE:
            return False
        return bool(table[self._cond(block)] & key)

    def exchange(self, data):
        if self.halted or not data:
            return TIMEOUT, b""
        cmd = data[0]
        block = data[1] if len(data) > 1 else 0xFFFF
        if block >= self.blocks:
            return self._fail()
        if cmd in (_AUTH_A, _AUTH_B):
            if len(data) < 12:
                return self._fail()
            t = self.trailer_of(block) * 16
            key = self.mem[t : t + 6] if cmd == _AUTH_A else self.mem[t + 10 : t + 16]
            if bytes(data[2:8]) != bytes(key) or bytes(data[8:12]) != self.auth_uid():
                return self._fail()
            self._auth = (self.sector_of(block), _A if cmd == _AUTH_A else _B)
            return OK, b""
        if cmd == _READ:
            return self._read(block)
        if cmd == _WRITE and len(data) >= 18:
            return self._write(block, data[2:18])
        return self._fail()

    def _read(self, block):
        at = block * 16
        if self.is_trailer(block):
            key = self._key_for(block)
            if not key:
                return self._fail()
            out = bytearray(self.mem[at : at + 16])
            out[0:6] = bytes(6)  # key A is never readable (§8.7.2)
            if self._cond(block) not in _KEY_B_READABLE or key != _A:
                out[10:16] = bytes(6)
            return OK, bytes(out)
        if not self._may(block, _DATA_READ):
            return self._fail()
        return OK, bytes(self.mem[at : at + 16])

    def _write(self, block, data):
        if block == 0:
            return self._fail()  # the manufacturer block is read-only on genuine cards (§8.6.1)
        if self.is_trailer(block):
            # Simplified §8.7.2: the whole trailer is writable with key A under 001, B under 011.
            cond, key = self._cond(block), self._key_for(block)
            ok = (cond == 1 and key == _A) or (cond == 3 and key == _B)
        else:
            ok = self._may(block, _DATA_WRITE)
        if not ok:
            return self._fail()
        self.mem[block * 16 : block * 16 + 16] = data
        return OK, b""


class Gen1a(Classic):
    """A "Chinese magic" Gen1a clone: answers the 7-bit 0x40 backdoor with the 4-bit ACK 0x0A,
    then reads and writes any block (block 0 included) without authentication."""

    name = "gen1a"

    def __init__(self, uid, blocks=64):
        super().__init__(uid, blocks)
        self._backdoor = False

    def reset_session(self):
        super().reset_session()
        self._backdoor = False

    def thru(self, data, last_bits):
        if last_bits == 7 and len(data) == 1 and data[0] == 0x40:
            self.halted = False
            self._backdoor = True
            return OK, b"\x0a"
        if self._backdoor and last_bits == 0 and len(data) == 1 and data[0] == 0x43:
            return OK, b"\x0a"
        if self._backdoor and last_bits == 0 and data and data[0] in (_READ, _WRITE):
            return self._raw(data)
        return super().thru(data, last_bits)

    def _raw(self, data):
        block = data[1] if len(data) > 1 else 0xFFFF
        if block >= self.blocks:
            return TIMEOUT, b""
        at = block * 16
        if data[0] == _READ:
            return OK, bytes(self.mem[at : at + 16])
        if len(data) < 18:
            return TIMEOUT, b""
        self.mem[at : at + 16] = data[2:18]
        return OK, b""
