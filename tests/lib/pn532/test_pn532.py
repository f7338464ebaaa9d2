# Byte-exact tests of the PN532 driver against recording fake transports (UART and I2C).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 56k: the driver and a recording fake
import pn532
from tests.kit.mpytest import raises
from tests.kit.pn532fake import ACK, CMD, ERR, HEX, NACK, RSP, WAKE, FakeI2C, FakePin, FakeUART

UID4 = "04 08 04 DE AD BE EF"  # SENS_RES 00 04, SAK 08, length 4: a Classic 1K
ILPT = CMD("4A 01 00")


def uart(script):
    fake = FakeUART(script)
    return fake, pn532.PN532UART(fake)


def test_frames_match_the_manual_examples():
    # UM0701-02 §7.2.2 example and the ACK/NACK/error frames of §6.2.1.3-5.
    assert CMD("02") == HEX("00 00 FF 02 FE D4 02 2A 00")
    assert RSP("03 32 01 06 07") == HEX("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")
    assert ERR() == HEX("00 00 FF 01 FF 7F 81 00")


def test_first_command_is_preceded_by_hsu_wake_up():
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK(), RSP("03 32 01 06 07")])])
    assert r.firmware_version() == (0x32, 0x01, 0x06, 0x07)
    assert fake.done(), fake.mismatch
    # no second wake-up while the chip is awake
    fake.script = [(CMD("02"), [ACK(), RSP("03 32 01 06 07")])]
    r.firmware_version()
    assert fake.done(), fake.mismatch


# (what the driver is asked, frames it must send, answers, expected result)
COMMANDS = [
    ("sam", "14 01 14 01", "15", None),
    ("retries", "32 05 FF 01 01", "33", None),
    ("field_off", "32 01 00", "33", None),
    ("read_reg", "06 63 3D", "07 05", 0x05),
    ("write_reg", "08 63 3D 07", "09", None),
    ("write_bytes", "08 63 02 00 63 3D 07", "09", None),
    ("release", "52 00", "53 00", None),
    ("deselect", "44 00", "45 00", None),
]


def _run(r, name):
    return {
        "sam": lambda: r.sam_configuration(),
        "retries": lambda: r.set_max_retries(passive=1),
        "field_off": lambda: r.rf_field(False),
        "read_reg": lambda: r.read_register(0x633D),
        "write_reg": lambda: r.write_register(0x633D, 0x07),
        "write_bytes": lambda: r.write_register_bytes(b"\x63\x02\x00\x63\x3d\x07"),
        "release": lambda: r.in_release(),
        "deselect": lambda: r.in_deselect(),
    }[name]()


def test_command_table_is_byte_exact():
    for name, cmd, rsp, want in COMMANDS:
        fake, r = uart([(WAKE, []), (CMD(cmd), [ACK(), RSP(rsp)])])
        assert _run(r, name) == want, name
        assert fake.done(), (name, fake.mismatch)


def test_poll_reads_a_four_byte_uid():
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), RSP("4B 01 01 00 " + UID4)])])
    t = r.read_passive_target(timeout_ms=50)
    assert t is not None and fake.done(), fake.mismatch
    assert t.uid == HEX("DEADBEEF") and t.atqa == HEX("0004") and t.sak == 0x08
    assert t.ats is None and t.uid_len == 4


def test_poll_reads_seven_byte_uid_and_ats():
    ats = "06 75 77 81 02 80"  # a DESFire EV1 ATS, TL first
    rsp = "4B 01 01 03 44 20 07 04 11 22 33 44 55 66 " + ats
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), RSP(rsp)])])
    t = r.read_passive_target()
    assert t.uid == HEX("04112233445566") and t.atqa == HEX("0344") and t.sak == 0x20
    assert t.ats == HEX(ats)
    buf = bytearray(10)
    assert t.uid_into(buf) == 7 and buf == HEX("04112233445566 000000")


def test_no_card_returns_none():
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), RSP("4B 00")])])
    assert r.read_passive_target() is None
    assert fake.done(), fake.mismatch


def test_silent_chip_times_out_and_aborts_with_ack():
    fake, r = uart([(WAKE, []), (ILPT, [ACK()]), (ACK(), [])])
    r.start_poll(timeout_ms=20)
    result = pn532.WOULDBLOCK
    for _ in range(200):
        result = r.poll()
        if result != pn532.WOULDBLOCK:
            break
        pn532.chip.sleep_ms(1)
    assert result == pn532.TIMEOUT
    assert fake.done(), fake.mismatch  # the ACK abort was sent


def test_garbage_before_the_frame_is_skipped():
    noise = HEX("FF 13 00 FF 05 00 00 37")  # includes a false start with a bad LCS
    fake, r = uart([(WAKE, []), (ILPT, [noise, ACK(), b"\x42", RSP("4B 01 01 00 " + UID4)])])
    assert r.read_passive_target().uid == HEX("DEADBEEF")
    assert r.frames_rejected >= 1


def test_bad_dcs_is_answered_with_nack_then_accepted():
    good = RSP("4B 01 01 00 " + UID4)
    bad = bytearray(good)
    bad[-2] ^= 0x55
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), bytes(bad)]), (NACK(), [good])])
    assert r.read_passive_target().uid == HEX("DEADBEEF")
    assert fake.done(), fake.mismatch and r.nacks_sent == 1


def test_persistent_bad_dcs_ends_in_frame_error():
    bad = bytearray(RSP("03 32 01 06 07"))
    bad[-2] ^= 1
    bad = bytes(bad)
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK(), bad]), (NACK(), [bad]), (NACK(), [bad])])
    fake.script.append((ACK(), []))
    with raises(pn532.PN532FrameError):
        r.firmware_version()
    assert fake.done(), fake.mismatch


def test_error_frame_is_a_chip_error():
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK(), ERR()])])
    with raises(pn532.PN532ChipError) as e:
        r.firmware_version()
    assert e.value.code == 0x7F


def test_stale_answer_with_another_code_is_skipped():
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK(), RSP("15"), RSP("03 32 01 06 07")])])
    assert r.firmware_version()[0] == 0x32 and r.frames_rejected == 1


def test_wrong_tfi_is_a_frame_error():
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK(), CMD("03 32")])])
    with raises(pn532.PN532FrameError):
        r.firmware_version()


def test_lost_answer_is_asked_again_with_one_nack_then_times_out():
    fake, r = uart([(WAKE, []), (CMD("02"), [ACK()]), (NACK(), [RSP("03 32 01 06 07")])])
    assert r.firmware_version()[0] == 0x32 and r.nacks_sent == 1
    assert fake.done(), fake.mismatch
    fake.script = [(CMD("02"), [ACK()]), (NACK(), []), (ACK(), [])]
    with raises(pn532.PN532Timeout):
        r.firmware_version()
    assert fake.done(), fake.mismatch


def test_status_byte_raises_chip_error_with_code():
    fake, r = uart([(WAKE, []), (CMD("40 01 30 04"), [ACK(), RSP("41 14")])])
    with raises(pn532.PN532ChipError) as e:
        r.in_data_exchange(b"\x30\x04")
    assert e.value.code == 0x14


def test_missing_ack_resends_once_then_times_out():
    fake, r = uart([(WAKE, []), (CMD("02"), []), (CMD("02"), []), (ACK(), [])])
    with raises(pn532.PN532Timeout):
        r.firmware_version()
    assert fake.done(), fake.mismatch


def test_truncated_uid_is_a_frame_error_not_an_index_error():
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), RSP("4B 01 01 00 04 08 07 DE AD")])])
    with raises(pn532.PN532FrameError):
        r.read_passive_target()


def test_extended_frame_is_received():
    payload = "41 00 " + "AB " * 260  # TFI + 262 bytes: above 255, an extended frame
    fake, r = uart([(WAKE, []), (CMD("40 01 30 00"), [ACK(), RSP(payload)])])
    assert r.in_data_exchange(b"\x30\x00") == 260
    assert bytes(r.response[:260]) == bytes([0xAB]) * 260


def test_power_down_then_wake_up_before_next_command():
    fake, r = uart(
        [
            (WAKE, []),
            (CMD("16 10"), [ACK(), RSP("17 00")]),
            (WAKE, []),
            (CMD("02"), [ACK(), RSP("03 32 01 06 07")]),
        ]
    )
    r.power_down()
    assert r.firmware_version()[0] == 0x32
    assert fake.done(), fake.mismatch


def test_reset_pulses_rstpdn_low_then_high_and_rewakes():
    pin = FakePin()
    fake = FakeUART([(WAKE, []), (CMD("02"), [ACK(), RSP("03 32 01 06 07")])])
    r = pn532.PN532UART(fake, reset=pin)
    r.firmware_version()
    assert r.reset() and pin.values == [0, 1] and r.asleep
    assert not pn532.PN532UART(FakeUART()).reset()


def test_i2c_reads_status_then_one_frame_per_transaction():
    fake = FakeI2C([(ILPT, [ACK(), RSP("4B 01 01 00 " + UID4)])])
    r = pn532.PN532I2C(fake)
    t = r.read_passive_target()
    assert t.uid == HEX("DEADBEEF") and fake.done(), fake.mismatch
    assert fake.written == [ILPT] and fake.status_reads == 2 and fake.wakes == 1


def test_i2c_firmware_version_and_error_frame():
    fake = FakeI2C([(CMD("02"), [ACK(), RSP("03 32 01 06 07")]), (CMD("02"), [ACK(), ERR()])])
    r = pn532.PN532I2C(fake, address=0x24)
    assert r.firmware_version() == (0x32, 1, 6, 7)
    with raises(pn532.PN532ChipError):
        r.firmware_version()


def test_i2c_wake_nak_is_expected_and_write_nak_is_a_timeout():
    fake = FakeI2C([(CMD("02"), [ACK(), RSP("03 32 01 06 07")])])
    fake.nak = 1  # the waking transaction is not acknowledged
    r = pn532.PN532I2C(fake)
    assert r.firmware_version()[0] == 0x32
    fake.nak = 1
    with raises(pn532.PN532Timeout):
        r.firmware_version()


def test_target_accessors_and_uid_change_check():
    rsp = "4B 01 01 03 44 20 07 04 11 22 33 44 55 66 06 75 77 81 02 80"
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), RSP(rsp)])])
    t = r.read_passive_target()
    buf = bytearray(16)
    assert t.atqa_into(buf, 1) == 2 and buf[1:3] == HEX("0344")
    assert t.ats_into(buf) == 6 and buf[:6] == HEX("067577810280")
    assert t.same_uid(HEX("04112233445566"), 7)
    assert not t.same_uid(HEX("04112233445567"), 7) and not t.same_uid(HEX("04112233"), 4)


def test_error_frame_during_poll_ends_the_poll():
    fake, r = uart([(WAKE, []), (ILPT, [ACK(), ERR()])])
    r.start_poll(50)
    with raises(pn532.PN532ChipError):
        for _ in range(10):
            r.poll()
    assert r.poll() == pn532.TIMEOUT  # idle: nothing outstanding any more
