# A batch built from a sealed block longer than the batch asked for, in bounded heap.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 176k: one 4,095-slot batch (37 KB) built in place; a 1,000-slot check collector;
# the code it imports (firmware/wire.py grew by the remote settings, commands and reports)
"""A block may be longer than the batch the uplink asks for (256 slots): a log written with long
blocks before an update, or one sealed as a last resort at 4,095 slots. The protocol sends a block
whole (its seal MAC covers it; docs/protocol.md, "Seal" and "Batch"), so such a batch holds the
whole block, but building it must take no more heap than the batch itself: no scratch copy of the
block, no re-encoding copies. The flash lives in a file so that the heap holds only the batch."""

import struct

from firmware import wire
from firmware.httpclient import joined
from firmware.log import Log
from hmac_sha256 import HmacSha256
from tests.kit.logcheck import Collector, drain, fresh_dir, remove_dirs
from tests.kit.mpytest import allocated_bytes
from tools.sim.flash import NorFlash

K0 = bytes(range(32))
TID = 7
UPLINK_SLOTS = 256  # firmware/uplink.py's batch


def _hmac(key, pieces):
    h = HmacSha256(key)
    inner = h.start()
    for piece in pieces:
        inner.update(piece)
    return h.finish(inner)


def _peak_cpython(fn):
    import tracemalloc  # CPython only: MicroPython measures with gc.mem_alloc instead

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_block_longer_than_the_batch_goes_whole_in_the_batch_s_own_size_of_heap():
    path = fresh_dir()
    log = Log(NorFlash(blocks=2 + 12, path=path + "/flash"), path, TID, block_slots=4094)
    log.install_key(K0)
    log.boot(1)
    for i in range(4093):  # with the BOOT slot: 4,094 slots, then batch() seals them
        log.append(wire.TAP, wire.CARD_ENROLLED, i, i)
    floor = (log.floor.seq, log.floor.epoch, bytes(log.floor.mac))
    health = wire.pack_health({"backlog_slots": log.backlog})
    box = []
    used = allocated_bytes(lambda: box.append(log.batch(health, UPLINK_SLOTS)))
    if used is None:
        used = _peak_cpython(lambda: box.append(log.batch(health, UPLINK_SLOTS)))
    body = box[-1]
    box = None
    count = 4095
    size = wire.HEADER_LEN + count * wire.SLOT + wire.REQUEST_MAC_LEN
    print("batch heap bytes (4,095-slot block, 256-slot batch):", used, "of a", size, "B batch")
    assert len(body) == size  # the whole block: a seal MAC covers its block whole
    # The batch itself, and what reading 32 slots at a time leaves for the GC (memoryview
    # slices: 12 KB in all with the GC off, never live at once): no second copy of the block.
    assert used <= size + 16 * 1024, used

    # The bytes are the protocol's (docs/protocol.md), checked from its formulas here, streamed
    # (the heap holds one batch).
    magic, tid, first, n, epoch = struct.unpack_from(">4sIIHI", body, 0)
    assert (magic, tid, first, n, epoch) == (b"HDB1", TID, floor[0], count, floor[1])
    assert bytes(body[18:26]) == floor[2] and bytes(body[26:50]) == bytes(health)
    mv = memoryview(body)
    seal_at = wire.HEADER_LEN + (count - 1) * wire.SLOT
    assert wire.slot_kind(body, seal_at) == wire.SEAL
    head = struct.pack(">4sIIIH", b"HDS1", TID, epoch, first, count - 1)
    want = _hmac(wire.epoch_key(K0, epoch), (head, floor[2], mv[wire.HEADER_LEN : seal_at]))
    assert bytes(body[seal_at + 1 : seal_at + 9]) == want[: wire.MAC_LEN]
    signed = mv[: size - wire.REQUEST_MAC_LEN]
    want = _hmac(wire.epoch_key(K0, epoch + 1), (b"HDR1", signed))[: wire.REQUEST_MAC_LEN]
    assert bytes(body[size - wire.REQUEST_MAC_LEN :]) == want
    for i in range(count - 1):
        assert wire.slot_state(body, wire.HEADER_LEN + i * wire.SLOT) != wire.CORRUPT
    remove_dirs()


def test_batches_built_in_place_are_the_reference_encoding_and_stored_once():
    path = fresh_dir()
    log = Log(NorFlash(blocks=2 + 4, path=path + "/flash"), path, TID, block_slots=300)
    log.install_key(K0)
    log.boot(1)
    for i in range(1000):  # blocks of 300 slots (maintain seals them): longer than 256
        log.append(wire.TAP, wire.CARD_ENROLLED, i, i)
        log.maintain()
    health = wire.pack_health({"backlog_slots": log.backlog})
    counts = []
    for body in log.batches(health, UPLINK_SLOTS):  # signed with the current key, as sent
        first, count, epoch = struct.unpack_from(">IHI", body, 8)
        slots = bytes(body[wire.HEADER_LEN : len(body) - wire.REQUEST_MAC_LEN])
        prev = body[18:26]
        want = wire.encode_batch(TID, first, epoch, prev, health, slots, log.keys.key)
        assert bytes(body) == want  # the wire format of firmware/wire.py, byte for byte
        counts.append(count)
    assert sum(counts) == log.next_seq and len(counts) == 4
    out = log.outgoing(health, UPLINK_SLOTS)  # what the uplink sends, piece by piece
    first = log.batch(health, UPLINK_SLOTS)
    assert out.mac is None and joined(out) == bytes(first) and len(out) == len(first)
    assert out.mac == bytes(first[len(first) - wire.REQUEST_MAC_LEN :])
    out = first = None  # the heap is the check collector's now
    assert min(counts[:3]) > UPLINK_SLOTS  # three blocks longer than the batch, each whole
    coll = Collector(TID, K0)
    drain(log, coll, max_slots=UPLINK_SLOTS)
    records = coll.records()
    assert coll.bad_blocks == [] and len(records) == log.next_seq
    taps = [wire.unpack_slot(s, 0)[2] for _, s in records if wire.slot_kind(s, 0) == wire.TAP]
    assert taps == list(range(1000))  # each record stored once, in order
    remove_dirs()
