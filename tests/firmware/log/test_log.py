# firmware.log under MicroPython and CPython: NorFlash in memory, state file on the VFS.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 768k: the check collector holds every slot (4,100-slot runs); bytes(batch) copies
from firmware import wire
from firmware.log import Log, LogError, LogFull
from firmware.log.batches import Chain, Reader
from firmware.log.ring import HEADER, SLOTS
from tests.kit.logcheck import Collector, drain, fresh_dir
from tests.kit.mpytest import IS_MICROPYTHON, allocated_bytes, raises
from tools.sim.flash import NorFlash, PowerCut

K0 = bytes(range(32))
TID = 7
TOKEN = bytearray(b"\xde\xad\xbe\xef")


def new_log(blocks=8):
    flash = NorFlash(blocks=blocks)
    path = fresh_dir()
    log = Log(flash, path, TID)
    log.install_key(K0)
    log.boot(1)
    return log, flash, path


def taps(log, n, start=0, maintain=True):
    seqs = []
    for i in range(n):
        seqs.append(log.append(wire.TAP, wire.CARD_ENROLLED, start + i, (start + i) * 100))
        if maintain:
            log.maintain()
    return seqs


def test_append_is_consecutive_and_batches_verify():
    log, flash, _ = new_log()
    seqs = taps(log, 50)
    assert seqs == list(range(1, 51))  # seq 0 is the BOOT slot
    coll = Collector(TID, K0)
    drain(log, coll)
    recs = coll.records()
    assert wire.unpack_slot(recs[0][1], 0)[:3] == (wire.BOOT, 0, (1 << 8) | 1)
    assert [wire.unpack_slot(s, 0)[2] for q, s in recs[1:51]] == list(range(50))
    assert wire.slot_kind(recs[51][1], 0) == wire.SEAL
    assert coll.bad_blocks == []
    assert log.backlog == 0 and log.acked == 52 and log.epoch == 1


def test_status_request_when_all_is_acked():
    log, _, _ = new_log()
    coll = Collector(TID, K0)
    drain(log, coll)
    b = wire.decode_batch(log.batch(bytes(24)))
    assert b.count == 0 and b.first_seq == log.next_seq
    assert b.request_mac_ok(wire.epoch_key(K0, log.epoch))


def test_batches_walk_the_whole_backlog_without_acknowledging_anything():
    flash = NorFlash(blocks=8)
    log = Log(flash, fresh_dir(), TID, block_slots=100)
    log.install_key(K0)
    log.boot(1)
    taps(log, 350)  # maintain() seals every 100 slots: four blocks and an open one
    coll = Collector(TID, K0)
    drain(log, coll, max_slots=101)  # the collector holds the first blocks
    taps(log, 420, start=350)
    before = (log.acked, log.backlog, log.floor.seq, log.floor.epoch, bytes(log.floor.mac))
    h = wire.pack_health({"backlog_slots": log.backlog})
    got = [bytes(b) for b in log.batches(h, 101)]  # seals the open block first
    after = (log.acked, log.backlog, log.floor.seq, log.floor.epoch, bytes(log.floor.mac))
    assert after[0] == before[0] and after[2:] == before[2:]  # nothing acknowledged
    assert after[1] == before[1] + 1  # only the SEAL of the open block was added
    assert len(got) >= 5  # more blocks waited than one batch holds
    firsts = [wire.decode_batch(b).first_seq for b in got]
    assert firsts[0] == log.floor.seq  # from the first unacknowledged block ...
    last = wire.decode_batch(got[-1])
    assert last.first_seq + last.count == log.next_seq  # ... to the head, each where the one
    for a, b in zip(got, got[1:]):  # before ended
        da, db = wire.decode_batch(a), wire.decode_batch(b)
        assert da.first_seq + da.count == db.first_seq
    assert got[0] == bytes(log.batch(h, 101))  # the first is what a sync sends next
    for body in got:  # and every one verifies at a collector, chained, in order
        acked = coll.receive(body)
    assert acked == log.next_seq and coll.bad_blocks == []
    again = [bytes(b) for b in log.batches(h, 101)]
    assert again == got  # the log's state did not move: the same batches again
    log.ack(acked)
    assert [bytes(b) for b in log.batches(h, 101)] == []  # all acknowledged: nothing to pull


def _streamed(log, h, max_slots):
    got = []
    piece = []

    def emit(p):
        if p is None:
            got.append(b"".join(piece))
            piece.clear()
        else:
            piece.append(bytes(p))

    n = log.stream_batches(h, emit, max_slots)
    assert n == len(got)
    return got


def test_streamed_batches_are_the_batches_byte_for_byte_in_bounded_memory():
    flash = NorFlash(blocks=24)
    log = Log(flash, fresh_dir(), TID, block_slots=1000)
    log.install_key(K0)
    log.boot(1)
    taps(log, 4500, maintain=False)  # the log seals a block at 4,095 slots itself
    log.seal()
    taps(log, 2100, start=4500)  # then blocks of 1,000 (maintain seals them)
    h = wire.pack_health({"backlog_slots": log.backlog})
    want = [bytes(b) for b in log.batches(h, 4096)]
    assert _streamed(log, h, 4096) == want and len(want) >= 2
    assert _streamed(log, h, 101) == [bytes(b) for b in log.batches(h, 101)]
    coll = Collector(TID, K0)
    for body in _streamed(log, h, 4096):
        acked = coll.receive(body)
    assert acked == log.next_seq and coll.bad_blocks == []

    if collecting():  # a real GC (the unix port, the ESP32), not the WebAssembly port's
        assert live_peak(lambda emit: log.stream_batches(h, emit, 4096)) < 2 * 1024  # 896 B
        # where a 4,096-slot batch built whole is held whole while it is sent (37 KB), and
        # twice while it is built:
        try:
            whole = live_peak(lambda emit: [emit(b) for b in log.batches(h, 4096)])
        except MemoryError:  # the module's heap limit cannot even hold one whole batch
            whole = 1 << 30
        assert whole > 30 * 1024


def collecting():
    """True when ``gc.collect()`` frees garbage here (the WebAssembly port's does not while
    Python code runs)."""
    if not IS_MICROPYTHON:
        return False
    import gc

    gc.collect()
    before = gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]
    junk = bytearray(20000)
    junk = None
    gc.collect()
    return junk is None and gc.mem_alloc() < before + 10000  # pyright: ignore[reportAttributeAccessIssue]


def live_peak(run):
    """Most heap held live (after a collection) at any ``emit`` while ``run(emit)`` runs, above
    what was held before."""
    import gc

    gc.collect()
    base = gc.mem_alloc()  # pyright: ignore[reportAttributeAccessIssue]
    peak = [0]

    def emit(piece):
        gc.collect()
        peak[0] = max(peak[0], gc.mem_alloc() - base)  # pyright: ignore[reportAttributeAccessIssue]

    run(emit)
    return peak[0]


def test_reboot_never_reuses_a_sequence_number():
    log, flash, path = new_log()
    taps(log, 600)  # more than one sector
    last = log.next_seq
    for boot in (2, 3):
        log = Log(flash, path, TID)
        assert log.next_seq == last
        assert log.boot(1) == boot
        last = log.append(wire.TAP, 0, TOKEN, 5) + 1
    coll = Collector(TID, K0)
    drain(log, coll)
    assert len(coll.records()) == log.next_seq


def test_tap_path_never_erases():
    log, flash, _ = new_log()
    worst = 0
    for i in range(3 * SLOTS):
        e = flash.erases
        p = flash.prog_ops
        log.append(wire.TAP, 1, i, i)
        assert flash.erases == e
        worst = max(worst, flash.prog_ops - p)
        log.maintain()
    assert worst == 2  # a sector roll: mark the full sector, then header + slot


def test_reclaim_only_below_the_acknowledged_floor():
    log, flash, path = new_log(blocks=2 + 4)
    taps(log, 2 * SLOTS)
    coll = Collector(TID, K0)
    drain(log, coll)
    held = log.acked
    taps(log, SLOTS, start=10_000)  # unacknowledged
    for _ in range(10):
        log.maintain()
    assert log.acked == held
    log = Log(flash, path, TID)  # a reboot resends at most one sector of acknowledged slots
    assert held - SLOTS <= log.acked <= held
    coll2 = coll.copy()
    drain(log, coll2)
    recs = coll2.records()
    got = [wire.unpack_slot(s, 0)[2] for q, s in recs if wire.slot_kind(s, 0) == wire.TAP]
    assert got[-SLOTS:] == list(range(10_000, 10_000 + SLOTS))
    assert coll2.bad_blocks == []


def test_full_log_refuses_taps_warns_at_80_and_recovers_after_ack():
    log, flash, _ = new_log(blocks=2 + 3)
    kinds = []
    with raises(LogFull):
        for i in range(log.capacity):
            log.append(wire.TAP, 1, i, i)
            log.maintain()
    assert log.used_per_mille >= 990
    coll = Collector(TID, K0)
    drain(log, coll)
    kinds = [(wire.unpack_slot(s, 0)[0], wire.unpack_slot(s, 0)[1]) for q, s in coll.records()]
    assert (wire.STORAGE, wire.STORAGE_WARNING) in kinds
    assert (wire.STORAGE, wire.STORAGE_FULL) in kinds
    warn_at = kinds.index((wire.STORAGE, wire.STORAGE_WARNING))
    assert warn_at * 1000 // log.capacity in (800, 801)
    for _ in range(6):
        log.maintain()
    seq = log.append(wire.TAP, 1, TOKEN, 1)  # space again once acknowledged and reclaimed
    assert seq == log.next_seq - 1


def test_a_full_log_still_boots_and_seals():
    log, flash, path = new_log(blocks=2 + 3)
    with raises(LogFull):
        for i in range(log.capacity):
            log.append(wire.TAP, 1, i, i)
    for boot in range(2, 14):  # a reboot loop eats the reserve, never the boot itself
        log = Log(flash, path, TID)
        assert log.boot(1) == boot
    assert log.capacity - (log.next_seq - log.ring.tail_base) == 1  # kept for the seal
    coll = Collector(TID, K0)
    drain(log, coll)  # the slot kept for a seal lets the full log sync
    assert coll.bad_blocks == [] and len(coll.records()) == log.next_seq


def test_a_full_log_refuses_a_late_clock_anchor_that_would_misdate_its_boot():
    log, flash, path = new_log(blocks=2 + 3)
    with raises(LogFull):
        for i in range(log.capacity):
            log.append(wire.TAP, 1, i, i)
    with raises(LogFull):
        log.append(wire.CLOCK, wire.CLOCK_NTP, 820_454_400, 5)


def test_torn_slot_becomes_void_and_is_reported():
    log, flash, path = new_log()
    taps(log, 10)
    for tear in (0.0, 0.3, 0.7):
        torn = log.next_seq
        flash.cut_at = flash.ops + 1
        flash.tear = tear
        with raises(PowerCut):
            log.append(wire.TAP, 1, TOKEN, 99)
        flash.power_on()
        log = Log(flash, path, TID)
        assert log.reports == [torn]
        assert log.next_seq == torn + 1  # the torn slot keeps its number
        log.boot(1)
    coll = Collector(TID, K0)
    drain(log, coll)
    recs = coll.records()
    voids = [q for q, s in recs if s == bytes(9)]
    assert len(voids) == 3
    storage = [wire.unpack_slot(s, 0)[2] for q, s in recs if wire.slot_kind(s, 0) == wire.STORAGE]
    assert storage == voids
    assert coll.bad_blocks == []


def test_cut_between_seal_and_key_evolution():
    log, flash, path = new_log()
    taps(log, 5)
    seal_op = flash.ops + 1  # the SEAL slot's program, then the two key copies
    for cut in (seal_op, seal_op + 1, seal_op + 2, seal_op + 3):
        flash2 = NorFlash(blocks=8, image=flash.mem)
        path2 = fresh_dir()
        with open(path + "/log.state", "rb") as f:
            state = f.read()
        with open(path2 + "/log.state", "wb") as f:
            f.write(state)
        flash2.ops = flash.ops
        flash2.cut_at = cut
        log2 = Log(flash2, path2, TID)
        with raises(PowerCut):
            log2.seal()
            log2.seal()
        flash2.power_on()
        log2 = Log(flash2, path2, TID)
        assert log2.next_seq == 7  # a torn seal stays as a VOID slot
        sealed = log2.reports == []
        assert log2.reports == ([] if cut > seal_op else [6])
        assert log2.epoch == (1 if sealed else 0)
        assert log2.keys.epoch == log2.epoch
        coll = Collector(TID, K0)
        drain(log2, coll)
        assert coll.bad_blocks == []
        assert len(coll.records()) == log2.next_seq


def test_old_keys_are_gone_from_flash():
    log, flash, _ = new_log()
    for i in range(5):
        taps(log, 3, start=i * 3, maintain=False)
        log.seal()
    assert log.epoch == 5
    mem = bytes(flash.mem)
    key = K0
    for e in range(5):
        assert mem.find(key) < 0, e
        key = wire.evolve_key(key)
    assert mem.find(key) >= 0  # the current one, K(5)
    assert log.keys.key == wire.epoch_key(K0, 5)


def test_a_bit_flip_costs_only_its_own_block():
    for sealed_first in (False, True):
        log, flash, path = new_log()
        taps(log, 2 * SLOTS)
        if sealed_first:
            log.seal()  # block 0 = seqs 0 .. 2*SLOTS, its seal at 2*SLOTS + 1
            taps(log, SLOTS)
        addr = 2 * 4096 + HEADER + 100 * wire.SLOT + 2  # a slot in the first sector
        flash.flip(addr, 5)
        log = Log(flash, path, TID)
        log.boot(1)
        coll = Collector(TID, K0)
        drain(log, coll)
        recs = coll.records()
        assert len(recs) == log.next_seq  # nothing else lost
        assert wire.slot_state(recs[100][1], 0) == wire.CORRUPT
        storage = [wire.unpack_slot(s, 0) for q, s in recs if wire.slot_kind(s, 0) == wire.STORAGE]
        assert [p for k, f, p, u in storage] == [100]  # the terminal reports it
        # Sealed before the flip: the collector's MAC check fails for that block only. Sealed
        # after: the MAC covers the flipped byte, the CRC and the report show it.
        assert coll.bad_blocks == ([0] if sealed_first else [])


def test_a_slot_flipped_into_a_seal_misleads_the_chain_only_within_its_sector():
    log, flash, path = new_log()
    taps(log, 10)
    tamper = log.append(wire.TAMPER, 0, 0, 5)  # 0x60: one flip away from 0xE0, a SEAL
    for i in range(5):
        taps(log, 100, start=100 * i)
        log.seal()
    flash.flip(2 * 4096 + HEADER + tamper * wire.SLOT, 7)
    log = Log(flash, path, TID)
    assert log.epoch == 5  # from the head sector's header and slots
    reader = Reader(log.ring, log.keys, TID, log.report)
    whole = Chain()
    assert reader.follow(whole, 0, log.next_seq)
    epoch, after, mac = whole.epoch, whole.seq, whole.mac
    assert epoch == 5 and after == log.next_seq and bytes(mac) == bytes(log.open.mac)
    first = Chain()
    reader.follow(first, 0, SLOTS)
    within = first.epoch
    assert within == 1 + 4  # the fake seal counts inside its own sector (4 real seals there)


def test_a_bit_flip_in_a_sector_header_is_reported_and_bridged():
    log, flash, path = new_log()
    taps(log, 3 * SLOTS)
    flash.flip(3 * 4096 + 5, 0)  # base of the second sector
    log = Log(flash, path, TID)
    assert log.reports == [SLOTS]
    log.boot(1)
    coll = Collector(TID, K0)
    drain(log, coll)
    assert coll.bad_blocks == []
    assert len(coll.records()) == log.next_seq


def test_a_bit_flip_in_one_key_copy_loses_nothing():
    log, flash, path = new_log()
    taps(log, 4)
    log.seal()
    s, i = log.keys.current[0]
    flash.flip(s * 4096 + i * 40 + 10, 2)
    log = Log(flash, path, TID)
    assert log.has_key() and log.keys.key == wire.epoch_key(K0, 1)


def test_lost_key_records_take_k0_again_at_the_epoch_reached():
    log, flash, path = new_log()
    for i in range(3):
        taps(log, 4, start=10 * i)
        log.seal()
    for s, i in log.keys.current:  # both copies of K(3) destroyed
        flash.writeblocks(s, bytes(40), i * 40)
    log = Log(flash, path, TID)
    assert not log.has_key() and log.epoch == 3
    log.install_key(K0)  # secrets.json still holds K0 (the terminal keeps it until has_key())
    assert log.keys.key == wire.epoch_key(K0, 3)
    taps(log, 2, start=100)
    coll = Collector(TID, K0)
    drain(log, coll)
    assert coll.bad_blocks == [] and len(coll.records()) == log.next_seq


def test_lost_state_file_resends_from_the_tail_without_loss():
    log, flash, path = new_log()
    taps(log, 700)
    coll = Collector(TID, K0)
    drain(log, coll)
    taps(log, 20, start=5000)
    import os

    os.remove(path + "/log.state")
    os.remove(path + "/log.state.b")
    log = Log(flash, path, TID)
    assert log.boot(1) >= 1
    drain(log, coll)
    assert len(coll.records()) == log.next_seq


def test_a_corrupt_state_file_is_reported_and_loses_nothing():
    for names in (("log.state",), ("log.state.b",), ("log.state", "log.state.b")):
        log, flash, path = new_log()
        taps(log, 700)
        coll = Collector(TID, K0)
        drain(log, coll)  # the first sector, with the BOOT slot, is reclaimed
        boots = log.boot_counter
        for name in names:
            with open(path + "/" + name, "rb") as f:
                state = bytearray(f.read())
            state[5] ^= 0x04  # a flip in the acked watermark
            with open(path + "/" + name, "wb") as f:
                f.write(state)
        log = Log(flash, path, TID)
        assert log.reports == [0]
        both = len(names) == 2  # then the boot counter is lost with its BOOT slot
        assert log.boot(1) == (1 if both else boots + 1)
        drain(log, coll)
        recs = coll.records()
        assert len(recs) == log.next_seq
        storage = [wire.unpack_slot(s, 0) for q, s in recs if wire.slot_kind(s, 0) == wire.STORAGE]
        assert [(k, f, p) for k, f, p, u in storage] == [(wire.STORAGE, wire.STORAGE_CORRUPT, 0)]


def test_maintain_seals_a_block_before_it_outgrows_a_batch():
    log, flash, _ = new_log(blocks=2 + 12)
    for i in range(4100):
        log.append(wire.TAP, 1, i, i)
        log.maintain()
    assert log.epoch == 4  # blocks of 1,000 slots
    coll = Collector(TID, K0)
    assert drain(log, coll, max_slots=1001) == 6  # whole blocks, each in a batch of its own
    assert coll.bad_blocks == []
    assert len(coll.records()) == log.next_seq


def test_the_state_folder_is_created_when_missing():
    path = fresh_dir() + "/data"
    log = Log(NorFlash(blocks=6), path, TID)
    assert log.boot(1) == 1
    assert Log(NorFlash(blocks=6), path, TID).boot_counter == 1


def test_append_seals_as_a_last_resort_when_maintain_never_ran():
    flash = NorFlash(blocks=2 + 12)
    log = Log(flash, fresh_dir(), TID, block_slots=4094)
    log.install_key(K0)
    for i in range(4100):
        log.append(wire.TAP, 1, i, i)
    assert log.epoch == 1  # the block was sealed at 4,095 slots: it fits one batch
    coll = Collector(TID, K0)
    drain(log, coll)
    assert coll.bad_blocks == [] and len(coll.records()) == log.next_seq


def test_misuse_is_a_log_error():
    flash = NorFlash(blocks=6)
    log = Log(flash, fresh_dir(), TID)
    assert not log.has_key()
    log.append(wire.TAP, 1, 1, 1)
    with raises(LogError):
        log.seal()
    log.install_key(K0)
    with raises(LogError):
        log.install_key(K0)


def test_a_flash_too_small_for_two_ring_sectors_is_refused():
    # 2 blocks left a ring of no sector (IndexError at the first maintain); 3 a ring of one,
    # which fills and is never reclaimed, since its tail is its head.
    for blocks in (1, 2, 3):
        with raises(LogError):
            Log(NorFlash(blocks=blocks), fresh_dir(), TID)
    log, _flash, _path = new_log(blocks=4)
    log.maintain()
    assert log.ring.count == 2


def test_append_allocates_nothing_after_warm_up():
    log, flash, _ = new_log()
    taps(log, 3)

    def burst():
        for i in range(20):
            log.append(wire.TAP, 1, TOKEN, 1000 + i)

    assert allocated_bytes(burst) in (None, 0)


def test_a_sector_roll_allocates_nothing_either():
    log, flash, _ = new_log()
    taps(log, SLOTS - 10)  # maintain() has pre-erased the next sector
    rolls = flash.prog_ops

    def burst():
        for i in range(20):
            log.append(wire.TAP, 1, TOKEN, 2000 + i)

    assert allocated_bytes(burst) in (None, 0)
    if rolls == flash.prog_ops:  # CPython: allocated_bytes did not run it
        burst()
    assert log.ring.head == 1  # the burst crossed into the second sector


def test_the_store_needs_at_most_8_kb_of_ram():
    # Every byte allocated while building the store, recovering a full-size partition, booting
    # and appending, garbage included: an upper bound of what the store keeps (GC disabled).
    path = fresh_dir()
    # The real partition size (per-sector state scales with it), in a file: SPI flash is not RAM.
    flash = NorFlash(blocks=448, path=path + "/hlog.bin")
    box = []

    def build():
        log = Log(flash, path, TID)
        log.install_key(K0)
        log.boot(1)
        taps(log, 10, maintain=False)
        box.append(log)

    used = allocated_bytes(build)
    print("log RAM bytes (upper bound):", used)
    assert used is None or used <= 8192, used
    if used is None:  # CPython: allocated_bytes does not run it
        build()
    assert box[0].next_seq == 11


def teardown_module():
    from tests.kit.logcheck import remove_dirs

    remove_dirs()


def test_heap_to_build_a_full_default_batch():
    # All bytes batch() allocates (GC off: an upper bound of its peak) for one 1,000-slot block.
    log, flash, _ = new_log(blocks=2 + 4)
    taps(log, log.block_slots - 1, maintain=False)  # with the BOOT slot: one full block
    box = []
    used = allocated_bytes(lambda: box.append(log.batch(bytes(24), log.block_slots + 1)))
    print("batch heap bytes (1,000 slots):", used)
    if used is None:
        box.append(log.batch(bytes(24), log.block_slots + 1))
    assert wire.decode_batch(box[0]).count == log.block_slots + 1
    assert used is None or used <= 56 * 1024, used


def _scenario(flash, path, acked, snaps):
    """Appends, syncs with acks, a reboot: the cut sweep below runs it until the power fails."""
    coll = Collector(TID, K0)
    snaps.append(coll.copy())
    log = Log(flash, path, TID)
    log.install_key(K0)
    log.boot(1)
    for i in range(60):
        seq = log.append(wire.TAP, 1, i, i)
        acked.append(seq)
        log.maintain()
        if i % 10 == 9:
            body = log.batch(bytes(24))
            log.ack(coll.receive(body))
            snaps.append(coll.copy())
            log.maintain()
        if i == 35:
            log = Log(flash, path, TID)
            log.boot(1)


def test_every_cut_point_of_a_small_scenario():
    # The NOR cut sweep under MicroPython itself (state file on VfsPosix); the exhaustive one,
    # with littlefs cut too, is tests/firmware/log/test_log_powercut.py.
    dry = NorFlash(blocks=2 + 3)
    _scenario(dry, fresh_dir(), [], [])
    total = dry.ops
    print("cut points under this interpreter:", total)
    assert total > 70
    for k in range(1, total + 1):
        flash = NorFlash(blocks=2 + 3)
        flash.cut_at = k
        flash.tear = (0.0, 0.5, 0.9)[k % 3]
        path = fresh_dir()
        acked, snaps = [], []
        try:
            _scenario(flash, path, acked, snaps)
        except PowerCut:
            pass
        flash.power_on()
        log = Log(flash, path, TID)
        if not log.has_key():
            log.install_key(K0)
        assert not acked or log.next_seq > acked[-1], k
        log.boot(1)
        coll = snaps[-1].copy() if snaps else Collector(TID, K0)
        drain(log, coll)
        assert coll.bad_blocks == [], k
        held = coll.slots
        for n, seq in enumerate(acked):
            assert wire.unpack_slot(held[seq], 0)[:3] == (wire.TAP, 1, n), (k, seq)
