# logcheck: a collector-side check of what firmware.log sends, built on firmware.wire only.
# SPDX-License-Identifier: MIT
"""``Collector(tid, k0)`` receives batches as the collector would: request MAC, seal MACs under
``wire.epoch_key`` from K0, chain continuity from one batch to the next, no gap, no slot that
changes once received. ``drain(log, coll)`` syncs until everything is acknowledged.
"""

import os

from firmware import wire


class CheckError(AssertionError):
    pass


class Collector:
    def __init__(self, terminal_id, k0):
        self.tid = terminal_id
        self.k0 = k0
        self._keys = [k0]
        self.slots = {}  # seq -> 9 bytes
        self.next = 0  # acked: every slot below is held
        self.mac = (bytes(8),)  # chain values the next batch may start from
        self.epoch = 0
        self.bad_blocks = []  # first_seq of blocks whose seal MAC did not verify
        self.resyncs = 0  # batches whose chain state was taken from the terminal after damage
        self.batches = 0

    def copy(self):
        c = Collector(self.tid, self.k0)
        c._keys = self._keys
        c.slots = dict(self.slots)
        c.next, c.mac, c.epoch = self.next, self.mac, self.epoch
        c.bad_blocks = list(self.bad_blocks)
        c.resyncs = self.resyncs
        return c

    def key(self, epoch):
        while len(self._keys) <= epoch:
            self._keys.append(wire.evolve_key(self._keys[-1]))
        return self._keys[epoch]

    def receive(self, body):
        b = wire.decode_batch(body)
        self.batches += 1
        if b.terminal_id != self.tid:
            raise CheckError("wrong terminal")
        # The terminal signs with its current key: K(epoch + seals) when the batch reaches its
        # head, a later one when more blocks wait; each later seal is one of the backlog slots
        # the health reports, which bounds the search (docs/log.md, "Batches").
        extra = max(64, b.health["backlog_slots"] - b.count + 2)
        for j in range(extra):
            if b.request_mac_ok(self.key(b.epoch + b.seals + j)):
                break
        else:
            raise CheckError("request MAC does not verify")
        if b.count == 0:
            return self.next
        if b.first_seq > self.next:
            raise CheckError(
                "gap: batch starts at %d, collector holds %d" % (b.first_seq, self.next)
            )
        if b.first_seq == self.next and (b.prev_mac not in self.mac or b.epoch != self.epoch):
            if not self.bad_blocks:
                raise CheckError("chain broken at %d" % b.first_seq)
            # After a damaged block (e.g. a SEAL whose kind a flip erased) the collector's count
            # of seals is off; the terminal's header, under its request MAC, says where it is.
            self.resyncs += 1
        epoch = b.epoch
        prevs = (b.prev_mac,)
        for first, count, off in b.blocks():
            start = (first - b.first_seq) * wire.SLOT
            stored = b.slots[off + 1 : off + 1 + wire.MAC_LEN]
            # A damaged block chains on: the next seal was made over the MAC as first written,
            # which is the stored one unless the flip hit the seal itself.
            for prev in prevs:
                mac = wire.seal_mac(
                    self.key(epoch), self.tid, epoch, first, count, prev, b.slots[start:off]
                )
                if mac == stored:
                    break
            else:
                if first not in self.bad_blocks:
                    self.bad_blocks.append(first)
            for i in range(count + 1):
                seq = first + i
                slot = b.slots[start + i * wire.SLOT : start + (i + 1) * wire.SLOT]
                held = self.slots.get(seq)
                if held is not None and held != slot:
                    raise CheckError("slot %d changed after it was received" % seq)
                self.slots[seq] = slot
            prevs = (stored,) if mac == stored else (stored, mac)
            epoch += 1
        end = b.first_seq + b.count
        if end > self.next:
            self.next, self.mac, self.epoch = end, prevs, epoch
        return self.next

    def records(self):
        """(seq, slot) in order; raises on a hole below ``next``."""
        out = []
        for seq in range(self.next):
            if seq not in self.slots:
                raise CheckError("hole at %d" % seq)
            out.append((seq, self.slots[seq]))
        return out


def drain(log, coll, health=bytes(24), max_rounds=200, max_slots=wire.MAX_BATCH_SLOTS):
    """Sync until the log has nothing unacknowledged; returns the batches sent."""
    for n in range(max_rounds):
        body = log.batch(health, max_slots)
        acked = coll.receive(body)
        log.ack(acked)
        for _ in range(4):
            log.maintain()
        if wire.decode_batch(body).count == 0:
            return n + 1
    raise CheckError("log never drained")


_n = [0]
_EEXIST = 17
# CPython test runs of several streams share /tmp: a folder name carries the process id.
# (MicroPython's WebAssembly file system belongs to one interpreter.)
PREFIX = "/tmp/hadir-log-" + (str(os.getpid()) + "-" if hasattr(os, "getpid") else "")


def fresh_dir():
    """A new empty folder of this process (VfsPosix under MicroPython, /tmp under CPython)."""
    while True:
        _n[0] += 1
        path = PREFIX + str(_n[0])
        try:
            os.mkdir(path)
            return path
        except OSError as e:  # left by an earlier run of this process id: never reuse it
            if e.errno != _EEXIST:  # a full or read-only file system: no name will do
                raise


def remove_dirs():
    """Remove the folders ``fresh_dir`` made in this process."""
    for i in range(1, _n[0] + 1):
        clear(PREFIX + str(i))
        try:
            os.rmdir(PREFIX + str(i))
        except OSError:
            pass


def clear(path):
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        try:
            os.remove(path + "/" + name)
        except OSError:  # a folder
            clear(path + "/" + name)
            os.rmdir(path + "/" + name)
