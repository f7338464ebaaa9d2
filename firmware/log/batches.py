# logsync: the log's side of a sync: seal MACs read back from flash, batches, acknowledgements.
# SPDX-License-Identifier: MIT
"""Functions of ``firmware.log.Log`` that run off the tap path (they allocate): the streamed
seal MAC (``wire.seal_mac`` of slots read a chunk at a time, so a 4,096-slot block needs no
36 KB buffer), ``batch``, ``batches``, ``status_request`` and ``ack``.
"""

import hashlib
import struct

from firmware import wire
from firmware.log.ring import GOOD, SLOTS


def block_mac(log, first, n):
    """wire.seal_mac of slots first .. first+n-1, read from flash a chunk at a time."""
    key = log.keys.key
    if key is None:
        raise ValueError("no key installed")
    ipad = bytearray(64)
    opad = bytearray(64)
    for i in range(64):
        k = key[i] if i < len(key) else 0
        ipad[i] = k ^ 0x36
        opad[i] = k ^ 0x5C
    inner = hashlib.sha256(ipad)
    inner.update(struct.pack(">4sIIIH", b"HDS1", log.terminal_id, log._epoch, first, n))
    inner.update(log._mac)
    mv = memoryview(log._chunk)
    done = 0
    while done < n:
        k = min(len(log._chunk) // wire.SLOT, n - done)
        log.ring.read(first + done, log._chunk, k)
        inner.update(mv[: k * wire.SLOT])
        done += k
    outer = hashlib.sha256(opad)
    outer.update(inner.digest())
    return outer.digest()[: wire.MAC_LEN]


def status_request(log, health24):
    return wire.encode_batch(
        log.terminal_id, log.next_seq, log._epoch, log._mac, health24, b"", log.keys.key
    )


def batch(log, health24, max_slots):
    """Whole sealed blocks from the first unacknowledged one (the caller sealed)."""
    return batch_at(log, health24, max_slots, log._floor, log._floor_epoch, log._floor_mac)


def batches(log, health24, max_slots):
    """Every batch from the floor to the head, each starting where the one before ended, as
    if each had been acknowledged; the log's floor and watermark stay as they are."""
    first, epoch, mac = log._floor, log._floor_epoch, bytearray(log._floor_mac)
    while first < log.next_seq:
        body = batch_at(log, health24, max_slots, first, epoch, mac)
        count = (body[12] << 8) | body[13]
        if count == 0:
            return
        yield body
        body = None  # the next batch may reuse its memory
        epoch, after = walk(log, first, first + count, epoch, mac)
        if after is None:
            return
        first = after


def batch_at(log, health24, max_slots, first, floor_epoch, floor_mac):
    """Whole sealed blocks from ``first`` (the start of a block whose chain state is
    ``floor_epoch``, ``floor_mac``)."""
    avail = log.next_seq - first
    if avail <= 0:
        return status_request(log, health24)
    n = min(avail, max_slots)
    slots = bytearray(n * wire.SLOT)
    log.ring.read(first, slots, n)
    end = 0
    for i in range(n):
        if slots[i * wire.SLOT] >> 4 == wire.SEAL:
            end = i + 1
    if end == 0:  # one block longer than max_slots: send it whole (never above 4096)
        n = min(avail, wire.MAX_BATCH_SLOTS)
        slots = bytearray(n * wire.SLOT)
        log.ring.read(first, slots, n)
        for i in range(n):
            if slots[i * wire.SLOT] >> 4 == wire.SEAL:
                end = i + 1
                break
    for i in range(max(0, log._checked - first), end):
        if wire.slot_state(slots, i * wire.SLOT) == wire.CORRUPT:
            log._report(first + i)
    log._checked = max(log._checked, first + end)
    body = memoryview(slots)[: end * wire.SLOT]
    # Signed with the only key the terminal has: the current one (docs/log.md, "Batches").
    return wire.encode_batch(
        log.terminal_id, first, floor_epoch, floor_mac, health24, body, log.keys.key,
    )  # fmt: skip


def ack(log, acked_seq):
    """The collector holds every slot below ``acked_seq``; lower values are ignored."""
    end = min(acked_seq, log.next_seq)
    if end <= log._acked:
        return
    log._acked = end
    e, b = walk(log, log._floor, end, log._floor_epoch, log._floor_mac)
    if b is not None:
        log._floor = b
        log._floor_epoch = e
    old = (log._saved_floor - log.ring.tail_base) // SLOTS
    if (log._floor - log.ring.tail_base) // SLOTS > old:
        log._save()  # durable before maintain() may erase a sector below the floor


def walk(log, seq, end, epoch, mac):
    """Follow the chain over slots seq .. end-1: (epoch, first seq after the last seal or
    None); ``mac`` is updated in place to the last seal's MAC.

    At each sector base the chain restarts from that sector's header, so a slot whose kind a
    bit flip turned into SEAL misleads the count for the rest of its sector only.
    """
    after = None
    buf = log._chunk
    ring = log.ring
    while seq < end:
        into = (seq - ring.tail_base) % SLOTS
        if into == 0 and ring.read_header(ring.locate(seq)[0] - ring.first) == GOOD:
            epoch = ring.chain(mac)[0]  # the header says what the chain is at its base
        n = min(len(buf) // wire.SLOT, end - seq, SLOTS - into)
        ring.read(seq, buf, n)
        for i in range(n):
            if buf[i * wire.SLOT] >> 4 == wire.SEAL:
                epoch += 1
                for k in range(wire.MAC_LEN):
                    mac[k] = buf[i * wire.SLOT + 1 + k]
                after = seq + i + 1
        seq += n
    return epoch, after
