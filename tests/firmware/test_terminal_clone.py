# The Gen1a probe on the simulator: clone flagged, genuine Classic and DESFire not (both runtimes).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 208k: the code (remote settings and reports grew it), one terminal, clone probes
from firmware import taps as ftaps
from firmware import uplink, wire
from tests.kit.termkit import Rig

UID = "04A1B2C3"
GENUINE = "classic1k:" + UID
CLONE = "gen1a:" + UID  # same UID, ATQA 0004 and SAK 08: the fingerprint matches
DESFIRE = "desfire-ev1:04112233445566"
DESFIRE_ATS = bytes.fromhex("067577810280")


def _fp(uid_hex, atqa, sak, ats=b""):
    b = bytes.fromhex(uid_hex) + atqa + bytes((sak,)) + ats
    return wire.fingerprint16(b, len(b))


async def _enrolled_rig():
    rig = Rig()
    entries = [
        (rig.token(UID), _fp(UID, b"\x00\x04", 0x08)),
        (rig.token("04112233445566"), _fp("04112233445566", b"\x03\x44", 0x20, DESFIRE_ATS)),
    ]
    rig.net.set_allowlist(2, entries)
    r = await rig.terminal.sync_step()
    if r == uplink.CONNECTING:
        r = await rig.terminal.sync_step()
    assert r == uplink.OK and rig.terminal.allow.count == 2
    return rig


async def _last_flags(rig, kind=wire.TAP):
    await rig.terminal.sync_step()
    return rig.net.kinds(kind)[-1][2]


async def test_gen1a_copy_of_an_enrolled_classic_card_is_flagged_magic():
    rig = await _enrolled_rig()
    assert rig.tap(CLONE) == ftaps.TAPPED
    assert rig.terminal.taps.probes == 1 and rig.terminal.taps.magic == 1
    assert await _last_flags(rig) == wire.CARD_ENROLLED | wire.CARD_MAGIC_SUSPECT


async def test_genuine_classic_is_probed_and_not_flagged():
    rig = await _enrolled_rig()
    assert rig.tap(GENUINE) == ftaps.TAPPED
    assert rig.terminal.taps.probes == 1 and rig.terminal.taps.magic == 0
    assert await _last_flags(rig) == wire.CARD_ENROLLED  # and the fingerprint matched
    assert rig.terminal.taps.read_errors == 0


async def test_desfire_is_not_probed():
    rig = await _enrolled_rig()
    commands = rig.chip.commands_seen
    assert rig.tap(DESFIRE) == ftaps.TAPPED
    assert rig.terminal.taps.probes == 0
    assert await _last_flags(rig) == wire.CARD_ENROLLED
    assert rig.chip.commands_seen - commands <= 3  # polls only: no probe went to the chip


async def test_held_clone_is_probed_once_and_fires_once():
    rig = await _enrolled_rig()
    card = rig.place(CLONE)
    results = [rig.terminal.reader_step() for _ in range(6)]
    assert results.count(ftaps.TAPPED) == 1 and results[-1] == ftaps.HELD, results
    assert rig.terminal.taps.probes == 1
    rig.remove(card)
    rig.terminal.reader_step()
    assert rig.tap(CLONE) == ftaps.REPEAT  # within debounce_s: answered, not stored, not probed
    assert rig.terminal.taps.probes == 1 and rig.terminal.log.backlog == 1


async def test_unenrolled_gen1a_is_denied_with_the_magic_flag():
    rig = await _enrolled_rig()
    assert rig.tap("gen1a:0A0B0C0D") == ftaps.DENIED
    assert await _last_flags(rig, wire.DENIED) == wire.CARD_MAGIC_SUSPECT


async def test_reader_failing_inside_the_probe_costs_the_flag_not_the_tap():
    rig = await _enrolled_rig()
    rig.chip.lock_at = rig.chip.commands_seen + 2  # the poll is answered, the probe's HLTA not
    assert rig.tap(CLONE) == ftaps.TAPPED  # stored and answered without the flag
    assert rig.terminal.taps.read_errors == 1 and rig.terminal.taps.magic == 0
    from compat import sleep_ms

    results = []
    for _ in range(300):  # the dead chip is seen at the poll deadline; the ladder resets it
        results.append(rig.terminal.reader_step())
        if ftaps.FAULT in results and results[-1] == ftaps.IDLE:
            break
        sleep_ms(10)
    assert ftaps.FAULT in results and results[-1] == ftaps.IDLE, results
    rig.hw.clock.advance(31000)
    assert rig.tap(CLONE) == ftaps.TAPPED
    assert await _last_flags(rig) == wire.CARD_ENROLLED | wire.CARD_MAGIC_SUSPECT
