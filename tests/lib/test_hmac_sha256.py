# lib/hmac_sha256.py against RFC 4231 on both interpreters; CPython's hmac in test_wire_reference.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 16k: the HMAC module alone
from binascii import unhexlify

from hmac_sha256 import HmacSha256, hmac_sha256
from tests.kit.mpytest import allocated_bytes

# RFC 4231 §4.2, §4.3 and §4.7: a short key, a key shorter than the output, a key longer than
# the 64-byte block (hashed first).
CASES = (
    (b"\x0b" * 20, b"Hi There",
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
)  # fmt: skip


def test_rfc4231_vectors_one_shot():
    for key, msg, want in CASES:
        assert hmac_sha256(key, msg) == unhexlify(want)


def test_streamed_in_pieces_under_reused_pads_equals_one_shot():
    mac = HmacSha256()
    for key, msg, want in CASES:
        mac.rekey(key)
        for _ in range(2):  # the same pads serve a second message
            inner = mac.start()
            for i in range(0, len(msg), 5):
                inner.update(memoryview(msg)[i : i + 5])
            assert mac.finish(inner) == unhexlify(want)


def test_rekey_reuses_its_pad_buffers():
    mac = HmacSha256(bytes(32))
    key = bytes(range(32))
    mac.rekey(key)  # warm-up
    assert allocated_bytes(lambda: mac.rekey(key)) in (None, 0)
