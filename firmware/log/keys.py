# keys: the log's current epoch key, kept in two raw flash sectors and destroyed by programming.
# SPDX-License-Identifier: MIT
"""Key store for forward security (docs/log.md, "Forward security").

The current epoch key lives in raw NOR sectors, never on littlefs: littlefs writes copy-on-write,
so an overwritten file can leave the old key readable in a stale block. On NOR flash a program
can clear any bit without an erase, so the old key is destroyed by programming its record to all
zero bytes, right after the next key is durable.

Record (40 bytes, 102 per 4 KB sector, each key written twice): ``b"HK"`` | epoch u32 |
key 32 | CRC-16 over bytes 0-37.
Two sectors A/B: records are appended in one until it is full, then the next record opens the
other sector and the full one is erased later by ``maintain``.
"""

from compat import const
from firmware import wire
from firmware.log.layout import copy, crc_ok, get32, put32, put_crc

_REC = const(40)
PER_SECTOR = const(102)
_CRC_AT = const(38)


class KeyStore:
    """Current (epoch, key) of a terminal; ``blocks`` are the two sector numbers it owns."""

    def __init__(self, flash, block_a, block_b):
        self.flash = flash
        self.blocks = (block_a, block_b)
        self.rec = bytearray(_REC)
        self.zero = bytes(_REC)
        self.key = None  # the current key, or None before install
        self.epoch = -1
        self.sector = 0  # which of the two sectors holds the current record
        self.pos = 0  # next free record index in that sector
        self.dirty_other = False  # the other sector holds dead records and wants an erase
        self.current = []  # (sector, index) of the copies of the current key
        self.scrubbed = 0  # records zeroed on recovery (torn writes, keys not yet destroyed)
        self._recover()

    def _valid(self):
        r = self.rec
        return r[0] == 0x48 and r[1] == 0x4B and crc_ok(r, _CRC_AT)  # "HK"

    def _read(self, sector, i):
        self.flash.readblocks(self.blocks[sector], self.rec, i * _REC)

    def _blank(self):
        for b in self.rec:
            if b != 0xFF:
                return False
        return True

    def _zeroed(self):
        for b in self.rec:
            if b:
                return False
        return True

    def _epoch_of_rec(self):
        return get32(self.rec, 2)

    def _recover(self):
        best = -1
        last = [-1, -1]  # highest non-blank record index per sector
        for s in (0, 1):
            for i in range(PER_SECTOR):
                self._read(s, i)
                if self._blank():
                    continue
                last[s] = i
                if self._valid() and self._epoch_of_rec() > best:
                    best = self._epoch_of_rec()
                    self.sector = s
        s = self.sector
        self.pos = last[s] + 1
        self.dirty_other = last[1 - s] >= 0
        if best < 0:
            return
        self.epoch = best
        # Keep the copies of the newest key; destroy every other record: older keys left by a
        # cut between "new key written" and "old key zeroed", and torn records that may hold
        # part of a key.
        for t in (0, 1):
            for j in range(last[t] + 1):
                self._read(t, j)
                if self._valid() and self._epoch_of_rec() == best:
                    self.key = bytes(self.rec[6:38])
                    self.current.append((t, j))
                elif not self._zeroed() and not self._blank():
                    self.flash.writeblocks(self.blocks[t], self.zero, j * _REC)
                    self.scrubbed += 1

    def store(self, epoch, key):
        """Make (epoch, key) the current key durably (two copies, so one bit flip cannot lose
        it), then destroy the previous records by programming them to zero."""
        r = self.rec
        r[0] = 0x48
        r[1] = 0x4B
        put32(r, 2, epoch)
        copy(r, 6, key, 0, 32)
        put_crc(r, _CRC_AT)
        old = self.current
        self.current = []
        if self.pos > PER_SECTOR - 2:  # both copies go in one sector
            self.sector = 1 - self.sector
            self.pos = 0
            if self.dirty_other:
                self.flash.ioctl(6, self.blocks[self.sector])  # maintain() normally did it
            self.dirty_other = True
        for _ in range(2):
            self.flash.writeblocks(self.blocks[self.sector], r, self.pos * _REC)
            self.current.append((self.sector, self.pos))
            self.pos += 1
        for t, j in old:
            self.flash.writeblocks(self.blocks[t], self.zero, j * _REC)
        self.key = bytes(key)
        self.epoch = epoch

    def evolve(self):
        self.store(self.epoch + 1, wire.evolve_key(self.key))

    def maintain(self):
        """Erase the sector that holds only dead records; True if it erased (one erase)."""
        if self.dirty_other:
            self.flash.ioctl(6, self.blocks[1 - self.sector])
            self.dirty_other = False
            return True
        return False
