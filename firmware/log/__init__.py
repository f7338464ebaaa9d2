# log: hadir's offline attendance log: durable 9-byte slots, sealed blocks, forward-secure keys.
# SPDX-License-Identifier: MIT
"""The terminal's log (docs/log.md), on a raw flash partition plus one state file.

    log = Log(esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0], "/data", 7)
    if not log.has_key(): log.install_key(k0)
    log.boot(door_id=1)
    seq = log.append(wire.TAP, wire.CARD_ENROLLED, token4, uptime_ms)  # durable: now beep
    log.maintain()                     # after feedback: pre-erase, reclaim, 80 % warning
    body = log.batch(health24)         # seals, signs; POST it, then log.ack(reply_acked)
    for body in log.batches(health24): ...  # the whole backlog, nothing acknowledged

Blocks 0-1 of the partition hold the epoch key (``firmware.log.keys``), the rest is a ring of
sectors of 452 slots (``firmware.log.ring``). ``append`` is one program of 9 bytes (two at a
sector roll), no erase and no allocation; every erase happens in ``maintain``.

Errors: ``LogFull`` (a subclass of ``LogError``) when a tap cannot be stored; ``LogError`` for
misuse (sealing without a key, installing a second key). Flash errors propagate as OSError.
"""

from compat import const
from firmware import wire
from firmware.log import batches as logsync
from firmware.log.keys import KeyStore
from firmware.log.recover import recover
from firmware.log.ring import SLOTS, Ring
from firmware.log.state import StateDir

_KEY_BLOCKS = const(2)
_RESERVE = const(
    8
)  # slots only seals, boot, clock and storage events may use: a full log still syncs
_BLOCK_MAX = const(4095)  # a block plus its seal is one full batch
_WARN = const(800)
_REARM = const(750)
_CHUNK = const(32)
_MAX_REPORTS = const(8)


class LogError(Exception):
    pass


class LogFull(LogError):
    pass


class Log:
    def __init__(self, flash, state_dir, terminal_id, block_slots=1000):
        """``block_slots``: ``maintain`` seals an open block this long, so every block fits a
        batch of ``block_slots + 1`` slots (a 1,000-slot batch needs ~40 KB of heap to build,
        a 4,096-slot one ~150 KB: more than an ESP32 without PSRAM has)."""
        if not 1 <= block_slots < _BLOCK_MAX:
            raise LogError("block_slots must be 1 .. 4094")
        self.block_slots = block_slots
        self.terminal_id = terminal_id
        self.keys = KeyStore(flash, 0, 1)
        self.ring = Ring(flash, _KEY_BLOCKS, flash.ioctl(4, 0) - _KEY_BLOCKS)
        self.state = StateDir(state_dir) if isinstance(state_dir, str) else state_dir
        self._slot = bytearray(wire.SLOT)
        self._chunk = bytearray(_CHUNK * wire.SLOT)
        self._mac = bytearray(wire.MAC_LEN)  # MAC of the last seal (chain value)
        self._floor_mac = bytearray(wire.MAC_LEN)
        self._epoch = 0
        self._bstart = 0  # first sequence number of the open block
        self._floor = 0
        self._floor_epoch = 0
        self._saved_floor = 0
        self._acked = 0
        self._boot = 0
        self._uptime = 0  # of the last append: dates events the log writes itself
        self._warned = False
        self._full_noted = False
        self._checked = 0  # batches have CRC-checked every slot below this
        self.reports = []  # sequence numbers of corrupt slots found, to write as STORAGE/3
        self._recover()

    # --- properties ----------------------------------------------------------------------------

    @property
    def next_seq(self):
        r = self.ring
        return r.tail_base if r.head < 0 else r.head_base + r.used

    @property
    def acked(self):
        return self._acked

    @property
    def backlog(self):
        return self.next_seq - self._acked

    @property
    def capacity(self):
        return self.ring.count * SLOTS

    @property
    def used_per_mille(self):
        return (self.next_seq - self.ring.tail_base) * 1000 // self.capacity

    @property
    def boot_counter(self):
        return self._boot

    @property
    def epoch(self):
        return self._epoch

    def has_key(self):
        return self.keys.key is not None

    def install_key(self, k0):
        """K0 from provisioning becomes the key of the log's current epoch: epoch 0 on a new
        log; K(e), evolved from K0 here, on a log whose key records were all lost."""
        if self.keys.key is not None:
            raise LogError("the log already has its key")
        if len(k0) != 32:
            raise LogError("K0 is 32 bytes")
        self.keys.store(self._epoch, wire.epoch_key(k0, self._epoch))

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
        seq = self.next_seq
        free = self.capacity - (seq - self.ring.tail_base)
        # Not CLOCK: a full log takes no HEARTBEAT either, so an anchor written later could not
        # be linked to this boot's earlier uptimes (they wrap every 4.6 h) and would misdate them.
        if free <= _RESERVE and kind != wire.STORAGE and kind != wire.BOOT:
            if not self._full_noted and free > 1:
                self._full_noted = True
                self.append(wire.STORAGE, wire.STORAGE_FULL, 0, uptime_ms)
            raise LogFull()
        if free <= 1:  # the last slot is kept for a seal
            raise LogFull()
        if seq - self._bstart >= _BLOCK_MAX:
            self.seal()  # maintain() normally sealed long before
            seq += 1
        wire.pack_slot(self._slot, 0, kind, flags, payload, uptime_ms)
        self._uptime = uptime_ms
        self._put(self._slot)
        return seq

    def _put(self, slot):
        r = self.ring
        if r.head < 0 or r.used >= SLOTS:
            idx = r.next_index()
            if idx < 0:
                raise LogFull()
            r.make_clean(idx)  # no-op when maintain() pre-erased it, as it normally has
            r.open_next(self._epoch, self._mac, self._bstart, slot)
        else:
            r.write_slot(r.head_base + r.used, slot)
            r.used += 1

    def seal(self):
        """Close the open block with a SEAL slot, then evolve the key (the old one destroyed)."""
        seq = self.next_seq
        n = seq - self._bstart
        if n <= 0:
            return
        if self.keys.key is None:
            raise LogError("no key installed")
        if self.capacity - (seq - self.ring.tail_base) < 1:
            raise LogFull()
        mac = self._block_mac(self._bstart, n)
        seal = bytearray(wire.SLOT)
        wire.pack_seal(seal, 0, mac)
        self._put(seal)  # durable: from here the block is sealed
        self._closed(seq, mac)
        self.keys.evolve()

    def _closed(self, seal_seq, mac):
        for i in range(wire.MAC_LEN):
            self._mac[i] = mac[i]
        self._epoch += 1
        self._bstart = seal_seq + 1

    def _block_mac(self, first, n):
        if self.keys.key is None:
            raise LogError("no key installed")
        return logsync.block_mac(self, first, n)

    # --- syncing -------------------------------------------------------------------------------

    def status_request(self, health24):
        """A count-0 batch signed with the current key."""
        return logsync.status_request(self, health24)

    def batch(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal, then a signed batch of whole blocks from the first unacknowledged one."""
        self.seal()
        return logsync.batch(self, health24, max_slots)

    def batches(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal; yield each signed batch from the floor to the head, as ``batch`` would after
        the previous one was acked, acking nothing (``tools pull``). Use each before the next."""
        self.seal()
        return logsync.batches(self, health24, max_slots)

    def ack(self, acked_seq):
        """The collector holds every slot below ``acked_seq``; lower values are ignored. The
        erase of what that frees happens in ``maintain``."""
        logsync.ack(self, acked_seq)

    def _walk(self, seq, end, epoch, mac):
        return logsync.walk(self, seq, end, epoch, mac)

    # --- housekeeping --------------------------------------------------------------------------

    def maintain(self):
        """Off the tap path: at most one seal and one erase (or blank check) per call."""
        self._write_reports()
        if self.next_seq - self._bstart >= self.block_slots:
            self.seal()
            return
        if self.keys.maintain():
            return
        r = self.ring
        if r.head >= 0 and r.tail != r.head and r.tail_base + SLOTS <= self._saved_floor:
            r.drop_tail()
            return
        idx = r.next_index()
        if idx >= 0 and not r.clean[idx]:
            r.make_clean(idx)
            return
        pm = self.used_per_mille
        if pm >= _WARN and not self._warned:
            self._warned = True
            self.append(wire.STORAGE, wire.STORAGE_WARNING, self.next_seq, self._uptime)
        elif pm < _REARM:
            self._warned = False
            self._full_noted = False

    def _save(self):
        self.state.save(self._boot, self._acked, self._floor, self._floor_epoch, self._floor_mac)
        self._saved_floor = self._floor

    def _report(self, seq):
        if seq not in self.reports and len(self.reports) < _MAX_REPORTS:
            self.reports.append(seq)

    def _write_reports(self):
        """Write pending STORAGE/3 reports while space allows (they wait for space if not)."""
        while self.reports and self.capacity - (self.next_seq - self.ring.tail_base) > _RESERVE:
            self.append(wire.STORAGE, wire.STORAGE_CORRUPT, self.reports[0], self._uptime)
            self.reports.pop(0)

    # --- recovery ------------------------------------------------------------------------------

    def _recover(self):
        recover(self)
