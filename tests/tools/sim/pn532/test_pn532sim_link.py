# Device tests of the simulated PN532's host link: frames, wake-up, MaxRetries, abort, lock-up.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 64k: the simulator's link layer
from tests.kit.mpytest import raises
from tests.kit.simkit import ACK, CMD, NACK, RSP, WAKE, answer, ask, h, i2c_rig, rig
from tools.sim.pn532 import frame
from tools.sim.pn532.cards import from_spec

FIRMWARE = RSP("03 32 01 06 07")


def test_firmware_version_bytes_exact():
    _, uart, _ = rig()
    # UM0701-02 §7.2.2: IC 0x32, Ver 1, Rev 6, Support 7.
    assert CMD("02") == h("0000ff02fed4022a00")
    assert ask(uart, "02") == h("0000ff00ff00" + "0000ff06fad50332010607e800")
    assert FIRMWARE == h("0000ff06fad50332010607e800")


def test_command_before_hsu_wakeup_is_lost():
    chip, uart, _ = rig(wake=False)
    assert ask(uart, "02") == b""
    assert uart.any() == 0
    uart.write(WAKE)
    assert answer(uart, "02") == FIRMWARE
    assert chip.commands_seen == 1  # the first frame never reached the firmware


def test_power_down_sleeps_until_0x55():
    _, uart, _ = rig()
    assert answer(uart, "16 10") == RSP("17 00")  # WakeUpEnable: HSU
    assert ask(uart, "02") == b""
    uart.write(WAKE)
    assert answer(uart, "02") == FIRMWARE


def test_power_down_without_hsu_wakeup_needs_a_reset_pulse():
    _, uart, pin = rig()
    assert answer(uart, "16 80") == RSP("17 00")  # WakeUpEnable: I2C only
    uart.write(WAKE)
    assert ask(uart, "02") == b""
    pin.value(0)
    pin.value(1)
    uart.write(WAKE)
    assert answer(uart, "02") == FIRMWARE


def test_sam_configuration_and_bad_parameters():
    _, uart, _ = rig()
    assert answer(uart, "14 01 14 01") == RSP("15")
    assert answer(uart, "14 07") == frame.ERROR  # mode 7 does not exist (§7.2.10)


def test_unknown_command_gets_ack_then_syntax_error_frame():
    _, uart, _ = rig()
    assert ask(uart, "FE") == ACK + h("0000ff01ff7f8100")


def test_bad_checksums_get_no_answer_at_all():
    chip, uart, _ = rig()
    good = CMD("02")
    bad_dcs = good[:-2] + bytes(((good[-2] + 1) & 0xFF,)) + b"\x00"
    bad_lcs = good[:4] + b"\x00" + good[5:]
    for bad in (bad_dcs, bad_lcs):
        uart.write(bad)
        assert uart.read() is None
    assert chip.commands_seen == 0
    assert answer(uart, "02") == FIRMWARE  # and the decoder is back in step


def test_garbage_before_a_frame_is_skipped():
    _, uart, _ = rig()
    uart.write(h("ff00ff13370000"))
    assert answer(uart, "02") == FIRMWARE


def test_nack_retransmits_the_last_response_only():
    _, uart, _ = rig()
    assert answer(uart, "02") == FIRMWARE
    uart.write(NACK)
    assert uart.read() == FIRMWARE
    uart.write(NACK)
    assert uart.read() == FIRMWARE


def test_extended_frame_from_host_is_understood():
    _, uart, _ = rig()
    regs = "".join("63%02X%02X" % (i, i) for i in range(0x40, 0x40 + 86))  # 260-byte body
    uart.write(frame.encode(b"\xd4\x08" + h(regs)))
    assert uart.read() == ACK + RSP("09")
    assert frame.encode(bytes(300))[:8] == h("0000ffffff012cd3")  # LENM LENL LCS (§6.2.1.2)
    assert answer(uart, "06 63 7F") == RSP("07 7F")


def test_max_retries_ff_never_answers_until_a_card_comes():
    chip, uart, _ = rig()
    assert ask(uart, "4A 01 00") == ACK  # default MxRtyPassiveActivation is 0xFF (§7.3.1)
    for _ in range(50):
        assert uart.any() == 0
    chip.field.place(from_spec("classic1k:04A1B2C3"))
    assert uart.read() == RSP("4B 01 01 00 04 08 04 04A1B2C3")


def test_finite_max_retries_answers_nbtg_zero_after_the_retries():
    _, uart, _ = rig()
    assert answer(uart, "32 05 FF 01 02") == RSP("33")  # MxRtyPassiveActivation = 2
    uart.write(CMD("4A 01 00"))  # attempt 1 as the command arrives
    assert uart.any() == len(ACK)  # each look at the line is one more attempt: 2
    assert uart.read() == ACK + RSP("4B 00")  # attempt 3 = 1 + 2 retries, no card: NbTg 0
    assert answer(uart, "32 05 FF 01 00") == RSP("33")
    assert answer(uart, "4A 01 00") == RSP("4B 00")  # no retry: answers at once


def test_ack_from_host_aborts_the_waiting_command():
    chip, uart, _ = rig()
    assert ask(uart, "4A 01 00") == ACK
    uart.write(ACK)
    chip.field.place(from_spec("classic1k:04A1B2C3"))
    assert uart.read() is None
    assert answer(uart, "02") == FIRMWARE


def test_lock_up_is_cleared_only_by_a_reset_pulse():
    chip, uart, pin = rig("classic1k:04A1B2C3", spec={"lockup_at": 2})
    assert answer(uart, "02") == FIRMWARE
    assert ask(uart, "02") == b""  # hangs on the second command
    for attempt in (NACK, ACK, WAKE + CMD("02"), CMD("14 01 14 01")):
        uart.write(attempt)
        assert uart.read() is None
    pin.value(0)
    assert uart.any() == 0
    pin.value(1)  # rising edge: power-on, asleep again
    assert ask(uart, "02") == b""
    uart.write(WAKE)
    assert answer(uart, "02") == FIRMWARE
    assert answer(uart, "4A 01 00") == RSP("4B 01 01 00 04 08 04 04A1B2C3")


def test_reset_restores_default_max_retries():
    chip, uart, pin = rig()
    assert answer(uart, "32 05 FF 01 00") == RSP("33")
    pin.value(0)
    pin.value(1)
    uart.write(WAKE)
    assert ask(uart, "4A 01 00") == ACK
    assert uart.any() == 0  # waits forever again


def test_i2c_ready_byte_address_and_wakeup():
    chip, i2c = i2c_rig("ntag215:04112233445566")
    with raises(OSError):
        i2c.writeto(0x24, CMD("02"))  # asleep: the waking transaction is not acknowledged
    with raises(OSError):
        i2c.writeto(0x25, CMD("02"))  # nobody at that address
    assert i2c.readfrom(0x24, 1) == b"\x00"  # not ready
    assert answer_i2c(i2c, "16 80") == RSP("17 00")  # PowerDown, wake on I2C only
    with raises(OSError):
        i2c.readfrom(0x24, 1)  # a read addressing the chip wakes it too, unacknowledged
    assert i2c.readfrom(0x24, 1) == b"\x00"
    i2c.writeto(0x24, CMD("02"))
    assert i2c.readfrom(0x24, 1) == b"\x01"  # status only: the frame stays
    assert i2c.readfrom(0x24, 7) == b"\x01" + ACK
    assert i2c.readfrom(0x24, 14) == b"\x01" + FIRMWARE
    assert i2c.readfrom(0x24, 1) == b"\x00"
    i2c.writeto(0x24, CMD("4A 01 00"))
    assert i2c.readfrom(0x24, 7) == b"\x01" + ACK
    want = RSP("4B 01 01 00 44 00 07 04112233445566")
    buf = bytearray(1 + len(want))
    i2c.readfrom_into(0x24, buf)
    assert bytes(buf) == b"\x01" + want


def answer_i2c(i2c, text):
    i2c.writeto(0x24, CMD(text))
    assert i2c.readfrom(0x24, 7) == b"\x01" + ACK
    buf = bytearray(64)
    i2c.readfrom_into(0x24, buf)
    assert buf[0] == 1
    return bytes(buf[1 : 1 + 7 + buf[4]])


def test_bit_framing_register_round_trip():
    _, uart, _ = rig()
    assert answer(uart, "06 63 3D") == RSP("07 00")
    assert answer(uart, "08 63 3D 07") == RSP("09")
    assert answer(uart, "06 63 3D 63 02") == RSP("07 07 80")
    assert answer(uart, "08 63 3D") == frame.ERROR  # an address without its value
