# logring: the log's ring of pre-erased 4 KB flash sectors: headers, slot addresses, recovery.
# SPDX-License-Identifier: MIT
"""Sector layout (docs/log.md, "Layout on flash"):

====  ========================================================================================
0-3   magic ``b"HLS1"``
4-7   base: sequence number of the sector's first slot (u32)
8-11  epoch at base: seals before ``base``
12-19 prev_mac at base: MAC of the last seal before ``base`` (zero bytes for none)
20-23 first sequence number of the block open at ``base``
24-25 CRC-16/CCITT-FALSE over bytes 0-23
26    rolled: 0xFF while this sector is the head; 0x00 once the next sector was opened
27    0xFF (spare)
28-   452 slots of 9 bytes (docs/protocol.md)
====  ========================================================================================

Bases are contiguous (a sector is rolled only when full), so the sector and offset of any live
sequence number follow from the tail's base. The ring knows where things are; what the slots
mean (seals, epochs, torn slots) is ``firmware.log``'s business.
"""

from compat import const
from firmware import wire

HEADER = const(28)
SLOTS = const(452)
_ROLLED = const(26)
_MAGIC = b"HLS1"
# Header states.
ERASED = const(0)
GOOD = const(1)
BAD = const(2)


def _get32(b, o):
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]


def _put32(b, o, v):
    b[o] = (v >> 24) & 0xFF
    b[o + 1] = (v >> 16) & 0xFF
    b[o + 2] = (v >> 8) & 0xFF
    b[o + 3] = v & 0xFF


class Ring:
    """Sectors ``first .. first + count - 1`` of ``flash`` as a ring of log sectors."""

    def __init__(self, flash, first, count):
        self.flash = flash
        self.first = first
        self.count = count
        self.clean = bytearray(count)  # 1: known to be fully erased
        self.hdr = bytearray(HEADER)
        self.first_write = bytearray(HEADER + wire.SLOT)  # header + first slot: one program
        self.mark = bytes(1)  # the "rolled" byte
        self.blank_buf = bytearray(256)
        self.head = -1  # ring index of the head sector (-1: the log was never written)
        self.tail = -1
        self.head_base = 0
        self.tail_base = 0
        self.used = 0  # slots written in the head sector
        self.bad = []  # bases of live sectors whose header failed its CRC (inferred)

    # --- addressing ----------------------------------------------------------------------------

    def locate(self, seq):
        """(block, offset) of a live sequence number."""
        d = seq - self.tail_base
        return self.first + (self.tail + d // SLOTS) % self.count, HEADER + (d % SLOTS) * wire.SLOT

    def read(self, seq, buf, n):
        """Read slots seq .. seq+n-1 into buf[0 : 9n], across sector boundaries."""
        done = 0
        mv = memoryview(buf)
        while done < n:
            block, off = self.locate(seq + done)
            k = min(n - done, SLOTS - (off - HEADER) // wire.SLOT)
            self.flash.readblocks(block, mv[done * wire.SLOT : (done + k) * wire.SLOT], off)
            done += k

    def write_slot(self, seq, buf):
        """Program one slot (tap path: one 9-byte program; no tuple, so no allocation)."""
        d = seq - self.tail_base
        block = self.first + (self.tail + d // SLOTS) % self.count
        self.flash.writeblocks(block, buf, HEADER + (d % SLOTS) * wire.SLOT)

    # --- headers -------------------------------------------------------------------------------

    def read_header(self, idx):
        """ERASED, GOOD or BAD for ring sector ``idx``; its header bytes are in ``self.hdr``."""
        h = self.hdr
        self.flash.readblocks(self.first + idx, h, 0)
        blank = True
        for b in h:
            if b != 0xFF:
                blank = False
                break
        if blank:
            return ERASED
        for i in range(4):
            if h[i] != _MAGIC[i]:
                return BAD
        crc = wire.fingerprint16(h, 24)
        if h[24] != crc >> 8 or h[25] != crc & 0xFF:
            return BAD
        return GOOD

    def base(self):
        return _get32(self.hdr, 4)

    def chain(self, mac_out):
        """(epoch, block_start) at the base of the header in ``self.hdr``; prev_mac to mac_out."""
        h = self.hdr
        for i in range(8):
            mac_out[i] = h[12 + i]
        return _get32(h, 8), _get32(h, 20)

    def rolled(self):
        return self.hdr[_ROLLED] != 0xFF

    def open_next(self, epoch, prev_mac, block_start, slot):
        """Roll: mark the full head, then open the next sector with ``slot`` as its first slot.

        The caller made sure the next sector is clean. Two programs, no erase.
        """
        if self.head >= 0:
            self.flash.writeblocks(self.first + self.head, self.mark, _ROLLED)
            idx = (self.head + 1) % self.count
            base = self.head_base + SLOTS
        else:
            idx = 0 if self.tail < 0 else self.tail
            base = self.tail_base
        b = self.first_write
        for i in range(4):
            b[i] = _MAGIC[i]
        _put32(b, 4, base)
        _put32(b, 8, epoch)
        for i in range(8):
            b[12 + i] = prev_mac[i]
        _put32(b, 20, block_start)
        crc = wire.fingerprint16(b, 24)
        b[24] = crc >> 8
        b[25] = crc & 0xFF
        b[26] = 0xFF
        b[27] = 0xFF
        for i in range(wire.SLOT):
            b[HEADER + i] = slot[i]
        self.clean[idx] = 0
        self.flash.writeblocks(self.first + idx, b, 0)
        if self.head < 0:
            self.tail = idx
            self.tail_base = base
        self.head = idx
        self.head_base = base
        self.used = 1

    # --- space ---------------------------------------------------------------------------------

    def next_index(self):
        """Ring index the next roll opens (-1 when that is the tail: the ring is full)."""
        if self.head < 0:
            return 0 if self.tail < 0 else self.tail
        idx = (self.head + 1) % self.count
        return -1 if idx == self.tail else idx

    def is_blank(self, idx):
        """Read a whole sector and tell whether it is fully erased (a torn erase is not)."""
        buf = self.blank_buf
        block = self.first + idx
        for off in range(0, 4096, len(buf)):
            self.flash.readblocks(block, buf, off)
            for b in buf:
                if b != 0xFF:
                    return False
        return True

    def make_clean(self, idx):
        """Blank-check, and erase if needed, ring sector ``idx``; True if it erased."""
        if self.clean[idx]:
            return False
        erased = False
        if not self.is_blank(idx):
            self.flash.ioctl(6, self.first + idx)
            erased = True
        self.clean[idx] = 1
        return erased

    def drop_tail(self):
        """Erase the tail sector (the caller checked it is acknowledged and not the head)."""
        self.flash.ioctl(6, self.first + self.tail)
        self.clean[self.tail] = 1
        self.tail = (self.tail + 1) % self.count
        self.tail_base += SLOTS

    # --- recovery ------------------------------------------------------------------------------

    def recover(self, floor):
        """Find tail, head and the head's fill from the headers alone.

        ``floor``: sequence numbers below it are acknowledged and durably recorded as such, so
        a sector entirely below it is free (a reclaim erase may have been cut). Returns the
        ring index of a sector that must be erased before use (a torn roll), or -1.
        """
        best = -1
        best_base = -1
        for i in range(self.count):
            if self.read_header(i) == GOOD and self.base() > best_base:
                best = i
                best_base = self.base()
        if best < 0:
            self.head = self.tail = -1
            self.tail_base = self.head_base = floor
            return -1
        head, head_base = best, best_base
        # A full head whose "rolled" mark is set opened its successor: that one is live even if
        # its header is unreadable (bit flip), or it is a torn roll holding no slot yet.
        self.read_header(head)
        torn_roll = -1
        if self.rolled():
            nxt = (head + 1) % self.count
            state = self.read_header(nxt)
            if state == BAD:
                if self._any_slot(nxt):
                    head, head_base = nxt, head_base + SLOTS
                    self.bad.append(head_base)
                else:
                    torn_roll = nxt
        # Walk back over contiguous bases to the tail.
        tail, tail_base = head, head_base
        for _ in range(self.count - 1):
            j = (tail - 1) % self.count
            want = tail_base - SLOTS
            if want < 0 or want + SLOTS <= floor:
                break
            state = self.read_header(j)
            if state == GOOD and self.base() == want:
                pass
            elif state == BAD and j != torn_roll and self._any_slot(j):
                self.bad.append(want)
            else:
                break
            tail, tail_base = j, want
        self.head, self.head_base, self.tail, self.tail_base = head, head_base, tail, tail_base
        self.used = self._fill(head)
        return torn_roll

    def _any_slot(self, idx):
        return self._fill(idx) > 0

    def _fill(self, idx):
        """1 + index of the last slot of sector ``idx`` that is not erased."""
        buf = memoryview(self.blank_buf)
        per = len(buf) // wire.SLOT  # whole slots per read
        used = 0
        for s in range(0, SLOTS, per):
            n = min(per, SLOTS - s)
            self.flash.readblocks(self.first + idx, buf[: n * wire.SLOT], HEADER + s * wire.SLOT)
            for k in range(n * wire.SLOT):
                if buf[k] != 0xFF:
                    used = s + k // wire.SLOT + 1
        return used
