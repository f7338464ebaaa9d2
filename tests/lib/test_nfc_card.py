# Byte-exact tests of the card layer: identity, family by SAK, Classic/NTAG reads, clone hints.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 56k: the card layer on the simulator
import nfc_card
import pn532
from tests.kit.mpytest import allocated_bytes, raises
from tests.kit.pn532fake import ACK, CMD, HEX, NACK, RSP, WAKE, FakeUART

ILPT = CMD("4A 01 00")
KEY = HEX("A0A1A2A3A4A5")


def card_with(ilpt_answer, script=()):
    fake = FakeUART([(WAKE, []), (ILPT, [ACK(), RSP(ilpt_answer)])] + list(script))
    reader = pn532.PN532UART(fake)
    assert reader.read_passive_target() is not None
    return fake, nfc_card.Card(reader)


C1K_4 = "4B 01 01 00 04 08 04 DE AD BE EF"
C1K_7 = "4B 01 01 00 44 08 07 04 33 18 EA 70 32 80"
NTAG = "4B 01 01 00 44 00 07 04 A1 B2 C3 D4 E5 80"
DESFIRE = "4B 01 01 03 44 20 07 04 11 22 33 44 55 66 06 75 77 81 02 80"
C4K = "4B 01 01 00 02 18 04 01 02 03 04"
SMARTMX_CLASSIC = "4B 01 01 00 04 28 04 11 22 33 44 05 78 80 70 02"
RANDOM = "4B 01 01 00 04 20 04 08 12 34 56 05 78 80 70 02"

# (InListPassiveTarget answer, family). A 7-byte UID does not make a card an NTAG: SAK decides.
FAMILIES = [
    (C1K_4, nfc_card.FAMILY_CLASSIC_1K),
    (C1K_7, nfc_card.FAMILY_CLASSIC_1K),
    (NTAG, nfc_card.FAMILY_ULTRALIGHT),
    (DESFIRE, nfc_card.FAMILY_ISO_DEP),
    (C4K, nfc_card.FAMILY_CLASSIC_4K),
    (SMARTMX_CLASSIC, nfc_card.FAMILY_CLASSIC_1K),
    ("4B 01 01 00 44 09 04 01 02 03 04", nfc_card.FAMILY_CLASSIC_MINI),
    ("4B 01 01 00 44 20 04 01 02 03 04", nfc_card.FAMILY_UNKNOWN),  # ISO-DEP SAK, no ATS
]


def test_family_is_decided_by_sak_and_ats():
    for answer, family in FAMILIES:
        _, card = card_with(answer)
        assert card.family() == family, answer


def test_identity16_pads_uid_to_ten_and_leads_with_length():
    buf = bytearray(b"\xee" * 16)
    _, card = card_with(C1K_7)
    assert card.identity16(buf) == 16
    assert buf == HEX("07 04 33 18 EA 70 32 80 000000 0000000000")
    _, card = card_with(C1K_4)
    card.identity16(buf)
    assert buf == HEX("04 DEADBEEF 000000000000 0000000000")


def test_identities_of_uid_prefix_and_padded_uid_differ():
    # 4-byte DE AD BE EF and a 7-byte UID DE AD BE EF 00 00 00 must never share a token input.
    a, b = bytearray(16), bytearray(16)
    card_with(C1K_4)[1].identity16(a)
    card_with("4B 01 01 00 44 08 07 DE AD BE EF 00 00 00")[1].identity16(b)
    assert a != b


def test_fingerprint_input_is_uid_atqa_sak_ats():
    buf = bytearray(64)
    _, card = card_with(DESFIRE)
    n = card.fingerprint_input(buf)
    assert bytes(buf[:n]) == HEX("04112233445566 0344 20 067577810280")


def test_identity_and_fingerprint_allocate_nothing():
    _, card = card_with(DESFIRE)
    ident, fp = bytearray(16), bytearray(64)

    def both():
        card.identity16(ident)
        card.fingerprint_input(fp)

    both()
    assert allocated_bytes(both) in (None, 0)


def test_seven_byte_classic_authenticates_with_last_four_uid_bytes():
    auth = CMD("40 01 60 04 A0A1A2A3A4A5 EA703280")
    read = CMD("40 01 30 04")
    block = "00112233445566778899AABBCCDDEEFF"
    fake, card = card_with(
        C1K_7, [(auth, [ACK(), RSP("41 00")]), (read, [ACK(), RSP("41 00 " + block)])]
    )
    card.authenticate(4, KEY)
    buf = bytearray(16)
    assert card.read_block(4, buf) == 16 and buf == HEX(block)
    assert fake.done(), fake.mismatch


def test_failed_auth_raises_code_and_reselects_the_card():
    auth = CMD("40 01 61 04 A0A1A2A3A4A5 DEADBEEF")
    fake, card = card_with(C1K_4, [(auth, [ACK(), RSP("41 14")]), (ILPT, [ACK(), RSP(C1K_4)])])
    with raises(pn532.PN532ChipError) as e:
        card.authenticate(4, KEY, key_b=True)
    assert e.value.code == 0x14
    assert fake.done(), fake.mismatch  # the re-select went out


def test_ntag_read_pages():
    data = "0400000001020304050607080910AABB"
    fake, card = card_with(NTAG, [(CMD("40 01 30 04"), [ACK(), RSP("41 00 " + data)])])
    buf = bytearray(16)
    card.read_pages(4, buf)
    assert buf == HEX(data) and fake.done()


def test_short_block_is_a_frame_error():
    fake, card = card_with(NTAG, [(CMD("40 01 30 04"), [ACK(), RSP("41 00 0102")])])
    with raises(pn532.PN532FrameError):
        card.read_pages(4, bytearray(16))


def _gen1a_script(answer, reselect=True):
    raw = CMD("08 6302 00 6303 00 633D 07")  # CRC off, 7 bits in the last byte
    restore = CMD("08 633D 00 6302 80 6303 80")
    script = [
        (CMD("42 50 00"), [ACK(), RSP("43 01")]),  # HLTA, CRC by the chip: never answered
        (raw, [ACK(), RSP("09")]),
        (CMD("42 40"), [ACK(), RSP(answer)]),
        (restore, [ACK(), RSP("09")]),
    ]
    return script + [(ILPT, [ACK(), RSP(C1K_4)])] if reselect else script


def test_gen1a_probe_detects_the_backdoor_answer():
    fake, card = card_with(C1K_4, _gen1a_script("43 00 0A"))
    assert card.magic_gen1a() is True
    assert fake.done(), fake.mismatch


def test_gen1a_probe_on_genuine_card_is_false_and_restores_registers():
    fake, card = card_with(C1K_4, _gen1a_script("43 01"))
    assert card.magic_gen1a() is False
    assert fake.done(), fake.mismatch


def test_gen1a_probe_without_reselect_leaves_the_card_to_the_next_poll():
    for answer, magic in (("43 00 0A", True), ("43 01", False), ("43 00 04", False)):
        fake, card = card_with(C1K_4, _gen1a_script(answer, reselect=False))
        assert card.magic_gen1a(25, False) is magic, answer
        assert fake.done(), fake.mismatch


def test_gen1a_probe_restores_registers_when_the_link_fails():
    script = _gen1a_script("43 00 0A", reselect=False)
    # The backdoor byte is acknowledged but never answered: one NACK asks again, then the
    # host aborts (an ACK) and raises; the registers are restored all the same.
    script[2:3] = [(CMD("42 40"), [ACK()]), (NACK(), []), (ACK(), [])]
    fake, card = card_with(C1K_4, script)
    with raises(pn532.PN532Timeout):
        card.magic_gen1a(5, False)
    assert fake.done(), fake.mismatch


def test_classic_is_decided_by_sak():
    for answer, family in FAMILIES:
        _, card = card_with(answer)
        want = family in (
            nfc_card.FAMILY_CLASSIC_1K,
            nfc_card.FAMILY_CLASSIC_4K,
            nfc_card.FAMILY_CLASSIC_MINI,
        )
        assert card.classic() is want, answer


def test_flags_random_uid_and_fingerprint_mismatch():
    _, card = card_with(RANDOM)
    assert card.random_uid()
    assert card.flags(0x1234, enrolled=0x1234) == nfc_card.FLAG_RANDOM_UID
    _, card = card_with(C1K_4)
    assert not card.random_uid()
    assert card.flags(0x1234, enrolled=0x4321, magic=True) == (
        nfc_card.FLAG_FP_MISMATCH | nfc_card.FLAG_MAGIC
    )
    assert card.flags(0x1234) == 0
