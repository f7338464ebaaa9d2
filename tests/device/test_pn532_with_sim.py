# Device tests of the PN532 driver and card layer against the simulated PN532 (tools/sim).
# SPDX-License-Identifier: MIT
from mpytest import raises

import nfc_card
import pn532
import reader_health
from compat import ticks_ms
from tools.sim import scenario
from tools.sim.transport import I2C, UART, Pin

UID4 = b"\x04\xa1\xb2\xc3"
UID7 = b"\x04\x11\x22\x33\x44\x55\x66"
KEY = b"\xff" * 6


def uart_reader(*cards, spec=None):
    spec = dict(spec or {})
    spec["cards"] = list(cards)
    chip = scenario.build(spec)
    reader = pn532.PN532UART(UART(chip), reset=Pin(chip))
    return chip, reader


def test_firmware_version_over_uart_and_i2c():
    _, reader = uart_reader()
    assert reader.firmware_version() == (0x32, 1, 6, 7)
    chip = scenario.build({"cards": ["classic1k:04A1B2C3"]})
    reader = pn532.PN532I2C(I2C(chip), reset=Pin(chip))
    assert reader.firmware_version() == (0x32, 1, 6, 7)
    reader.init()
    t = reader.read_passive_target()
    assert t is not None and t.uid == UID4


def test_uid_atqa_sak_ats_per_card_kind():
    table = (
        ("classic1k:04A1B2C3", UID4, b"\x00\x04", 0x08, None, nfc_card.FAMILY_CLASSIC_1K),
        ("classic4k:04A1B2C3", UID4, b"\x00\x02", 0x18, None, nfc_card.FAMILY_CLASSIC_4K),
        ("ntag215:04112233445566", UID7, b"\x00\x44", 0x00, None, nfc_card.FAMILY_ULTRALIGHT),
        ("desfire-ev3:04112233445566", UID7, b"\x03\x44", 0x20, b"\x06\x75\x77\x81\x02\x80",
         nfc_card.FAMILY_ISO_DEP),
    )  # fmt: skip
    for spec, uid, atqa, sak, ats, family in table:
        _, reader = uart_reader(spec)
        reader.init()
        t = reader.read_passive_target()
        assert t is not None, spec
        assert (t.uid, t.atqa, t.sak, t.ats) == (uid, atqa, sak, ats), spec
        assert nfc_card.Card(reader).family() == family, spec


def test_no_card_returns_none_because_max_retries_is_finite():
    chip, reader = uart_reader()
    reader.init()  # sets MxRtyPassiveActivation; with the default 0xFF the chip would never answer
    assert chip.max_retries != 0xFF
    assert reader.read_passive_target() is None


def test_classic_authenticate_and_read_block():
    chip, reader = uart_reader("classic1k:04A1B2C3")
    chip.field.cards[0].mem[4 * 16 : 5 * 16] = bytes(range(16))
    reader.init()
    reader.read_passive_target()
    card = nfc_card.Card(reader)
    card.authenticate(4, KEY)
    block = bytearray(16)
    assert card.read_block(4, block) == 16
    assert bytes(block) == bytes(range(16))


def test_classic_7_byte_uid_and_wrong_key():
    _, reader = uart_reader("classic1k:04112233445566")
    reader.init()
    reader.read_passive_target()
    card = nfc_card.Card(reader)
    with raises(pn532.PN532ChipError) as err:
        card.authenticate(4, b"\x00" * 6)
    assert err.value.code == 0x14
    card.authenticate(4, KEY)  # re-selected after the failure, so this works
    block = bytearray(16)
    card.read_block(4, block)
    assert bytes(block) == bytes(16)


def test_ntag_pages():
    _, reader = uart_reader("ntag213:04112233445566")
    reader.init()
    reader.read_passive_target()
    pages = bytearray(16)
    nfc_card.Card(reader).read_pages(0, pages)
    assert bytes(pages[0:3]) == UID7[0:3] and bytes(pages[4:8]) == UID7[3:7]


def test_clone_hints_gen1a_and_random_uid():
    for spec, magic, random in (("gen1a:04A1B2C3", True, False),
                                ("classic1k:04A1B2C3", False, False),
                                ("random:9", False, True)):  # fmt: skip
        _, reader = uart_reader(spec)
        reader.init()
        reader.read_passive_target()
        card = nfc_card.Card(reader)
        assert card.magic_gen1a() == magic, spec
        assert card.random_uid() == random, spec
        assert reader.target.uid_len == 4  # the probe re-selected the card


def test_lock_up_is_recovered_by_the_reset_pulse():
    # Commands: 1 SAMConfiguration, 2 RFConfiguration, 3 InListPassiveTarget, 4 hangs.
    chip, reader = uart_reader("classic1k:04A1B2C3", spec={"lockup_at": 4})
    reader.init()
    assert reader.read_passive_target().uid == UID4
    health = reader_health.ReaderHealth(reader)
    step = 0
    for _ in range(6):
        try:
            reader.firmware_version()
        except pn532.PN532Error:
            step = health.failed(ticks_ms())
            continue
        health.ok()
        break
    assert step == reader_health.STEP_RESET
    assert health.steps[reader_health.STEP_RESET] == 1 and health.recoveries == 1
    assert reader.read_passive_target().uid == UID4


def test_lock_up_without_a_reset_pin_stays_down():
    chip = scenario.build({"cards": ["classic1k:04A1B2C3"], "lockup_at": 1})
    reader = pn532.PN532UART(UART(chip))  # no RSTPDN wired
    health = reader_health.ReaderHealth(reader)
    for _ in range(4):
        with raises(pn532.PN532Error):
            reader.firmware_version()
        health.failed(ticks_ms())
    assert health.faulty
