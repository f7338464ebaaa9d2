# log: hadir's offline attendance log: durable 9-byte slots, sealed blocks, forward-secure keys.
# SPDX-License-Identifier: MIT
"""The terminal's log (docs/log.md), on a raw flash partition plus one state file.

    log = Log(esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0], "/data", 7)
    if not log.has_key(): log.install_key(k0)
    log.boot(door_id=1)
    seq = log.append(wire.TAP, wire.CARD_ENROLLED, token4, uptime_ms)  # durable: now beep
    log.maintain()                     # after feedback: pre-erase, reclaim, 80 % warning
    out = log.outgoing(health24, 256)  # seals; a signed batch sent piece by piece (uplink)
    body = log.batch(health24)         # the same in one buffer; POST it, then log.ack(acked)
    for body in log.batches(health24): ...  # the whole backlog, nothing acknowledged

Blocks 0-1 of the partition hold the epoch key (``firmware.log.keys``), the rest is a ring of
sectors of 452 slots (``firmware.log.ring``). ``append`` is one program of 9 bytes (two at a
sector roll), no erase and no allocation; every erase happens in ``maintain``.

Errors: ``LogFull`` (a subclass of ``LogError``) when a tap cannot be stored; ``LogError`` for
misuse (sealing without a key, installing a second key). Flash errors propagate as OSError.
"""

from compat import const
from firmware import wire
from firmware.log.batches import Chain, Outgoing, Reader
from firmware.log.keys import PER_SECTOR, KeyStore
from firmware.log.recover import recover
from firmware.log.ring import SLOTS, Ring
from firmware.log.state import StateDir

_KEY_BLOCKS = const(2)
_MIN_RING = const(2)  # a ring of one sector never reclaims it (tail = head): full for good
_RESERVE = const(8)  # slots only seals, boot, clock and storage events may use: a full log syncs
_BLOCK_MAX = const(4095)  # a block plus its seal is one full batch
_MAX_REPORTS = const(8)


class LogError(Exception):
    pass


class LogFull(LogError):
    pass


class Log:
    def __init__(self, flash, state_dir, terminal_id, block_slots=1000):
        """``block_slots``: ``maintain`` seals an open block this long, so every block fits a
        batch of ``block_slots + 1`` slots; a block longer than the batch asked for still goes
        whole, as the protocol sends blocks. The uplink sends a batch piece by piece
        (``outgoing``: a few hundred bytes of heap whatever its size); ``batch`` holds one
        whole (9 KB for 1,000 slots, 37 KB for 4,096)."""
        if not 1 <= block_slots < _BLOCK_MAX:
            raise LogError("block_slots must be 1 .. 4094")
        if flash.ioctl(4, 0) < _KEY_BLOCKS + _MIN_RING:
            raise LogError("the log needs 4 blocks or more (2 for keys, 2+ for the ring)")
        self.block_slots = block_slots
        self.terminal_id = terminal_id
        self.keys = KeyStore(flash, 0, 1)
        self.ring = Ring(flash, _KEY_BLOCKS, flash.ioctl(4, 0) - _KEY_BLOCKS)
        self.state = StateDir(state_dir) if isinstance(state_dir, str) else state_dir
        self.reports = []  # sequence numbers of corrupt slots found, to write as STORAGE/3
        self._reader = Reader(self.ring, self.keys, terminal_id, self.report)
        self._slot = bytearray(wire.SLOT)
        self._uptime = 0  # of the last append: dates events the log writes itself
        self._warned = False
        self._full_noted = False
        found = recover(self.ring, self.keys, self.state, self._reader, self._slot)
        self.open = found.open  # chain state at the first slot of the block being written
        self.floor = found.floor  # ... of the first block not wholly acknowledged
        self._acked = found.acked
        self._saved_floor = found.saved_floor  # the floor as the state file holds it
        self._boot = found.boot
        for seq in found.reports:
            self.report(seq)

    # --- properties ----------------------------------------------------------------------------

    @property
    def next_seq(self):
        return self.ring.end

    @property
    def acked(self):
        return self._acked

    @property
    def backlog(self):
        return self.ring.end - self._acked

    @property
    def capacity(self):
        return self.ring.capacity

    @property
    def used_per_mille(self):
        r = self.ring
        return (r.capacity - r.free) * 1000 // r.capacity

    @property
    def boot_counter(self):
        return self._boot

    @property
    def epoch(self):
        return self.open.epoch

    def has_key(self):
        return self.keys.key is not None

    def install_key(self, k0):
        """K0 from provisioning becomes the key of the log's current epoch: epoch 0 on a new
        log; K(e), evolved from K0 here, on a log whose key records were all lost."""
        if self.keys.key is not None:
            raise LogError("the log already has its key")
        if len(k0) != 32:
            raise LogError("K0 is 32 bytes")
        self.keys.store(self.open.epoch, wire.epoch_key(k0, self.open.epoch))

    # --- writing -------------------------------------------------------------------------------

    def boot(self, door_id, uptime_ms=0):
        """Count this boot durably, log a BOOT slot and what recovery found; the boot counter.

        A log so full that only the slot kept for a seal is left stores no BOOT slot (the
        collector sees the gap in boot counters) rather than fail the boot.
        """
        self._boot += 1
        self._save()
        try:
            self.append(wire.BOOT, 0, (self._boot << 8) | (door_id & 0xFF), uptime_ms)
        except LogFull:
            pass
        self._write_reports()
        return self._boot

    def append(self, kind, flags, payload, uptime_ms):
        """Store one slot durably and return its sequence number. Tap path: no allocation."""
        seq = self.ring.end
        free = self.ring.free
        # Not CLOCK: a full log takes no HEARTBEAT either, so an anchor written later could not
        # be linked to this boot's earlier uptimes (they wrap every 4.6 h) and would misdate them.
        if free <= _RESERVE and kind != wire.STORAGE and kind != wire.BOOT:
            if not self._full_noted and free > 1:
                self._full_noted = True
                self.append(wire.STORAGE, wire.STORAGE_FULL, 0, uptime_ms)
            raise LogFull()
        if free <= 1:  # the last slot is kept for a seal
            raise LogFull()
        if seq - self.open.seq >= _BLOCK_MAX:
            self.seal()  # maintain() normally sealed long before
            seq += 1
        wire.pack_slot(self._slot, 0, kind, flags, payload, uptime_ms)
        self._uptime = uptime_ms
        self._put(self._slot)
        return seq

    def _put(self, slot):
        o = self.open
        if not self.ring.put(slot, o.epoch, o.mac, o.seq):
            raise LogFull()

    def seal(self):
        """Close the open block with a SEAL slot, then evolve the key (the old one destroyed)."""
        seq = self.ring.end
        n = seq - self.open.seq
        if n <= 0:
            return
        if self.keys.key is None:
            raise LogError("no key installed")
        if self.ring.free < 1:
            raise LogFull()
        mac = self._reader.seal_mac(self.open, n)
        seal = bytearray(wire.SLOT)
        wire.pack_seal(seal, 0, mac)
        self._put(seal)  # durable: from here the block is sealed
        self.open.sealed(seq, mac)
        self.keys.evolve()

    # --- syncing -------------------------------------------------------------------------------

    def status_request(self, health24):
        """A count-0 batch signed with the current key."""
        return self._reader.status_request(self.open, health24)

    def signed_report(self, health24, part):
        """A signed report carrying ``part`` (``wire.report_part``): command results, wear."""
        return self._reader.signed_report(self.open, health24, part)

    def wear(self):
        """(most erases of a ring sector, of a key sector, ring sectors): derived from counters
        that never go back, so nothing extra is written. The ring erases each sector once per
        pass (``Ring.prepare_next``/``reclaim``): ``next_seq // SLOTS`` sectors opened so far
        over ``count`` sectors; the key store fills one of its two sectors every
        ``PER_SECTOR // 2`` epochs (each key is written twice) and then erases the other: each
        sector once every ``PER_SECTOR`` epochs. The +1s count the erase before first use."""
        ring = self.ring
        opened = ring.end // SLOTS + 1
        ring_erases = (opened + ring.count - 1) // ring.count
        key_erases = max(0, self.keys.epoch) // PER_SECTOR + 1
        return ring_erases, key_erases, ring.count

    def batch(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal, then a signed batch of whole blocks from the first unacknowledged one."""
        self.seal()
        body = self._reader.batch(self.floor, health24, max_slots)
        return self.status_request(health24) if body is None else body

    def outgoing(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal, then the batch ``batch`` would build as a ``batches.Outgoing``: read from flash
        piece by piece while it is sent, never held whole (a count-0 batch at the end of the
        log when nothing is left)."""
        self.seal()
        out = self._reader.outgoing(self.floor, health24, max_slots)
        if out is None:
            out = Outgoing(self._reader, self.ring.end, 0, self.open, health24)
        return out

    def batches(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal; yield each signed batch from the floor to the head, as ``batch`` would after
        the previous one was acked, acking nothing (``tools pull``). Use each before the next."""
        self.seal()
        return self._reader.batches(self.floor, health24, max_slots)

    def stream_batches(self, health24, emit, max_slots=wire.MAX_BATCH_SLOTS):
        """``batches`` without holding a batch: seal, then each batch from the floor to the head
        goes to ``emit`` in pieces (``outgoing``'s), ``emit(None)`` after each; the number of
        batches. RAM: a 288-byte buffer, whatever ``max_slots`` (``tools pull``)."""
        self.seal()
        start = self.floor
        at = Chain(start.seq, start.epoch, start.mac)
        n = 0
        while at.seq < self.ring.end:
            count = self._reader.stream(at, health24, max_slots, emit)
            if count == 0:
                break
            emit(None)
            n += 1
            if not self._reader.follow(at, at.seq, at.seq + count):
                break
        return n

    def ack(self, acked_seq):
        """The collector holds every slot below ``acked_seq``; lower values are ignored. The
        erase of what that frees happens in ``maintain``."""
        end = min(acked_seq, self.ring.end)
        if end <= self._acked:
            return
        self._acked = end
        floor = self.floor
        self._reader.follow(floor, floor.seq, end)
        tail = self.ring.tail_base
        if (floor.seq - tail) // SLOTS > (self._saved_floor - tail) // SLOTS:
            self._save()  # durable before maintain() may erase a sector below the floor

    # --- housekeeping --------------------------------------------------------------------------

    def maintain(self):
        """Off the tap path: at most one seal and one erase (or blank check) per call."""
        self._write_reports()
        if self.ring.end - self.open.seq >= self.block_slots:
            self.seal()
            return
        if self.keys.maintain() or self.ring.reclaim(self._saved_floor):
            return
        if self.ring.prepare_next():
            return
        pm = self.used_per_mille
        if pm >= wire.STORAGE_WARN_PER_MILLE and not self._warned:
            self._warned = True
            self.append(wire.STORAGE, wire.STORAGE_WARNING, self.ring.end, self._uptime)
        elif pm < wire.STORAGE_REARM_PER_MILLE:
            self._warned = False
            self._full_noted = False

    def report(self, seq):
        """Note a damaged place (a slot's sequence number; 0 for the state file) to write as a
        STORAGE/3 slot; each once, at most 8 waiting."""
        if seq not in self.reports and len(self.reports) < _MAX_REPORTS:
            self.reports.append(seq)

    def _save(self):
        self.state.save(self._boot, self._acked, self.floor)
        self._saved_floor = self.floor.seq

    def _write_reports(self):
        """Write pending STORAGE/3 reports while space allows (they wait for space if not)."""
        while self.reports and self.ring.free > _RESERVE:
            self.append(wire.STORAGE, wire.STORAGE_CORRUPT, self.reports[0], self._uptime)
            self.reports.pop(0)
