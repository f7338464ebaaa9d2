# recover: rebuild the log's state at construction from flash and the state file.
# SPDX-License-Identifier: MIT
"""Recovery (docs/log.md, "Recovery"), run once by ``Log.__init__``:
``recover(ring, keys, state, reader, slot)`` returns a ``Recovered`` the log starts from.

1. the key store scrubs dead and torn key records and keeps the newest key (its constructor);
2. the state file gives the boot counter and the acknowledged floor (a corrupt one is reported);
3. the ring finds tail and head from the sector headers (``Ring.recover``);
4. the head sector's slots are checked: torn or corrupt slots become VOID (all zero bytes) and
   are reported as STORAGE/3; a SEAL at the very end whose key has not evolved yet is checked
   against its MAC (a cut seal is voided, a complete one gets its key evolution now);
5. the key is evolved to the epoch the log reached;
6. the floor is taken from the state file, or recomputed from the tail; without a state file
   the boot counter comes from the newest BOOT slot, searched back from the head.
"""

from firmware import wire
from firmware.log.batches import Chain
from firmware.log.ring import SLOTS

_ZERO = bytes(wire.SLOT)


class Recovered:
    """What recovery found on flash and in the state file."""

    def __init__(self):
        self.open = Chain()  # the block being written: its first slot and chain state
        self.floor = Chain()  # the first block not wholly acknowledged
        self.acked = 0
        self.saved_floor = 0  # the floor the state file holds (0 when it is not trusted)
        self.boot = 0
        self.reports = []  # sequence numbers to report as STORAGE/3 (0: the state file)


def recover(ring, keys, state, reader, slot):
    """``slot`` is a 9-byte scratch buffer; ``reader`` a ``firmware.log.batches.Reader``."""
    found = Recovered()
    saved = found.floor  # the state file's floor, if it has one
    have = False
    try:
        have = state.load(saved)
    except ValueError:
        pass
    if state.corrupt:
        found.reports.append(0)
    ring.recover(saved.seq if have else 0)
    found.reports.extend(ring.bad)
    boot_seen = 0
    o = found.open
    if ring.empty:
        if have:
            o.take(saved)
        else:
            o.seq, o.epoch = ring.tail_base, max(keys.epoch, 0)
    else:
        chain_at(ring, keys, reader, ring.head, ring.head_base, o)
        boot_seen = _check_head(ring, keys, reader, slot, o, found.reports)
    if keys.key is not None:
        while keys.epoch < o.epoch:
            keys.evolve()
        if keys.epoch > o.epoch:  # seals are missing from flash: the collector will see it
            found.reports.append(ring.end)
    if have and ring.tail_base <= saved.seq <= ring.end:
        found.acked = min(max(state.acked, saved.seq), ring.end)
        found.saved_floor = saved.seq
    else:
        _floor_from_tail(ring, keys, reader, slot, o, found.floor)
        found.acked = found.floor.seq
    if not have and boot_seen == 0 and not ring.empty:
        boot_seen = _last_boot(ring, reader.buf, ring.head_base)
    found.boot = max(state.boot if have else 0, boot_seen)
    return found


def _check_head(ring, keys, reader, slot, o, reports):
    """Step 4 over the head sector, moving ``o`` past each seal; the newest boot counter seen."""
    boot_seen = 0
    used = ring.used
    voided = -2
    for i in range(used):
        seq = ring.head_base + i
        ring.read(seq, slot, 1)
        state = wire.slot_state(slot, 0)
        kind = slot[0] >> 4
        if state == wire.VALID and kind == wire.SEAL:
            if i == used - 1 and keys.key is not None and keys.epoch == o.epoch:
                # Cut between "seal written" and "key evolved", or during the seal itself.
                if not _same(reader.seal_mac(o, seq - o.seq), slot, 1):
                    ring.write_slot(seq, _ZERO)
                    reports.append(seq)
                    continue
            o.sealed(seq, slot, 1)
        elif state == wire.VALID:
            if kind == wire.BOOT:
                boot_seen = max(boot_seen, wire.unpack_slot(slot, 0)[2] >> 8)
        else:  # torn by a cut, or a bit flip: keep the sequence number, clear the bytes
            ring.write_slot(seq, _ZERO)
            if seq - 1 != voided:  # one report per run of voided slots: its first one
                reports.append(seq)
            voided = seq
    return boot_seen


def _last_boot(ring, buf, seq):
    """Boot counter of the newest BOOT slot below ``seq`` (no state file to say it), or 0."""
    per = len(buf) // wire.SLOT
    while seq > ring.tail_base:
        n = min(per, seq - ring.tail_base)
        seq -= n
        ring.read(seq, buf, n)
        for i in range(n - 1, -1, -1):
            o = i * wire.SLOT
            if buf[o] >> 4 == wire.BOOT and wire.slot_state(buf, o) == wire.VALID:
                return wire.unpack_slot(buf, o)[2] >> 8
    return 0


def chain_at(ring, keys, reader, idx, base, chain):
    """Set ``chain`` to the block open at ``base``, the base of ring sector ``idx``."""
    at = ring.header_chain(idx, chain.mac)
    if at is not None:
        chain.epoch, chain.seq = at
        return
    if idx != ring.tail:
        at = ring.header_chain((idx - 1) % ring.count, chain.mac)
        if at is not None:
            chain.epoch, chain.seq = at
            reader.follow(chain, base - SLOTS, base)
            return
    for i in range(wire.MAC_LEN):  # nothing to chain from: the collector sees the break
        chain.mac[i] = 0
    chain.seq, chain.epoch = base, max(keys.epoch, 0)


def _floor_from_tail(ring, keys, reader, slot, o, floor):
    """No usable state file: resend from the first whole block in the tail sector."""
    if ring.empty:
        floor.take(o)
        return
    chain_at(ring, keys, reader, ring.tail, ring.tail_base, floor)
    if floor.seq == ring.tail_base:
        return
    e = floor.epoch
    for seq in range(ring.tail_base, ring.end):
        ring.read(seq, slot, 1)
        if slot[0] >> 4 == wire.SEAL:
            floor.set(seq + 1, e + 1, slot, 1)
            return
    floor.take(o)


def _same(mac, buf, off):
    for i in range(wire.MAC_LEN):
        if mac[i] != buf[off + i]:
            return False
    return True
