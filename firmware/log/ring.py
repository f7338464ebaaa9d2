# ring: the log's ring of pre-erased 4 KB flash sectors: headers, slot addresses, recovery.
# SPDX-License-Identifier: MIT
"""Sectors of 4 KB: a 28-byte header (``firmware.log.layout``), then 452 slots of 9 bytes.

Bases are contiguous (a sector is rolled only when full), so the sector and offset of any live
sequence number follow from the tail's base. The ring knows where things are and owns its
counters (``head``, ``tail``, ``head_base``, ``tail_base``, ``used``: read them, never write
them); what the slots mean (seals, epochs, torn slots) is ``firmware.log``'s business.

Tap path: ``put`` (one program; two at a roll, into a sector ``prepare_next`` erased earlier),
``end`` and ``free``. Everything that erases (``prepare_next``, ``reclaim``) runs in
``Log.maintain``.
"""

from compat import const
from firmware import wire
from firmware.log import layout
from firmware.log.layout import BAD, GOOD, HEADER

SLOTS = const(452)


class Ring:
    """Sectors ``first .. first + count - 1`` of ``flash`` as a ring of log sectors."""

    def __init__(self, flash, first, count):
        self.flash = flash
        self.first = first
        self.count = count
        self._clean = bytearray(count)  # 1: known to be fully erased
        self._hdr = bytearray(HEADER)  # the header read last
        self._first = bytearray(HEADER + wire.SLOT)  # header + first slot: one program
        self._mark = bytes(1)  # the "rolled" byte
        self._buf = bytearray(256)
        self.head = -1  # ring index of the head sector (-1: the log was never written)
        self.tail = -1
        self.head_base = 0
        self.tail_base = 0
        self.used = 0  # slots written in the head sector
        self.bad = []  # bases of live sectors whose header failed its CRC (inferred)

    # --- addressing ----------------------------------------------------------------------------

    @property
    def empty(self):
        """True while the log was never written (no sector holds a header)."""
        return self.head < 0

    @property
    def end(self):
        """The next sequence number to write."""
        return self.tail_base if self.head < 0 else self.head_base + self.used

    @property
    def capacity(self):
        return self.count * SLOTS

    @property
    def free(self):
        """Slots left before the ring is full: capacity minus the live slots from the tail."""
        return self.count * SLOTS - (self.end - self.tail_base)

    def index_of(self, seq):
        """Ring index of the sector that holds live sequence number ``seq``."""
        return (self.tail + (seq - self.tail_base) // SLOTS) % self.count

    def read(self, seq, buf, n):
        """Read slots seq .. seq+n-1 into buf[0 : 9n], across sector boundaries."""
        done = 0
        mv = memoryview(buf)
        while done < n:
            into = (seq + done - self.tail_base) % SLOTS
            k = min(n - done, SLOTS - into)
            self.flash.readblocks(
                self.first + self.index_of(seq + done),
                mv[done * wire.SLOT : (done + k) * wire.SLOT],
                HEADER + into * wire.SLOT,
            )
            done += k

    def write_slot(self, seq, buf):
        """Program one live slot in place (tap path: one 9-byte program, no allocation)."""
        into = (seq - self.tail_base) % SLOTS
        self.flash.writeblocks(self.first + self.index_of(seq), buf, HEADER + into * wire.SLOT)

    def put(self, slot, epoch, prev_mac, block_start):
        """Program ``slot`` at ``end``; False when the ring is full. Tap path: no allocation.

        At a roll the new sector's header records the chain of the open block (its ``epoch``,
        ``prev_mac`` and first sequence number ``block_start``) as it stands at the new base.
        """
        if self.head >= 0 and self.used < SLOTS:
            self.write_slot(self.head_base + self.used, slot)
            self.used += 1
            return True
        idx = self._next_index()
        if idx < 0:
            return False
        self._make_clean(idx)  # no-op when maintain() pre-erased it, as it normally has
        self._open_next(epoch, prev_mac, block_start, slot)
        return True

    # --- headers -------------------------------------------------------------------------------

    def _read_header(self, idx):
        """ERASED, GOOD or BAD for ring sector ``idx``, whose header stays in ``self._hdr``."""
        self.flash.readblocks(self.first + idx, self._hdr, 0)
        return layout.header_state(self._hdr)

    def header_chain(self, idx, mac_out):
        """(epoch, block_start) at the base of ring sector ``idx`` from its header, prev_mac to
        ``mac_out``; None when the header is not GOOD."""
        if self._read_header(idx) != GOOD:
            return None
        return layout.header_chain(self._hdr, mac_out)

    def _open_next(self, epoch, prev_mac, block_start, slot):
        """Roll: mark the full head, then open the next sector with ``slot`` as its first slot.

        The caller made sure the next sector is clean. Two programs, no erase.
        """
        if self.head >= 0:
            self.flash.writeblocks(self.first + self.head, self._mark, layout.ROLLED)
            idx = (self.head + 1) % self.count
            base = self.head_base + SLOTS
        else:
            idx = 0 if self.tail < 0 else self.tail
            base = self.tail_base
        layout.build_header(self._first, base, epoch, prev_mac, block_start, slot)
        self._clean[idx] = 0
        self.flash.writeblocks(self.first + idx, self._first, 0)
        if self.head < 0:
            self.tail = idx
            self.tail_base = base
        self.head = idx
        self.head_base = base
        self.used = 1

    # --- space ---------------------------------------------------------------------------------

    def _next_index(self):
        """Ring index the next roll opens (-1 when that is the tail: the ring is full)."""
        if self.head < 0:
            return 0 if self.tail < 0 else self.tail
        idx = (self.head + 1) % self.count
        return -1 if idx == self.tail else idx

    def _is_blank(self, idx):
        """Read a whole sector and tell whether it is fully erased (a torn erase is not)."""
        buf = self._buf
        block = self.first + idx
        for off in range(0, 4096, len(buf)):
            self.flash.readblocks(block, buf, off)
            for b in buf:
                if b != 0xFF:
                    return False
        return True

    def _make_clean(self, idx):
        """Blank-check, and erase if needed, ring sector ``idx``; True if it erased."""
        if self._clean[idx]:
            return False
        erased = False
        if not self._is_blank(idx):
            self.flash.ioctl(6, self.first + idx)
            erased = True
        self._clean[idx] = 1
        return erased

    def prepare_next(self):
        """Blank-check (and erase if needed) the sector the next roll opens, unless it is known
        clean; True if that took a check or an erase."""
        idx = self._next_index()
        if idx < 0 or self._clean[idx]:
            return False
        self._make_clean(idx)
        return True

    def reclaim(self, below):
        """Erase the tail sector if every slot in it is below ``below`` and it is not the head;
        True if it erased."""
        if self.head < 0 or self.tail == self.head or self.tail_base + SLOTS > below:
            return False
        self.flash.ioctl(6, self.first + self.tail)
        self._clean[self.tail] = 1
        self.tail = (self.tail + 1) % self.count
        self.tail_base += SLOTS
        return True

    # --- recovery ------------------------------------------------------------------------------

    def recover(self, floor):
        """Find tail, head and the head's fill from the headers alone.

        ``floor``: sequence numbers below it are acknowledged and durably recorded as such, so
        a sector entirely below it is free (a reclaim erase may have been cut). A torn roll
        (a successor opened but holding no slot) is marked for an erase before use; sectors
        whose header is bad but which hold slots are listed in ``bad`` by their bases.
        """
        best = -1
        best_base = -1
        for i in range(self.count):
            if self._read_header(i) == GOOD and layout.header_base(self._hdr) > best_base:
                best = i
                best_base = layout.header_base(self._hdr)
        if best < 0:
            self.head = self.tail = -1
            self.tail_base = self.head_base = floor
            return
        head, head_base = best, best_base
        # A full head whose "rolled" mark is set opened its successor: that one is live even if
        # its header is unreadable (bit flip), or it is a torn roll holding no slot yet.
        self._read_header(head)
        torn_roll = -1
        if layout.header_rolled(self._hdr):
            nxt = (head + 1) % self.count
            state = self._read_header(nxt)
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
            state = self._read_header(j)
            if state == GOOD and layout.header_base(self._hdr) == want:
                pass
            elif state == BAD and j != torn_roll and self._any_slot(j):
                self.bad.append(want)
            else:
                break
            tail, tail_base = j, want
        self.head, self.head_base, self.tail, self.tail_base = head, head_base, tail, tail_base
        self.used = self._fill(head)
        if torn_roll >= 0:
            self._clean[torn_roll] = 0

    def _any_slot(self, idx):
        return self._fill(idx) > 0

    def _fill(self, idx):
        """1 + index of the last slot of sector ``idx`` that is not erased."""
        buf = memoryview(self._buf)
        per = len(buf) // wire.SLOT  # whole slots per read
        used = 0
        for s in range(0, SLOTS, per):
            n = min(per, SLOTS - s)
            self.flash.readblocks(self.first + idx, buf[: n * wire.SLOT], HEADER + s * wire.SLOT)
            for k in range(n * wire.SLOT):
                if buf[k] != 0xFF:
                    used = s + k // wire.SLOT + 1
        return used
