# logrecover: rebuild the log's state at construction from flash and the state file.
# SPDX-License-Identifier: MIT
"""Recovery (docs/log.md, "Recovery"), run once by ``Log.__init__``:

1. the key store scrubs dead and torn key records and keeps the newest key;
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
from firmware.log.ring import GOOD, SLOTS

_ZERO = bytes(wire.SLOT)


def recover(log):
    keys = log.keys
    ring = log.ring
    st = None
    try:
        st = log.state.load()
    except ValueError:
        pass
    if getattr(log.state, "corrupt", 0):
        log._report(0)
    torn = ring.recover(st[2] if st else 0)
    if torn >= 0:
        ring.clean[torn] = 0
    for base in ring.bad:
        log._report(base)
    boot_seen = 0
    mac = log._mac
    if ring.head < 0:
        if st:
            epoch, bstart = st[3], st[2]
            for i in range(wire.MAC_LEN):
                mac[i] = st[4][i]
        else:
            epoch, bstart = max(keys.epoch, 0), ring.tail_base
    else:
        epoch, bstart = chain_at(log, ring.head, ring.head_base, mac)
        slot = log._slot
        used = ring.used
        voided = -2
        for i in range(used):
            seq = ring.head_base + i
            ring.read(seq, slot, 1)
            state = wire.slot_state(slot, 0)
            kind = slot[0] >> 4
            if state == wire.VALID and kind == wire.SEAL:
                if i == used - 1 and keys.key is not None and keys.epoch == epoch:
                    # Cut between "seal written" and "key evolved", or during the seal itself.
                    log._epoch = epoch
                    log._bstart = bstart
                    if not _same(log._block_mac(bstart, seq - bstart), slot, 1):
                        ring.write_slot(seq, _ZERO)
                        log._report(seq)
                        continue
                epoch += 1
                for k in range(wire.MAC_LEN):
                    mac[k] = slot[1 + k]
                bstart = seq + 1
            elif state == wire.VALID:
                if kind == wire.BOOT:
                    boot_seen = max(boot_seen, wire.unpack_slot(slot, 0)[2] >> 8)
            else:  # torn by a cut, or a bit flip: keep the sequence number, clear the bytes
                ring.write_slot(seq, _ZERO)
                if seq - 1 != voided:  # one report per run of voided slots: its first one
                    log._report(seq)
                voided = seq
    log._epoch = epoch
    log._bstart = bstart
    if keys.key is not None:
        while keys.epoch < epoch:
            keys.evolve()
        if keys.epoch > epoch:  # seals are missing from flash: the collector will see it
            log._report(log.next_seq)
    nxt = log.next_seq
    if st and ring.tail_base <= st[2] <= nxt:
        log._floor, log._floor_epoch = st[2], st[3]
        for i in range(wire.MAC_LEN):
            log._floor_mac[i] = st[4][i]
        log._acked = min(max(st[1], st[2]), nxt)
        log._saved_floor = st[2]
    else:
        _floor_from_tail(log)
        log._acked = log._floor
    if st is None and boot_seen == 0 and ring.head >= 0:
        boot_seen = _last_boot(log, ring.head_base)
    log._boot = max(st[0] if st else 0, boot_seen)


def _last_boot(log, seq):
    """Boot counter of the newest BOOT slot below ``seq`` (no state file to say it), or 0."""
    ring = log.ring
    buf = log._chunk
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


def chain_at(log, idx, base, mac):
    """(epoch, open block's first seq) at ``base`` of ring sector idx; prev_mac into ``mac``."""
    ring = log.ring
    if ring.read_header(idx) == GOOD:
        return ring.chain(mac)
    if idx != ring.tail:
        if ring.read_header((idx - 1) % ring.count) == GOOD:
            e, b = ring.chain(mac)
            e, after = log._walk(base - SLOTS, base, e, mac)
            return e, (b if after is None else after)
    for i in range(wire.MAC_LEN):  # nothing to chain from: the collector sees the break
        mac[i] = 0
    return max(log.keys.epoch, 0), base


def _floor_from_tail(log):
    """No usable state file: resend from the first whole block in the tail sector."""
    ring = log.ring
    mac = log._floor_mac
    if ring.head < 0:
        log._floor, log._floor_epoch = log._bstart, log._epoch
        for i in range(wire.MAC_LEN):
            mac[i] = log._mac[i]
        return
    e, b = chain_at(log, ring.tail, ring.tail_base, mac)
    if b == ring.tail_base:
        log._floor, log._floor_epoch = b, e
        return
    seq = ring.tail_base
    end = log.next_seq
    buf = log._slot
    while seq < end:
        ring.read(seq, buf, 1)
        if buf[0] >> 4 == wire.SEAL:
            for k in range(wire.MAC_LEN):
                mac[k] = buf[1 + k]
            log._floor, log._floor_epoch = seq + 1, e + 1
            return
        seq += 1
    log._floor, log._floor_epoch = log._bstart, log._epoch
    for i in range(wire.MAC_LEN):
        mac[i] = log._mac[i]


def _same(mac, buf, off):
    for i in range(wire.MAC_LEN):
        if mac[i] != buf[off + i]:
            return False
    return True
