# paperco: a paper collector for device tests: checks batches with firmware.wire, stores, replies.
# SPDX-License-Identifier: MIT
"""Shaped like ``hw.http`` (``await post(url, body, timeout_ms)``); runs on MicroPython too.
The end-to-end tests use the real collector (``sync/``); this one lets device tests script
the network: ``delay_ms`` (a slow link), ``down`` (no route), ``fail_next`` (a 503), ``command``
(a remote command offered in each reply until its report arrives; ``reports`` keeps them)."""

from compat import asleep_ms, mem_alloc
from firmware import wire
from firmware.httpclient import joined

_REC = 4 + wire.SLOT
_CHUNK = 64 * _REC


def _alloc():
    return mem_alloc()


class PaperCollector:
    def __init__(self, terminal_id, k0, time=820454400, keep=True):
        self.tid = terminal_id
        self.k0 = k0
        self.kc = wire.config_key(k0)
        self.time = time  # server time, seconds since 2000
        self.next = 0  # watermark: every seq below is stored
        self.keep = keep  # False: only count records by kind (a heap measurement runs it)
        # seq (4 bytes) + slot for each record, in fixed chunks: compact and never one large
        # block, so that a long run fits a small, fragmented heap.
        self._chunks = []
        self._used = _CHUNK
        self.counts = {}
        self.health = None
        self._keys = {0: k0}
        self._epoch = 0  # epoch of the next block expected
        self._prev = bytes(8)
        self.delay_ms = 0
        self.down = False
        self.fail_next = 0
        self.posts = 0
        self.allocated = 0
        self.config_version = 0
        self.config_blob = None
        self.allow_version = 0
        self.allow_blob = None
        self.command = None  # (command_id, code) offered in every reply until its report came
        self.reports = []  # (command_id, result, json text) of each report received
        self.release = 0  # the release id replies offer (tests/kit/paperrelease.py serves it)

    def key(self, epoch):
        k = self._keys.get(epoch)
        if k is None:
            best = max(e for e in self._keys if e < epoch)
            k = self._keys[best]
            for _ in range(best + 1, epoch + 1):
                k = wire.evolve_key(k)
            if len(self._keys) > 8:  # keep K0 and a few recent keys only
                for e in sorted(self._keys)[1:-4]:
                    del self._keys[e]
            self._keys[epoch] = k
        return k

    def set_config(self, version, text):
        self.config_version = version
        self.config_blob = wire.encode_config(self.kc, version, self.tid, text)

    def set_allowlist(self, version, entries):
        self.allow_version = version
        self.allow_blob = wire.encode_allowlist(entries, version, self.tid, self.kc)

    @property
    def records(self):
        """(seq, kind, flags, payload, uptime) of each stored slot, decoded one at a time."""
        for n, c in enumerate(self._chunks):
            end = self._used if n == len(self._chunks) - 1 else _CHUNK
            for i in range(0, end, _REC):
                yield (int.from_bytes(c[i : i + 4], "little"),) + wire.unpack_slot(c, i + 4)

    def kinds(self, kind):
        return [r for r in self.records if r[1] == kind]

    async def post(self, url, body, timeout_ms):
        """Its own heap use (verification, the awaits standing for the network) is counted in
        ``allocated`` so a heap measurement of the terminal can leave it out."""
        a0 = _alloc()
        try:
            return await self._post(url, body)
        finally:
            self.allocated += _alloc() - a0

    async def _post(self, url, body):
        self.posts += 1
        if self.down:
            raise OSError(113)  # EHOSTUNREACH
        await asleep_ms(self.delay_ms)  # a network round trip always suspends the caller
        if self.fail_next:
            self.fail_next -= 1
            return 503, b""
        path = url[url.find("/v1/") :]
        body = joined(body)  # read off the wire, as a server does
        report = None
        if path == "/v1/report":
            b, report = wire.decode_report(body)
        else:
            b = wire.decode_batch(body)
        if b.terminal_id != self.tid or not self._signed(b):
            return 401, b""
        self.health = b.health
        if report is not None:
            self.reports.append(report)
            if report[0] and self.command and self.command[0] == report[0]:
                self.command = None  # its result is stored: no longer offered
            return 200, b""
        if path == "/v1/config":
            return 200, self.config_blob
        if path == "/v1/allowlist":
            return 200, self.allow_blob
        status = self._store(b)
        offer = None
        if b.health["firmware_version"] >= 2:
            offer = (self.release,) + (self.command or (0, 0))
        reply = wire.encode_reply(
            self.kc, b.request_mac, status, self.next, self.time, self.config_version,
            self.allow_version, offer,
        )  # fmt: skip
        await asleep_ms(0)  # the answer travels back
        return 200, reply

    def _signed(self, b):
        """The terminal signs with the key it holds now: K(epoch + seals) when the batch carries
        every sealed block, a later one when it sends only the first few."""
        for e in range(b.epoch + b.seals, b.epoch + b.seals + 64):
            if b.request_mac_ok(self.key(e)):
                return True
        return False

    def _store(self, b):
        if not b.count:
            return wire.REPLY_OK
        if b.first_seq > self.next:
            return wire.REPLY_GAP
        epoch = b.epoch
        prev = b.prev_mac
        for first, count, off in b.blocks():
            mac = wire.seal_mac(self.key(epoch), self.tid, epoch, first, count, prev,
                                b.slots[off - count * wire.SLOT : off])  # fmt: skip
            if mac != wire.seal_mac_of(b.slots, off):
                return wire.REPLY_TAMPER
            if first + count + 1 > self.next:
                if first < self.next and first != self.next:
                    pass  # a resent block: only its new slots are stored below
                for i in range(count):
                    seq = first + i
                    if seq >= self.next:
                        at = off - (count - i) * wire.SLOT
                        kind = wire.slot_kind(b.slots, at)
                        self.counts[kind] = self.counts.get(kind, 0) + 1
                        if self.keep:
                            self._keep(seq, b.slots, at)
                self.next = first + count + 1
                self._epoch = epoch + 1
                self._prev = mac
            epoch += 1
            prev = mac
        return wire.REPLY_OK

    def _keep(self, seq, slots, at):
        if self._used == _CHUNK:
            self._chunks.append(bytearray(_CHUNK))
            self._used = 0
        c = self._chunks[-1]
        u = self._used
        c[u : u + 4] = seq.to_bytes(4, "little")
        c[u + 4 : u + _REC] = slots[at : at + wire.SLOT]
        self._used = u + _REC
