# The driver, card layer and health ladder against the PN532 simulator (tools/sim), in process.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 80k: the driver on the simulator with its cards
import nfc_card
import pn532
import reader_health
from tests.kit.mpytest import raises
from tools.sim.pn532 import scenario
from tools.sim.pn532.transport import I2C, UART, Pin

KEY = b"\xff" * 6  # transport key of a fresh MIFARE Classic


def rig(*cards, spec=None):
    spec = dict(spec or {})
    spec["cards"] = list(cards)
    chip = scenario.build(spec)
    pin = Pin(chip)
    reader = pn532.PN532UART(UART(chip), reset=pin)
    reader.init()
    return chip, reader


def test_firmware_version_and_empty_field():
    _, r = rig()
    assert r.firmware_version() == (0x32, 0x01, 0x06, 0x07)
    assert r.read_passive_target(timeout_ms=200) is None


def test_classic_4_byte_uid_identity_and_block_read():
    _, r = rig("classic1k:04A1B2C3")
    card = nfc_card.Card(r)
    t = r.read_passive_target(timeout_ms=200)
    assert t.uid == b"\x04\xa1\xb2\xc3" and t.atqa == b"\x00\x04" and t.sak == 0x08
    assert card.family() == nfc_card.FAMILY_CLASSIC_1K
    ident = bytearray(16)
    card.identity16(ident)
    assert ident == b"\x04\x04\xa1\xb2\xc3" + bytes(11)
    card.authenticate(4, KEY)
    block = bytearray(16)
    assert card.read_block(4, block) == 16


def test_classic_7_byte_uid_authenticates_with_last_four_bytes():
    _, r = rig("classic1k:04112233445566")
    card = nfc_card.Card(r)
    assert r.read_passive_target(timeout_ms=200).uid_len == 7
    card.authenticate(0, KEY)
    block0 = bytearray(16)
    card.read_block(0, block0)
    assert block0[:7] == b"\x04\x11\x22\x33\x44\x55\x66"  # manufacturer block starts with UID


def test_failed_auth_reselects_so_the_next_auth_works():
    _, r = rig("classic1k:04A1B2C3")
    card = nfc_card.Card(r)
    r.read_passive_target(timeout_ms=200)
    with raises(pn532.PN532ChipError) as e:
        card.authenticate(4, b"\x00" * 6)
    assert e.value.code in (0x14, 0x01)
    card.authenticate(4, KEY)  # would fail on a still-halted card
    card.read_block(4, bytearray(16))


def test_ntag_family_and_pages():
    _, r = rig("ntag215:04112233445566")
    card = nfc_card.Card(r)
    r.read_passive_target(timeout_ms=200)
    assert card.family() == nfc_card.FAMILY_ULTRALIGHT
    pages = bytearray(16)
    card.read_pages(0, pages)
    assert pages[:3] == b"\x04\x11\x22"


def test_desfire_is_iso_dep_with_ats():
    _, r = rig("desfire-ev2:04112233445566")
    card = nfc_card.Card(r)
    t = r.read_passive_target(timeout_ms=200)
    assert t.ats == bytes.fromhex("067577810280") and t.sak == 0x20
    assert card.family() == nfc_card.FAMILY_ISO_DEP
    assert not card.random_uid()


def test_gen1a_probe_and_genuine_card():
    _, r = rig("gen1a:01020304")
    r.read_passive_target(timeout_ms=200)
    assert nfc_card.Card(r).magic_gen1a()
    _, r = rig("classic1k:04A1B2C3")
    r.read_passive_target(timeout_ms=200)
    card = nfc_card.Card(r)
    assert not card.magic_gen1a()
    card.authenticate(4, KEY)  # registers restored, card selected again


def test_random_uid_is_flagged():
    _, r = rig("random:5")
    t = r.read_passive_target(timeout_ms=200)
    assert t.uid_len == 4 and t.uid[0] == 0x08
    assert nfc_card.Card(r).flags(0) & nfc_card.FLAG_RANDOM_UID


def test_i2c_transport_reads_a_card():
    chip = scenario.build({"cards": ["classic1k:04A1B2C3"]})
    r = pn532.PN532I2C(I2C(chip))
    r.init()
    assert r.firmware_version()[0] == 0x32
    assert r.read_passive_target(timeout_ms=200).uid == b"\x04\xa1\xb2\xc3"
    r.power_down()  # wake-up source I2C, so the next command wakes it
    assert r.firmware_version()[0] == 0x32


def test_power_down_then_next_command_wakes_the_chip():
    _, r = rig("classic1k:04A1B2C3")
    r.power_down()
    assert r.firmware_version()[0] == 0x32
    assert r.read_passive_target(timeout_ms=200) is not None


def test_rf_noise_is_survived_through_nack():
    _, r = rig("classic1k:04A1B2C3", spec={"noise": {"rate": 0.3, "seed": 3}})
    good = 0
    for _ in range(20):
        try:
            if r.read_passive_target(timeout_ms=200) is not None:
                good += 1
        except pn532.PN532Error:
            pass
    assert good >= 15 and r.nacks_sent > 0, (good, r.nacks_sent)


def test_lock_up_is_cleared_by_the_reset_step_of_the_ladder():
    chip, r = rig("classic1k:04A1B2C3", spec={"lockup_at": 4})  # init sends 2 commands
    h = reader_health.ReaderHealth(r)
    steps = []
    for _ in range(8):
        try:
            r.firmware_version()
            h.ok()
        except pn532.PN532Error:
            steps.append(h.failed(0))
    # the 4th command hangs the chip: retransmit and re-init do not help, the reset pulse does
    assert steps == [1, 2, 3] and h.failures == 0 and h.recoveries == 1, steps
    assert h.steps == [0, 1, 1, 1, 0]
    assert r.read_passive_target(timeout_ms=200).uid == b"\x04\xa1\xb2\xc3"


def test_no_card_returns_none_because_max_retries_is_finite():
    chip, r = rig()  # init sets MxRtyPassiveActivation; with 0xFF the chip would never answer
    assert chip.max_retries != 0xFF
    assert r.read_passive_target() is None


def test_lock_up_without_a_reset_pin_stays_down():
    chip = scenario.build({"cards": ["classic1k:04A1B2C3"], "lockup_at": 1})
    r = pn532.PN532UART(UART(chip))  # no RSTPDN wired
    h = reader_health.ReaderHealth(r)
    for _ in range(4):
        with raises(pn532.PN532Error):
            r.firmware_version()
        h.failed(0)
    assert h.faulty
