# Device tests of the compatibility seam: same results on MicroPython and CPython.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 24k: the seam alone
import compat
from aes128 import aes as pure_aes
from tests.kit.mpytest import allocated_bytes


def test_ticks_diff_handles_wraparound():
    near_end = compat.ticks_add(0, -5)
    later = compat.ticks_add(near_end, 10)
    assert compat.ticks_diff(later, near_end) == 10
    assert compat.ticks_diff(near_end, later) == -10


def test_ticks_ms_moves_forward():
    start = compat.ticks_ms()
    compat.sleep_ms(5)
    assert compat.ticks_diff(compat.ticks_ms(), start) >= 4


def test_const_returns_its_value():
    assert compat.const(0x4A) == 0x4A


def test_aes_matches_fips197_vector():
    key = bytes(range(16))
    plain = bytes.fromhex("00112233445566778899aabbccddeeff")
    want = bytes.fromhex("69c4e0d86a7b0430d8cdb78070b4c55a")  # FIPS-197 appendix C.1
    assert bytes(compat.aes(key, 1).encrypt(plain)) == want
    assert bytes(pure_aes(key, 1).encrypt(plain)) == want


def test_aes_encrypt_into_buffer_allocates_nothing():
    cipher = pure_aes(bytes(16), 1)
    src = bytearray(16)
    dst = bytearray(16)
    cipher.encrypt(src, dst)  # warm-up
    used = allocated_bytes(lambda: cipher.encrypt(src, dst))
    assert used in (None, 0), used


async def test_asleep_ms_yields_to_other_tasks():
    import asyncio

    ran = []

    async def other():
        ran.append(1)

    task = asyncio.create_task(other())
    await compat.asleep_ms(1)
    await task
    assert ran == [1]
