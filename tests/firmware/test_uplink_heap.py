# A weeks-long backlog with blocks longer than a batch leaves through the uplink in bounded heap.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 176k: code as .mpy and a terminal (passes from 168k); a 37 KB batch held whole fails
"""On the emulated ESP32 without PSRAM (official ``ESP32_GENERIC``) a sync's batch failed with
``MemoryError allocating 9075 bytes``: the uplink asks for 256 slots, a block of 1,000 goes whole
(its seal MAC covers it; docs/protocol.md), and with 77 KB free the GC heap had no free piece
longer than 4.8 KB, while ESP-IDF's heap had no 11 KB left to grow it by (MicroPython's split
heap adds an area of the allocation plus 2 KB). So the uplink must never hold a batch whole: it
sends ``log.outgoing``'s pieces, read from flash as they go (docs/terminal.md, "Heap").

Here the terminal's log holds a block of 4,095 slots (a 37 KB batch: a log sealed as a last
resort, or written before an update) and three of 1,001, and the unix port's heap is too small to
hold that batch whole beside the terminal. The network double reads the body as a server reads a
socket, piece by piece (holding none whole), checks the request MAC under the terminal's key and
every slot's CRC, and answers as the collector would. The flash lives in a file (off the heap,
like SPI flash)."""

import os

from firmware import uplink, wire
from firmware.log import Log
from hmac_sha256 import HmacSha256
from tests.kit.termkit import K0, TID, Rig, tmpdir
from tools.sim.flash import NorFlash

LONG = 4094  # slots of the long block before its seal
SHORT = 1000  # the terminal's block_slots: blocks of 1,000 plus a seal
TAPS = LONG - 1 + 3 * SHORT  # with the BOOT slot: one long block, three short ones


class StreamedCollector:
    """``hw.http`` that takes the body as a socket delivers it: pieces in order, none kept.

    The request MAC is checked with ``key()`` (the terminal's current key: the batch is signed
    with it, docs/log.md "Batches"); TAP payloads must come in order from 0, each once."""

    def __init__(self, kc):
        self.kc = kc
        self.key = None
        self.next_seq = 0  # the collector's watermark: every slot below it is stored
        self.next_tap = 0
        self.batches = 0
        self.longest = 0  # slots in the longest batch received
        self.refused_reports = 0

    async def post(self, url, body, timeout_ms):
        if url.endswith("/v1/report"):  # a collector without reports: the terminal keeps them
            self.refused_reports += 1
            return 404, b""
        assert url.endswith("/v1/batches"), url
        total = len(body)
        signed = total - wire.REQUEST_MAC_LEN
        mac = HmacSha256(self.key())
        inner = mac.start()
        inner.update(b"HDR1")
        head = bytearray(wire.HEADER_LEN)
        slot = bytearray(wire.SLOT)
        req_mac = bytearray(wire.REQUEST_MAC_LEN)
        at = 0
        pieces = (body,) if isinstance(body, (bytes, bytearray, memoryview)) else body
        for piece in pieces:
            mv = memoryview(piece)
            n = len(mv)
            inner.update(mv[: max(0, min(n, signed - at))])
            for i in range(n):
                p = at + i
                if p < wire.HEADER_LEN:
                    head[p] = mv[i]
                elif p < signed:
                    k = (p - wire.HEADER_LEN) % wire.SLOT
                    slot[k] = mv[i]
                    if k == wire.SLOT - 1:
                        self._slot(slot)
                else:
                    req_mac[p - signed] = mv[i]
            at += n
        assert at == total, (at, total)
        assert bytes(head[:4]) == b"HDB1" and int.from_bytes(head[4:8], "big") == TID
        first = int.from_bytes(head[8:12], "big")
        count = (head[12] << 8) | head[13]
        assert first == self.next_seq and total == wire.HEADER_LEN + count * wire.SLOT + 16
        assert bytes(mac.finish(inner)[: wire.REQUEST_MAC_LEN]) == bytes(req_mac)
        self.next_seq = first + count
        self.batches += 1
        self.longest = max(self.longest, count)
        return 200, wire.encode_reply(self.kc, req_mac, wire.REPLY_OK, self.next_seq,
                                      800000000, 0, 0)  # fmt: skip

    def _slot(self, slot):
        assert wire.slot_state(slot, 0) != wire.CORRUPT
        if wire.slot_kind(slot, 0) == wire.TAP:
            assert wire.unpack_slot(slot, 0)[2] == self.next_tap, self.next_tap
            self.next_tap += 1


async def test_a_backlog_of_blocks_longer_than_a_batch_syncs_without_holding_one():
    root = tmpdir()
    os.mkdir(root + "/data")
    flash = NorFlash(blocks=2 + 20, path=root + "/hlog.bin")
    log = Log(flash, root + "/data", TID, block_slots=LONG)
    log.install_key(K0)
    log.boot(1)
    for i in range(TAPS):
        log.append(wire.TAP, wire.CARD_ENROLLED, i, i)
        if i >= LONG - 2 and (i - LONG + 2) % SHORT == 0:
            log.seal()  # the long block, then blocks of 1,000 as maintain() seals them
    log = None
    net = StreamedCollector(wire.config_key(K0))
    rig = Rig(http=net, flash=flash, root=root)
    t = rig.terminal
    net.key = lambda: t.log.keys.key
    assert t.log.backlog >= TAPS + 4
    assert await t.sync_step() == uplink.CONNECTING  # the station joins first
    assert await t.sync_step() == uplink.OK
    assert t.log.backlog == 0 and net.next_tap == TAPS
    assert net.longest == LONG + 1 and net.batches >= 4
