# hmac_sha256: HMAC-SHA256 (RFC 2104) in a few lines; ESP32 MicroPython ships no ``hmac`` module.
# SPDX-License-Identifier: MIT
"""Two forms, byte-identical to CPython's ``hmac.new(key, msg, hashlib.sha256)``:

    tag = hmac_sha256(key, msg)     # one message: the pads are built for this call

    mac = HmacSha256(kc)            # many messages under one key: the pads are built once
    inner = mac.start()             # a hashlib.sha256 already fed with the inner pad
    inner.update(chunk)             # ... stream as much as needed
    tag = mac.finish(inner)         # 32 bytes

``rekey(key)`` refills the same pad buffers for another key (the log's key changes at every
seal). A message then costs two SHA-256 objects and two digests, nothing else; the one-shot
form adds the two 64-byte pads. MicroPython's ``hashlib`` objects have no ``copy()``, so the
inner hash cannot be kept half-done: each message hashes the 64-byte pad again.

Imports only ``hashlib``, so it runs unchanged on ESP32 MicroPython, the WebAssembly port and
CPython (``firmware/wire.py`` uses it on both sides). A key longer than the 64-byte block is
hashed first (RFC 2104 §2).
"""

import hashlib

_BLOCK = 64  # SHA-256 block size in bytes


def _pads(key, ipad, opad):
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    n = len(key)
    for i in range(_BLOCK):
        k = key[i] if i < n else 0
        ipad[i] = k ^ 0x36
        opad[i] = k ^ 0x5C


def _outer(opad, inner):
    outer = hashlib.sha256(opad)
    outer.update(inner.digest())
    return outer.digest()


def hmac_sha256(key, msg):
    """HMAC-SHA256(key, msg), 32 bytes."""
    ipad = bytearray(_BLOCK)
    opad = bytearray(_BLOCK)
    _pads(key, ipad, opad)
    inner = hashlib.sha256(ipad)
    inner.update(msg)
    return _outer(opad, inner)


class HmacSha256:
    """HMAC-SHA256 under one key whose pads are computed once and reused by every message."""

    def __init__(self, key=b""):
        self._ipad = bytearray(_BLOCK)
        self._opad = bytearray(_BLOCK)
        _pads(key, self._ipad, self._opad)

    def rekey(self, key):
        _pads(key, self._ipad, self._opad)

    def start(self):
        """The inner hash of a new message; ``update`` it, then pass it to ``finish``."""
        return hashlib.sha256(self._ipad)

    def finish(self, inner):
        return _outer(self._opad, inner)
