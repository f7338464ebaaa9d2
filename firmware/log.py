# log: hadir's offline attendance log: durable 9-byte slots, sealed blocks, forward-secure keys.
# SPDX-License-Identifier: MIT
"""The terminal's log (docs/log.md), on a raw flash partition plus one state file.

    log = Log(esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")[0], "/data", 7)
    if not log.has_key(): log.install_key(k0)
    log.boot(door_id=1)
    seq = log.append(wire.TAP, wire.CARD_ENROLLED, token4, uptime_ms)  # durable: now beep
    log.maintain()                     # after feedback: pre-erase, reclaim, 80 % warning
    body = log.batch(health24)         # seals, signs; POST it, then log.ack(reply_acked)

Blocks 0-1 of the partition hold the epoch key (``firmware.logkeys``), the rest is a ring of
sectors of 452 slots (``firmware.logring``). ``append`` is one program of 9 bytes (two at a
sector roll), no erase and no allocation; every erase happens in ``maintain``.

Errors: ``LogFull`` (a subclass of ``LogError``) when a tap cannot be stored; ``LogError`` for
misuse (sealing without a key, installing a second key). Flash errors propagate as OSError.
"""

import hashlib
import struct

from compat import const
from firmware import wire
from firmware.logkeys import KeyStore
from firmware.logrecover import recover
from firmware.logring import SLOTS, Ring
from firmware.logstate import StateDir

_KEY_BLOCKS = const(2)
_RESERVE = const(8)  # slots only seals and storage events may use: a full log can still sync
_SEAL_AT = const(4000)  # maintain() seals an open block this long
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
    def __init__(self, flash, state_dir, terminal_id):
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
        if self.keys.key is not None:
            raise LogError("the log already has its key")
        if len(k0) != 32:
            raise LogError("K0 is 32 bytes")
        self.keys.store(self._epoch, k0)

    # --- writing -------------------------------------------------------------------------------

    def boot(self, door_id, uptime_ms=0):
        """Count this boot durably, log a BOOT slot and what recovery found; the boot counter."""
        self._boot += 1
        self._save()
        self.append(wire.BOOT, 0, (self._boot << 8) | (door_id & 0xFF), uptime_ms)
        self._write_reports()
        return self._boot

    def append(self, kind, flags, payload, uptime_ms):
        """Store one slot durably and return its sequence number. Tap path: no allocation."""
        seq = self.next_seq
        free = self.capacity - (seq - self.ring.tail_base)
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
        """wire.seal_mac of slots first .. first+n-1, read from flash a chunk at a time."""
        key = self.keys.key
        if key is None:
            raise LogError("no key installed")
        ipad = bytearray(64)
        opad = bytearray(64)
        for i in range(64):
            k = key[i] if i < len(key) else 0
            ipad[i] = k ^ 0x36
            opad[i] = k ^ 0x5C
        inner = hashlib.sha256(ipad)
        inner.update(struct.pack(">4sIIIH", b"HDS1", self.terminal_id, self._epoch, first, n))
        inner.update(self._mac)
        mv = memoryview(self._chunk)
        done = 0
        while done < n:
            k = min(_CHUNK, n - done)
            self.ring.read(first + done, self._chunk, k)
            inner.update(mv[: k * wire.SLOT])
            done += k
        outer = hashlib.sha256(opad)
        outer.update(inner.digest())
        return outer.digest()[: wire.MAC_LEN]

    # --- syncing -------------------------------------------------------------------------------

    def status_request(self, health24):
        return wire.encode_batch(
            self.terminal_id, self.next_seq, self._epoch, self._mac, health24, b"", self.keys.key
        )

    def batch(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        """Seal, then a signed batch of whole blocks from the first unacknowledged one."""
        self.seal()
        first = self._floor
        avail = self.next_seq - first
        if avail <= 0:
            return self.status_request(health24)
        n = min(avail, max_slots)
        slots = bytearray(n * wire.SLOT)
        self.ring.read(first, slots, n)
        end = 0
        for i in range(n):
            if slots[i * wire.SLOT] >> 4 == wire.SEAL:
                end = i + 1
        if end == 0:  # one block longer than max_slots: send it whole (never above 4096)
            n = min(avail, wire.MAX_BATCH_SLOTS)
            slots = bytearray(n * wire.SLOT)
            self.ring.read(first, slots, n)
            for i in range(n):
                if slots[i * wire.SLOT] >> 4 == wire.SEAL:
                    end = i + 1
                    break
        for i in range(max(0, self._checked - first), end):
            if wire.slot_state(slots, i * wire.SLOT) == wire.CORRUPT:
                self._report(first + i)
        self._checked = max(self._checked, first + end)
        body = memoryview(slots)[: end * wire.SLOT]
        # Signed with the only key the terminal has: the current one (docs/log.md, "Batches").
        return wire.encode_batch(
            self.terminal_id, first, self._floor_epoch, self._floor_mac, health24, body,
            self.keys.key,
        )  # fmt: skip

    def ack(self, acked_seq):
        """The collector holds every slot below ``acked_seq``; lower values are ignored."""
        end = min(acked_seq, self.next_seq)
        if end <= self._acked:
            return
        self._acked = end
        e, b = self._walk(self._floor, end, self._floor_epoch, self._floor_mac)
        if b is not None:
            self._floor = b
            self._floor_epoch = e
        old = (self._saved_floor - self.ring.tail_base) // SLOTS
        if (self._floor - self.ring.tail_base) // SLOTS > old:
            self._save()  # durable before maintain() may erase a sector below the floor

    def _walk(self, seq, end, epoch, mac):
        """Follow the chain over slots seq .. end-1: (epoch, first seq after the last seal or
        None); ``mac`` is updated in place to the last seal's MAC."""
        after = None
        buf = self._chunk
        while seq < end:
            n = min(_CHUNK, end - seq)
            self.ring.read(seq, buf, n)
            for i in range(n):
                if buf[i * wire.SLOT] >> 4 == wire.SEAL:
                    epoch += 1
                    for k in range(wire.MAC_LEN):
                        mac[k] = buf[i * wire.SLOT + 1 + k]
                    after = seq + i + 1
            seq += n
        return epoch, after

    # --- housekeeping --------------------------------------------------------------------------

    def maintain(self):
        """Off the tap path: at most one seal and one erase (or blank check) per call."""
        self._write_reports()
        if self.next_seq - self._bstart >= _SEAL_AT:
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
        while self.reports:
            seq = self.reports[0]
            self.append(wire.STORAGE, wire.STORAGE_CORRUPT, seq, self._uptime)
            self.reports.pop(0)

    # --- recovery ------------------------------------------------------------------------------

    def _recover(self):
        recover(self)
