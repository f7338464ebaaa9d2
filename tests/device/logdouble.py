# logdouble: a RAM stand-in for firmware/log.py (contracts §1) while the log stream builds it.
# SPDX-License-Identifier: MIT
"""Same API as the contract, real seals and batches from ``firmware.wire``; no flash. Installed
as ``firmware.log`` by termkit only when the real module is absent."""

from firmware import wire


class LogError(Exception):
    pass


class LogFull(LogError):
    pass


class Log:
    def __init__(self, flash, state_dir, terminal_id, capacity=2000):
        self.tid = terminal_id
        self.capacity = capacity
        self._key = None
        self.epoch = 0
        self.boot_counter = 0
        self._mem = bytearray(9 * (capacity + 200))  # every slot from seq 0 (fine for tests)
        self._n = 0
        self.open_from = 0
        self.blocks = []  # (first, count incl. seal, epoch, prev_mac)
        self.prev_mac = bytes(8)
        self.acked = 0
        self._buf = bytearray(9)

    @property
    def next_seq(self):
        return self._n

    @property
    def slots(self):
        return memoryview(self._mem)[: self._n * 9]

    @property
    def backlog(self):
        return self.next_seq - self.acked

    @property
    def used_per_mille(self):
        return self.backlog * 1000 // self.capacity

    def has_key(self):
        return self._key is not None

    def install_key(self, k0):
        self._key = bytes(k0)

    def boot(self, door_id):
        self.boot_counter += 1
        self.append(wire.BOOT, 0, (self.boot_counter << 8) | door_id, 0)
        return self.boot_counter

    def append(self, kind, flags, payload, uptime_ms):
        if self.backlog >= self.capacity:
            raise LogFull()
        wire.pack_slot(self._mem, self._n * 9, kind, flags, payload, uptime_ms & wire.UPTIME_MASK)
        self._n += 1
        return self._n - 1

    def maintain(self):
        pass

    def seal(self):
        first = self.open_from
        count = self.next_seq - first
        if not count:
            return
        body = bytes(self.slots[first * 9 :])
        mac = wire.seal_mac(self._key, self.tid, self.epoch, first, count, self.prev_mac, body)
        seal = bytearray(9)
        wire.pack_seal(seal, 0, mac)
        self.blocks.append((first, count + 1, self.epoch, self.prev_mac))
        self._mem[self._n * 9 : self._n * 9 + 9] = seal
        self._n += 1
        self.prev_mac = mac
        self._key = wire.evolve_key(self._key)
        self.epoch += 1
        self.open_from = self.next_seq

    def status_request(self, health24):
        return wire.encode_batch(self.tid, self.next_seq, self.epoch, self.prev_mac, health24,
                                 b"", self._key)  # fmt: skip

    def batch(self, health24, max_slots=wire.MAX_BATCH_SLOTS):
        self.seal()
        out = []
        for first, count, epoch, prev in self.blocks:
            if first + count <= self.acked:
                continue
            out.append((first, count, epoch, prev))
        if not out:
            return self.status_request(health24)
        first, _, epoch, prev = out[0]
        end = out[-1][0] + out[-1][1]
        slots = bytes(self.slots[first * 9 : end * 9])
        return wire.encode_batch(self.tid, first, epoch, prev, health24, slots, self._key)

    def ack(self, acked_seq):
        if acked_seq > self.acked:
            self.acked = min(acked_seq, self.next_seq)
