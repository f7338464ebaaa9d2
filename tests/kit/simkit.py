# simkit: frame helpers and a wired-up simulated PN532 for device tests of tools/sim.
# SPDX-License-Identifier: MIT
from binascii import unhexlify

from tools.sim.pn532 import frame, scenario
from tools.sim.pn532.transport import I2C, UART, Pin

ACK = frame.ACK
NACK = frame.NACK
WAKE = b"\x55\x55\x00\x00\x00\x00\x00\x00"  # HSU wake-up: 0x55, then filler (UM0701-02 §7.2.11)


def h(text):
    return unhexlify(text.replace(" ", ""))


def CMD(text):  # noqa: N802 - reads like the frame tables of the user manual
    """Host frame for command bytes ``text`` (hex after TFI D4), checksums computed."""
    return frame.encode(b"\xd4" + h(text))


def RSP(text):  # noqa: N802
    """Chip frame for reply bytes ``text`` (hex after TFI D5), checksums computed."""
    return frame.encode(b"\xd5" + h(text))


def rig(*cards, spec=None, wake=True):
    """(chip, uart, reset pin) for a chip with ``cards``; awake unless ``wake`` is False."""
    spec = dict(spec or {})
    spec["cards"] = list(cards) + list(spec.get("cards", ()))
    chip = scenario.build(spec)
    uart = UART(chip)
    if wake:
        uart.write(WAKE)
    return chip, uart, Pin(chip)


def i2c_rig(*cards):
    chip = scenario.build({"cards": list(cards)})
    return chip, I2C(chip)


def ask(uart, text):
    """Send a command; return every byte the chip has sent back so far (b"" for none)."""
    uart.write(CMD(text))
    return uart.read() or b""


def answer(uart, text):
    """Send a command that must be acknowledged; return the response frame that follows."""
    got = ask(uart, text)
    assert got[:6] == ACK, got
    return got[6:]
