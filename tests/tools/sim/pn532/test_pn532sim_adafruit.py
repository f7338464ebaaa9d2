# Proof against a client we did not write: adafruit's PN532_UART over pyserial on the pty sim.
# SPDX-License-Identifier: MIT
import contextlib
import json
import subprocess
import sys

import pytest
import serial
from adafruit_pn532.uart import PN532_UART

from tests.kit.paths import ROOT
from tests.kit.simpty import pn532sim_pty

KEY_DEFAULT = b"\xff" * 6
CLASSIC = "04A1B2C3"
NTAG = "04112233445566"


@contextlib.contextmanager
def simulator(*args):
    with pn532sim_pty(*args) as path, serial.Serial(path, 115200, timeout=2) as port:
        yield port


def test_firmware_version_and_classic_block_through_adafruit():
    with simulator("--card", f"classic1k:{CLASSIC}") as port:
        pn532 = PN532_UART(port)  # wakes the chip with 0x55 and sends SAMConfiguration itself
        assert pn532.firmware_version == (0x32, 1, 6, 7)
        uid = pn532.read_passive_target(timeout=10)
        assert bytes(uid) == bytes.fromhex(CLASSIC)
        assert pn532.mifare_classic_authenticate_block(uid, 1, 0x60, KEY_DEFAULT)
        block0 = pn532.mifare_classic_read_block(0)
        # Manufacturer block: UID, BCC, SAK 08, ATQA 04 00 (MF1S50yy §8.6.1).
        assert bytes(block0[:8]) == bytes.fromhex(CLASSIC + "D4" + "08" + "0400")


def test_wrong_key_halts_the_card_until_selected_again():
    with simulator("--card", f"classic1k:{CLASSIC}") as port:
        pn532 = PN532_UART(port)
        uid = pn532.read_passive_target(timeout=10)
        assert not pn532.mifare_classic_authenticate_block(uid, 4, 0x60, b"\x00" * 6)
        assert pn532.mifare_classic_read_block(4) is None  # halted: status 0x01, no data
        uid = pn532.read_passive_target(timeout=10)
        assert pn532.mifare_classic_authenticate_block(uid, 4, 0x60, KEY_DEFAULT)
        assert pn532.mifare_classic_read_block(4) == bytes(16)


def test_ntag_uid_and_page_through_adafruit():
    with simulator("--card", f"ntag215:{NTAG}") as port:
        pn532 = PN532_UART(port)
        uid = pn532.read_passive_target(timeout=10)
        assert bytes(uid) == bytes.fromhex(NTAG)
        page0 = pn532.ntag2xx_read_block(0)
        assert bytes(page0) == bytes.fromhex("041122") + bytes((0x88 ^ 0x04 ^ 0x11 ^ 0x22,))


def test_no_card_means_no_uid_within_the_timeout():
    with simulator() as port:
        pn532 = PN532_UART(port)
        assert pn532.read_passive_target(timeout=0.3) is None


def test_bad_card_spec_is_refused():
    result = subprocess.run(
        [sys.executable, "-m", "tools.sim.pn532", "--pty", "--card", "classic1k:0102"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1  # every hadir CLI: one line, exit 1 (cliframe)
    assert result.stderr.startswith(
        "hadir: skenario tidak sah (invalid scenario): classic1k: UID must be"
    )
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("kind", ["classic4k:01020304", "desfire-ev2:04AABBCCDDEEFF", "random:3"])
def test_other_cards_are_listed(kind):
    with simulator("--card", kind) as port:
        pn532 = PN532_UART(port)
        uid = pn532.read_passive_target(timeout=10)
        assert uid is not None
        if kind.startswith("random"):
            assert uid[0] == 0x08 and len(uid) == 4
        else:
            assert bytes(uid) == bytes.fromhex(kind.split(":")[1])


def test_scenario_file_places_and_removes_cards(tmp_path):
    # adafruit's constructor sends SAMConfiguration (1) and GetFirmwareVersion (2); each
    # read_passive_target is one InListPassiveTarget. The card arrives with command 3 and leaves
    # with command 4, so the first poll finds it and the second finds nothing.
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "events": [
                    {"at_command": 3, "place": f"ntag213:{NTAG}"},
                    {"at_command": 4, "remove": NTAG},
                ]
            }
        )
    )
    with simulator("--scenario", str(scenario)) as port:
        pn532 = PN532_UART(port)
        assert bytes(pn532.read_passive_target(timeout=10)) == bytes.fromhex(NTAG)
        assert pn532.read_passive_target(timeout=0.3) is None
