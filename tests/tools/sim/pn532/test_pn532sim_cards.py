# Device tests of the simulated cards and scenarios, through the simulated PN532's commands.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 72k: the simulator with every card type
from tests.kit.mpytest import raises
from tests.kit.simkit import ACK, CMD, NACK, RSP, answer, ask, h, rig
from tools.sim.pn532 import frame
from tools.sim.pn532.cards import from_spec

KEY = "FFFFFFFFFFFF"
UID4 = "04A1B2C3"
UID7 = "04112233445566"


def auth(uart, block, uid, key=KEY, cmd="60"):
    return answer(uart, "40 01 " + cmd + "%02X" % block + key + uid)


def test_target_data_per_card_kind():
    # §7.3.5: Tg, SENS_RES (2), SEL_RES, NFCIDLength, NFCID1, then the ATS for ISO-DEP cards.
    table = (
        ("classic1k:" + UID4, "4B 01 01 0004 08 04" + UID4),
        ("classic1k:" + UID7, "4B 01 01 0044 08 07" + UID7),
        ("classic4k:" + UID4, "4B 01 01 0002 18 04" + UID4),
        ("ultralight:" + UID7, "4B 01 01 0044 00 07" + UID7),
        ("ntag213:" + UID7, "4B 01 01 0044 00 07" + UID7),
        ("desfire-ev1:" + UID7, "4B 01 01 0344 20 07" + UID7 + "067577810280"),
        ("gen1a:" + UID4, "4B 01 01 0004 08 04" + UID4),
    )
    for spec, want in table:
        _, uart, _ = rig(spec)
        assert answer(uart, "4A 01 00") == RSP(want), spec


def test_classic_auth_read_write_bytes_exact():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4) == RSP("41 00")
    assert answer(uart, "40 01 30 04") == RSP("41 00" + "00" * 16)
    data = "00112233445566778899AABBCCDDEEFF"
    assert answer(uart, "40 01 A0 05" + data) == RSP("41 00")
    assert answer(uart, "40 01 30 05") == RSP("41 00" + data)
    # Trailer: key A reads as zeros, key B is readable under the transport access bits (§8.7.2).
    assert answer(uart, "40 01 30 07") == RSP("41 00" + "00" * 6 + "FF078069" + "FF" * 6)
    assert answer(uart, "40 01 30 08") == RSP("41 14")  # other sector: not authenticated


def test_failed_auth_halts_the_card_until_selected_again():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4, key="000000000000") == RSP("41 14")
    assert auth(uart, 4, UID4) == RSP("41 01")  # halted: no answer at all
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4) == RSP("41 00")


def test_key_b_is_not_a_key_while_it_is_readable():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4, cmd="61") == RSP("41 00")
    assert answer(uart, "40 01 30 04") == RSP("41 14")  # transport trailer 001: §8.7.3


def test_trailer_rewrite_changes_keys_and_access():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    auth(uart, 4, UID4)
    # Key A = A0..A5; block 4 gets C1C2C3 = 100 (read A|B, write B), blocks 5-6 000, trailer 011:
    # C1 = 0001, C2 = 1000, C3 = 1000 -> bytes ~C2|~C1, C1|~C3, C3|C2 = 7E 17 88 (MF1S50yy §8.7.1).
    trailer = "A0A1A2A3A4A5" + "7E1788" + "00" + "B0B1B2B3B4B5"
    assert answer(uart, "40 01 A0 07" + trailer) == RSP("41 00")
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4) == RSP("41 14")  # the old key is gone
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4, key="A0A1A2A3A4A5") == RSP("41 00")
    assert answer(uart, "40 01 30 04")[:8] == RSP("41 00" + "00" * 16)[:8]
    assert answer(uart, "40 01 A0 04" + "11" * 16) == RSP("41 14")  # write needs key B now
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4, key="B0B1B2B3B4B5", cmd="61") == RSP("41 00")
    assert answer(uart, "40 01 A0 04" + "11" * 16) == RSP("41 00")
    assert answer(uart, "40 01 30 04") == RSP("41 00" + "11" * 16)


def test_seven_byte_classic_authenticates_with_its_last_four_uid_bytes():
    _, uart, _ = rig("classic1k:" + UID7)
    answer(uart, "4A 01 00")
    assert auth(uart, 1, UID7[:8]) == RSP("41 14")
    answer(uart, "4A 01 00")
    assert auth(uart, 1, UID7[-8:]) == RSP("41 00")
    assert answer(uart, "40 01 30 00")[8:15] == h(UID7)  # block 0 starts with the UID


def test_classic4k_big_sectors():
    chip, uart, _ = rig("classic4k:" + UID4)
    card = chip.field.cards[0]
    assert card.trailer_of(130) == 143 and card.sector_of(255) == 39
    answer(uart, "4A 01 00")
    assert auth(uart, 130, UID4) == RSP("41 00")
    assert answer(uart, "40 01 30 8E") == RSP("41 00" + "00" * 16)  # block 142, same sector
    assert answer(uart, "40 01 30 8F")[8:18] == h("00" * 6 + "FF078069")  # trailer 143


def test_genuine_block0_is_read_only_gen1a_backdoor_is_not():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    auth(uart, 0, UID4)
    assert answer(uart, "40 01 A0 00" + "00" * 16) == RSP("41 14")
    answer(uart, "08 63 3D 07")  # 7-bit frames (CIU_BitFraming TxLastBits)
    assert answer(uart, "42 40") == RSP("43 01")  # a genuine card ignores the backdoor
    _, uart, _ = rig("gen1a:" + UID4)
    answer(uart, "4A 01 00")
    assert answer(uart, "42 50 00") == RSP("43 01")  # HLTA: no answer
    answer(uart, "08 63 3D 07")
    assert answer(uart, "42 40") == RSP("43 00 0A")
    answer(uart, "08 63 3D 00")
    assert answer(uart, "42 43") == RSP("43 00 0A")
    new0 = "01020304" + "04" + "0804006263646566676869"
    assert answer(uart, "42 A0 00" + new0) == RSP("43 00")
    assert answer(uart, "42 30 00") == RSP("43 00" + new0)


def test_ntag_pages_version_and_write():
    _, uart, _ = rig("ntag215:" + UID7)
    answer(uart, "4A 01 00")
    bcc0 = "%02X" % (0x88 ^ 0x04 ^ 0x11 ^ 0x22)
    bcc1 = "%02X" % (0x33 ^ 0x44 ^ 0x55 ^ 0x66)
    want = "041122" + bcc0 + "33445566" + bcc1 + "480000" + "E1103E00"
    assert answer(uart, "40 01 30 00") == RSP("41 00" + want)
    assert answer(uart, "40 01 60") == RSP("41 00 0004040201001103")
    assert answer(uart, "40 01 A2 04 DEADBEEF") == RSP("41 00")
    assert answer(uart, "40 01 30 04")[8:12] == h("DEADBEEF")
    assert answer(uart, "40 01 30 86")[8:16] == h("00000000" + "041122" + bcc0)  # roll-over
    assert answer(uart, "40 01 30 87") == RSP("41 14")  # past the last page: NAK


def test_type2_sizes_and_ultralight_has_no_get_version():
    for kind, last, version in (("ultralight", 15, None), ("ntag213", 44, "0F"),
                                ("ntag216", 230, "13")):  # fmt: skip
        _, uart, _ = rig(kind + ":" + UID7)
        answer(uart, "4A 01 00")
        assert answer(uart, "40 01 30 %02X" % last)[6:8] == h("41 00"), kind
        assert answer(uart, "40 01 30 %02X" % (last + 1)) == RSP("41 14"), kind
        answer(uart, "4A 01 00")
        want = RSP("41 01") if version is None else RSP("41 00 000404020100" + version + "03")
        assert answer(uart, "40 01 60") == want, kind


def test_desfire_get_version_tells_ev1_ev2_ev3_apart():
    for kind, major in (("desfire-ev1", "01"), ("desfire-ev2", "12"), ("desfire-ev3", "33")):
        _, uart, _ = rig(kind + ":" + UID7)
        answer(uart, "4A 01 00")
        assert answer(uart, "40 01 60") == RSP("41 00 AF 04 01 01" + major + "00 1A 05"), kind
        answer(uart, "40 01 AF")
        assert answer(uart, "40 01 AF")[8:16] == h("00" + UID7)


def test_random_uid_card_changes_uid_each_selection_reproducibly():
    seen = []
    for _ in range(2):
        _, uart, _ = rig("random:5")
        uids = []
        for _ in range(3):
            got = answer(uart, "4A 01 00")
            assert got[6:14] == h("4B 01 01 0004 20 04 08"), got
            uids.append(got[13:17])
        assert len(set(uids)) == 3
        seen.append(uids)
    assert seen[0] == seen[1]  # same seed, same UIDs, on either interpreter


def test_card_placed_then_removed():
    spec = {"events": [{"at_command": 2, "place": "classic1k:" + UID4},
                       {"at_command": 3, "remove": UID4}]}  # fmt: skip
    _, uart, _ = rig(spec=spec)
    answer(uart, "32 05 FF 01 00")
    assert answer(uart, "4A 01 00") == RSP("4B 01 01 0004 08 04" + UID4)
    assert answer(uart, "4A 01 00") == RSP("4B 00")


def test_two_cards_in_the_field():
    _, uart, _ = rig("classic1k:" + UID4, "ntag213:" + UID7)
    assert answer(uart, "4A 01 00") == RSP("4B 01 01 0004 08 04" + UID4)
    want = "4B 02 01 0004 08 04" + UID4 + "02 0044 00 07" + UID7
    assert answer(uart, "4A 02 00") == RSP(want)
    assert answer(uart, "40 02 30 00")[6:11] == h("41 00 041122")  # target 2 is the NTAG
    assert answer(uart, "4A 01 00 " + UID7) == RSP("4B 01 01 0044 00 07" + UID7)  # by UID
    assert answer(uart, "4A 03 00") == frame.ERROR  # the PN532 handles at most two targets


def test_card_pulled_mid_read():
    # Commands: 1 InListPassiveTarget, 2 authenticate, 3 read: the card leaves as 3 arrives.
    _, uart, _ = rig("classic1k:" + UID4, spec={"events": [{"at_command": 3, "remove": 0}]})
    answer(uart, "4A 01 00")
    assert auth(uart, 4, UID4) == RSP("41 00")
    assert answer(uart, "40 01 30 04") == RSP("41 01")


def test_release_and_deselect():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    assert answer(uart, "44 01") == RSP("45 00")
    assert answer(uart, "40 01 30 04") == RSP("41 27")  # deselected target
    assert answer(uart, "52 00") == RSP("53 00")
    assert answer(uart, "52 01") == RSP("53 27")  # already released: unknown target


def test_rf_noise_is_seeded_and_nack_recovers():
    def run(rate, seed):
        _, uart, _ = rig(spec={"noise": {"rate": rate, "seed": seed}})
        pattern = []
        for _ in range(40):
            got = ask(uart, "02")
            clean = got == ACK + RSP("03 32 01 06 07")
            pattern.append(clean)
            for _ in range(20):  # a host that checks frames asks again until it gets one
                if clean:
                    break
                uart.write(NACK)
                got = uart.read()
                clean = got == RSP("03 32 01 06 07")
            assert clean
        return pattern

    noisy = run(0.3, 7)
    assert noisy == run(0.3, 7)
    assert 0 < noisy.count(False) < 40
    assert run(0.3, 8) != noisy
    assert run(0, 1).count(False) == 0


def test_bad_card_specs_are_refused():
    for spec in ("classic1k:0102", "ntag215:04A1B2C3", "floppy:00", "gen1a:04112233445566"):
        with raises(ValueError):
            from_spec(spec)


def test_field_off_forgets_the_authentication():
    _, uart, _ = rig("classic1k:" + UID4)
    answer(uart, "4A 01 00")
    auth(uart, 4, UID4)
    assert answer(uart, "32 01 00") == RSP("33")  # RF field off (§7.3.1 item 1)
    assert answer(uart, "40 01 30 04") == RSP("41 27")
    uart.write(CMD("4A 01 00"))
    assert uart.read() == ACK + RSP("4B 01 01 0004 08 04" + UID4)
    assert answer(uart, "40 01 30 04") == RSP("41 14")
