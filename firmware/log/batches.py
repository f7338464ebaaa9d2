# batches: the chain of seals; the log read back (seal MACs, chain walk, batches) off the tap path.
# SPDX-License-Identifier: MIT
"""``Chain``: where the chain of seals stands at the first slot of a block. Every block ends in a
SEAL whose MAC covers the block and the previous seal's MAC, under the key of the block's epoch
(docs/protocol.md, "Seal"); signing, checking or sending a block needs that state at its first
slot. The log keeps two (``Log.open``, the block being written; ``Log.floor``, the first block
not wholly acknowledged); recovery rebuilds both.

``Reader(ring, keys, terminal_id, report)`` reads slots back a chunk at a time (32 slots, so a
4,096-slot block needs no 36 KB buffer) and allocates freely: it never runs on the tap path.

- ``seal_mac(chain, n)``: ``wire.seal_mac`` of the ``n`` slots from ``chain.seq``, streamed;
- ``follow(chain, start, end)``: the chain walk over slots already on flash;
- ``outgoing``: the next signed batch (docs/protocol.md) of whole blocks as an ``Outgoing``, read
  from flash piece by piece while it is sent: the uplink's, in a few hundred bytes of heap
  whatever its size (a block longer than the batch asked for goes whole, as the protocol wants);
- ``status_request``, ``batch``, ``batches``: signed batches in one buffer each (hosts, tests);
- ``stream``: the batch handed to a callback piece by piece (``tools pull``).

Corrupt slots a batch meets (CRC) are passed to ``report`` once each; the log writes them as
STORAGE/3 slots.
"""

import struct

from compat import const
from firmware import wire
from firmware.log.layout import copy
from firmware.log.ring import SLOTS
from hmac_sha256 import HmacSha256

_CHUNK = const(32)  # slots read at a time
_PREV_MAC_AT = const(18)  # batch header: magic, terminal_id, first_seq, count, epoch, then these
_HEALTH_AT = const(26)


class Chain:
    """``seq``: first sequence number of a block; ``epoch``: seals before it; ``mac``: the last
    seal's MAC before it (8 zero bytes when there is none)."""

    def __init__(self, seq=0, epoch=0, mac=None):
        self.seq = seq
        self.epoch = epoch
        self.mac = bytearray(wire.MAC_LEN)
        if mac is not None:
            copy(self.mac, 0, mac, 0, wire.MAC_LEN)

    def set(self, seq, epoch, mac, at=0):
        """Take ``seq``, ``epoch`` and the 8 MAC bytes at mac[at:]."""
        self.seq = seq
        self.epoch = epoch
        copy(self.mac, 0, mac, at, wire.MAC_LEN)

    def take(self, other):
        self.set(other.seq, other.epoch, other.mac)

    def sealed(self, seal_seq, mac, at=0):
        """The block ended in a seal at ``seal_seq`` with the MAC at mac[at:]: move past it."""
        self.set(seal_seq + 1, self.epoch + 1, mac, at)


class Reader:
    def __init__(self, ring, keys, terminal_id, report):
        self.ring = ring
        self.keys = keys
        self.terminal_id = terminal_id
        self.buf = bytearray(_CHUNK * wire.SLOT)  # scratch for anyone reading the ring back
        self._hmac = HmacSha256()  # re-keyed for each seal: the key evolves at every one
        self._report = report
        self._checked = 0  # batches have CRC-checked every slot below this

    def seal_mac(self, chain, n):
        """wire.seal_mac of slots chain.seq .. chain.seq+n-1 under the current key."""
        key = self.keys.key
        if key is None:
            raise ValueError("no key installed")
        mac = self._hmac
        mac.rekey(key)
        inner = mac.start()
        inner.update(struct.pack(">4sIIIH", b"HDS1", self.terminal_id, chain.epoch, chain.seq, n))
        inner.update(chain.mac)
        buf = self.buf
        mv = memoryview(buf)
        done = 0
        while done < n:
            k = min(_CHUNK, n - done)
            self.ring.read(chain.seq + done, buf, k)
            inner.update(mv[: k * wire.SLOT])
            done += k
        return mac.finish(inner)[: wire.MAC_LEN]

    def follow(self, chain, start, end):
        """Follow the seals over slots start .. end-1 from ``chain`` (its state at ``start``):
        True when one was found, and ``chain`` is then the block after the last of them. Its
        ``mac`` runs along in place either way.

        At each sector base the chain restarts from that sector's header, so a slot whose kind
        a bit flip turned into SEAL misleads the count for the rest of its sector only.
        """
        ring = self.ring
        buf = self.buf
        mac = chain.mac
        epoch = chain.epoch
        after = -1
        seq = start
        while seq < end:
            into = (seq - ring.tail_base) % SLOTS
            if into == 0:
                at = ring.header_chain(ring.index_of(seq), mac)
                if at is not None:
                    epoch = at[0]  # the header says what the chain is at its base
            n = min(_CHUNK, end - seq, SLOTS - into)
            ring.read(seq, buf, n)
            for i in range(n):
                o = i * wire.SLOT
                if buf[o] >> 4 == wire.SEAL:
                    epoch += 1
                    for k in range(wire.MAC_LEN):
                        mac[k] = buf[o + 1 + k]
                    after = seq + i + 1
            seq += n
        if after < 0:
            return False
        chain.seq = after
        chain.epoch = epoch
        return True

    def status_request(self, chain, health24):
        """A count-0 batch at the end of the log, signed with the current key."""
        return wire.encode_batch(
            self.terminal_id, self.ring.end, chain.epoch, chain.mac, health24, b"",
            self.keys.key,
        )  # fmt: skip

    def signed_report(self, chain, health24, part):
        """A report (``wire.encode_report``): a status request whose request MAC also covers
        ``part`` (``wire.report_part``), signed with the current key."""
        signed = self.status_request(chain, health24)[: wire.HEADER_LEN]
        return wire.encode_report(signed, part, self.keys.key)

    def outgoing(self, start, health24, max_slots):
        """The batch of whole sealed blocks from ``start`` (a Chain at the first slot of a
        block), at most ``max_slots`` slots unless one block is longer (it goes whole: never
        above 4,096), as an ``Outgoing``: read from flash piece by piece as it is sent, never
        held whole. None when nothing is left from ``start`` on."""
        avail = self.ring.end - start.seq
        if avail <= 0:
            return None
        first = start.seq
        count = self._batch_count(first, avail, max_slots)
        return Outgoing(self, first, count, start, health24)

    def batch(self, start, health24, max_slots):
        """``outgoing``'s batch in one buffer of its own size (hosts, tests, ``tools``): the
        terminal's uplink sends ``outgoing`` instead and never holds a batch whole."""
        out = self.outgoing(start, health24, max_slots)
        return None if out is None else out.whole()

    def _batch_count(self, first, avail, max_slots):
        """Slots of the batch from ``first``: whole blocks within ``max_slots``, else the one
        block there (up to 4,096 slots); 0 when no seal is in reach."""
        count = self._sealed_end(first, min(avail, max_slots), True)
        if count == 0:  # one block longer than max_slots: it goes whole
            count = self._sealed_end(first, min(avail, wire.MAX_BATCH_SLOTS), False)
        return count

    def _sealed_end(self, first, n, last):
        """Slots from ``first`` through the last seal (``last``) or the first seal among the
        next ``n``; 0 when there is none."""
        buf = self.buf
        end = 0
        done = 0
        while done < n:
            k = min(_CHUNK, n - done)
            self.ring.read(first + done, buf, k)
            for i in range(k):
                if buf[i * wire.SLOT] >> 4 == wire.SEAL:
                    end = done + i + 1
                    if not last:
                        return end
            done += k
        return end

    def stream(self, start, health24, max_slots, emit):
        """The batch ``batch`` would build, given to ``emit`` in pieces (``Outgoing``) and never
        held whole; its slot count (0: nothing to send)."""
        out = self.outgoing(start, health24, max_slots)
        if out is None or out.count == 0:
            return 0
        for piece in out:
            emit(piece)
        return out.count

    def check(self, buf, at, seq, n):
        """Report the CRC-corrupt slots among the ``n`` at buf[at:] from ``seq`` on, once each."""
        for i in range(max(0, self._checked - seq), n):
            if wire.slot_state(buf, at + i * wire.SLOT) == wire.CORRUPT:
                self._report(seq + i)
        if seq + n > self._checked:
            self._checked = seq + n

    def batches(self, start, health24, max_slots):
        """Every batch from ``start`` to the end, each starting where the one before ended, as
        if each had been acknowledged; ``start`` itself is not moved."""
        at = Chain(start.seq, start.epoch, start.mac)
        while at.seq < self.ring.end:
            body = self.batch(at, health24, max_slots)
            count = 0 if body is None else (body[12] << 8) | body[13]
            if count == 0:
                return
            yield body
            body = None  # the next batch may reuse its memory
            if not self.follow(at, at.seq, at.seq + count):
                return


class Outgoing:
    """A signed batch (docs/protocol.md, "Batch") as it goes out: ``len()`` bytes, iterated as
    pieces -- the 50-byte header, up to 32 slots at a time read from flash, the request MAC --
    and never held whole, so sending one takes the same few hundred bytes of heap whatever its
    size (a 1,001-slot block is 9 KB, a 4,095-slot one 37 KB: on a board without PSRAM the GC
    heap may have that much free but not in one piece). Each piece is valid until the next is
    asked for. ``mac`` is the request MAC once the last piece was taken (the reply is bound to
    it), None before.

    The key, the chain state and the health are taken when it is made: a seal the reader task
    makes while the batch is on its way (between two pieces) changes none of its bytes."""

    def __init__(self, reader, first, count, chain, health24):
        key = reader.keys.key
        if key is None:
            raise ValueError("no key installed")
        if len(health24) != wire.HEALTH_LEN:
            raise wire.WireError("health is 24 bytes")
        self.first = first
        self.count = count
        self.mac = None
        self._reader = reader
        head = bytearray(wire.HEADER_LEN)
        struct.pack_into(">4sIIHI", head, 0, b"HDB1", reader.terminal_id, first, count,
                         chain.epoch)  # fmt: skip
        copy(head, _PREV_MAC_AT, chain.mac, 0, wire.MAC_LEN)
        copy(head, _HEALTH_AT, health24, 0, wire.HEALTH_LEN)
        self._head = head
        # Signed with the only key the terminal has: the current one (docs/log.md, "Batches").
        self._hmac = HmacSha256(key)

    def __len__(self):
        return wire.HEADER_LEN + self.count * wire.SLOT + wire.REQUEST_MAC_LEN

    def __iter__(self):
        reader = self._reader
        inner = self._hmac.start()
        inner.update(b"HDR1")
        inner.update(self._head)
        yield self._head
        buf = bytearray(_CHUNK * wire.SLOT)  # its own: the reader's may be used meanwhile
        mv = memoryview(buf)
        first = self.first
        done = 0
        while done < self.count:
            k = min(_CHUNK, self.count - done)
            reader.ring.read(first + done, buf, k)
            reader.check(buf, 0, first + done, k)
            piece = mv[: k * wire.SLOT]
            inner.update(piece)
            yield piece
            done += k
        self.mac = self._hmac.finish(inner)[: wire.REQUEST_MAC_LEN]
        yield self.mac

    def whole(self):
        """The batch in one bytearray of ``len()`` bytes, built in place: the slots read from
        flash straight into it, the request MAC streamed over it (its own size of heap)."""
        reader = self._reader
        size = len(self) - wire.REQUEST_MAC_LEN
        body = bytearray(size + wire.REQUEST_MAC_LEN)
        copy(body, 0, self._head, 0, wire.HEADER_LEN)
        mv = memoryview(body)
        reader.ring.read(self.first, mv[wire.HEADER_LEN : size], self.count)
        reader.check(body, wire.HEADER_LEN, self.first, self.count)
        inner = self._hmac.start()
        inner.update(b"HDR1")
        inner.update(mv[:size])
        self.mac = self._hmac.finish(inner)[: wire.REQUEST_MAC_LEN]
        copy(body, size, self.mac, 0, wire.REQUEST_MAC_LEN)
        return body
