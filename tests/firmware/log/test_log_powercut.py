# Power cut at every flash operation (NOR log + littlefs state) and bit flips anywhere.
# SPDX-License-Identifier: MIT
from firmware import wire
from firmware.log import Log
from tests.kit import logcut
from tests.kit.logcheck import Collector, drain, fresh_dir, remove_dirs
from tools.sim.flash import NorFlash


def test_every_cut_point_keeps_every_acknowledged_record():
    run = logcut.record()
    kinds = {("L" if op[0] == "L" else "E" if op[1] is None else "P") for op in run.journal}
    assert kinds == {"L", "E", "P"}  # littlefs writes, NOR erases (reclaims, keys), programs
    erased = {op[0] for op in run.journal if op[0] != "L" and op[1] is None}
    assert 0 in erased or 1 in erased  # a key sector filled up and was erased
    assert len(erased - {0, 1}) >= 3  # log sectors reclaimed
    result = logcut.sweep(run)
    assert result["cut_points_tested"] == len(run.journal) >= 2000
    assert result["lost_acknowledged"] == 0
    assert result["duplicates"] == 0


def test_a_second_cut_during_recovery_loses_nothing():
    run = logcut.record(taps=900, reboot_every=300, plant_cut_at=450)
    result = logcut.sweep_recovery(run, every=23)
    assert result["recovery_cut_points_tested"] >= 150
    assert result["recovery_lost_acknowledged"] == 0
    assert result["recovery_duplicates"] == 0


def test_the_sweep_catches_a_log_that_forgets():
    # Bite test: a journal whose last acknowledged tap is never written must fail the check.
    run = logcut.record(taps=60, sync_every=1000, reboot_every=1000, plant_cut_at=1000)
    done, seq, slot = run.acked[-1]
    run.acked[-1] = (done, seq, bytes(9))  # claim a record the flash does not hold
    result = logcut.sweep(run)
    assert result["lost_acknowledged"] == len(run.journal) - done  # every cut after it


def _reference(blocks):
    flash = NorFlash(blocks=blocks)
    path = fresh_dir()
    log = Log(flash, path, 9)
    log.install_key(logcut.K0)
    log.boot(1)
    for i in range(900):
        log.append(wire.TAP, 1, i, i)
        log.maintain()
        if i % 200 == 199:
            log.seal()
    with open(path + "/log.state", "rb") as f:
        state = f.read()
    coll = Collector(9, logcut.K0)
    ref_log = Log(NorFlash(blocks=blocks, image=flash.mem), _dir_with(state), 9)
    drain(ref_log, coll)
    return flash, state, {q: s for q, s in coll.records()}


def _dir_with(state):
    path = fresh_dir()
    with open(path + "/log.state", "wb") as f:
        f.write(state)
    return path


def test_a_bit_flip_anywhere_is_detected_or_harmless_and_loses_nothing_else():
    blocks = 2 + 3
    flash, state, ref = _reference(blocks)
    used_end = {0: 4096, 1: 4096, 2: 4096, 3: 4096, 4: 4096}  # 4: the head, mostly erased
    flips = detected = harmless = 0
    for block, end in used_end.items():
        for off in range(0, end, 17):
            addr = block * 4096 + off
            img = NorFlash(blocks=blocks, image=flash.mem)
            img.flip(addr, addr % 8)
            log = Log(img, _dir_with(state), 9)
            reports = list(log.reports)
            coll = Collector(9, logcut.K0)
            drain(log, coll)
            got = dict(coll.records())
            changed = [q for q in ref if got.get(q) != ref[q]]
            storage = [s for s in got.values() if s[0] >> 4 == wire.STORAGE]
            seen = bool(reports or storage or coll.bad_blocks)
            flips += 1
            if seen:
                detected += 1
            else:
                harmless += 1
            # Nothing else lost: at most the flipped slot, and the seal of an open block that
            # gets sealed over it at the next sync.
            seals = [q for q in changed if got[q][0] >> 4 == wire.SEAL]
            assert len(changed) - len(seals) <= 1 and len(seals) <= 1, (addr, changed)
            assert not changed or seen, addr  # a changed record is never silent
            if block >= 2 and off < 26:  # a sector header: its CRC catches it
                assert seen, addr
    assert flips > 900 and detected > 200, (flips, detected, harmless)


def teardown_module():
    remove_dirs()
