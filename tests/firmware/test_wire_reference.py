# The wire module against independent implementations: CPython's hmac, the cryptography AES.
# SPDX-License-Identifier: MIT
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given
from hypothesis import strategies as st

from aes128 import aes
from firmware import wire


@given(st.binary(min_size=0, max_size=100), st.binary(max_size=300))
def test_hmac_matches_stdlib(key, msg):
    assert wire.hmac_sha256(key, msg) == hmac.new(key, msg, hashlib.sha256).digest()


@given(st.binary(min_size=16, max_size=16), st.binary(min_size=4, max_size=10))
def test_card_token_is_aes_ecb_of_the_identity(key, uid):
    identity = wire.identity16(uid)
    out = bytearray(16)
    wire.card_token(aes(key, 1), identity, out)
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    assert bytes(out[:4]) == (enc.update(identity) + enc.finalize())[:4]


def _crc8_bitwise(data):
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@given(st.binary(min_size=8, max_size=8))
def test_crc8_matches_bitwise_definition(data):
    assert wire.crc8(data, 0, 8) == _crc8_bitwise(data)


@given(
    st.integers(0, 15), st.integers(0, 15), st.integers(0, 2**32 - 1), st.integers(0, 2**24 - 1)
)
def test_slot_round_trip(kind, flags, payload, uptime):
    buf = bytearray(9)
    wire.pack_slot(buf, 0, kind, flags, payload, uptime)
    assert wire.unpack_slot(buf, 0) == (kind, flags, payload, uptime)
