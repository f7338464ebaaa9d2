# esp32: the official MicroPython ESP32 firmware and flash images, for the flash and board tests.
# SPDX-License-Identifier: MIT
"""``firmware()`` is the official ESP32_GENERIC v1.25.0 merged image of the machine's shared
emulated ESP32 (``shared("esp32-qemu")``), or skips the test when that folder is not there.
``reseal(app)`` recomputes an ESP32 app image's checksum and SHA-256 after a test edited it
(ESP-IDF's esp_app_format.h: XOR of every segment byte seeded with 0xEF, in the last byte of
the 16-byte padding; SHA-256 of everything before it appended)."""

from __future__ import annotations

import hashlib
import pathlib

import pytest

from tests.kit.paths import shared

FIRMWARE_NAME = "ESP32_GENERIC-20250415-v1.25.0.bin"


def qemu_dir() -> pathlib.Path | None:
    return shared("esp32-qemu")


def firmware() -> pathlib.Path:
    base = qemu_dir()
    if base is None or not (base / "firmware" / FIRMWARE_NAME).is_file():
        pytest.skip("no shared/esp32-qemu on this machine: the official firmware is not here")
    return base / "firmware" / FIRMWARE_NAME


def reseal(app: bytearray) -> bytearray:
    pos = 24
    checksum = 0xEF
    for _ in range(app[1]):
        n = int.from_bytes(app[pos + 4 : pos + 8], "little")
        for b in app[pos + 8 : pos + 8 + n]:
            checksum ^= b
        pos += 8 + n
    pos += 1
    pos += -pos % 16
    app[pos - 1] = checksum
    if app[23]:
        app[pos : pos + 32] = hashlib.sha256(bytes(app[:pos])).digest()
    return app
