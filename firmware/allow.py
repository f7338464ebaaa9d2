# allow: the offline allow-list (/allow.bin), verified once and searched in place on the VFS.
# SPDX-License-Identifier: MIT
"""``AllowList(path, kc, terminal_id)`` opens and authenticates the signed list of
docs/protocol.md (``HDL1``), streaming the file through HMAC-SHA256 in 256-byte chunks, so
thousands of cards never sit in RAM. ``find(token)`` is a binary search reading 6 bytes at a
time (``wire.allowlist_find``): the enrolled fingerprint, ``ABSENT``, or ``NO_LIST``. Tap path:
no allocation. ``install(data)`` checks a new list and replaces the file atomically.
"""

import os

from compat import const
from firmware import wire
from hmac_sha256 import HmacSha256

ABSENT = const(-1)
NO_LIST = const(-2)
_CHUNK = const(256)


def _hmac_file(f, kc, n, chunk):
    """HMAC-SHA256(kc, first ``n`` bytes of ``f``), read through ``chunk``. Runs at boot and
    when a new list arrives: the pads live only for the call, not in RAM all day."""
    mac = HmacSha256(kc)
    inner = mac.start()
    f.seek(0)
    mv = memoryview(chunk)
    while n > 0:
        got = f.readinto(mv[: min(n, len(chunk))])
        if not got:
            raise OSError(5)
        inner.update(mv[:got])
        n -= got
    return mac.finish(inner)


class AllowList:
    def __init__(self, path, kc, terminal_id):
        self.path = path
        self._kc = kc
        self._tid = terminal_id
        self._f = None
        self._entry = bytearray(wire.ALLOW_ENTRY)
        self.count = 0
        self.version = 0
        self.open()

    def close(self):
        if self._f is not None:
            self._f.close()
        self._f = None
        self.count = 0

    def open(self):
        """Open and authenticate the file; a missing or bad file leaves no list (NO_LIST)."""
        self.close()
        try:
            f = open(self.path, "rb")
        except OSError:
            return False
        try:
            version, tid, count, end = wire.allowlist_head(f.read(wire.ALLOW_HEADER))
            if tid != self._tid or os.stat(self.path)[6] != end + wire.REQUEST_MAC_LEN:
                raise ValueError
            mac = _hmac_file(f, self._kc, end, bytearray(_CHUNK))[: wire.REQUEST_MAC_LEN]
            f.seek(end)
            if f.read(wire.REQUEST_MAC_LEN) != mac:
                raise ValueError
        except (OSError, ValueError):  # ValueError: wire.WireError too
            f.close()
            return False
        self._f = f
        self.count = count
        self.version = version
        return True

    @property
    def present(self):
        return self._f is not None

    def find(self, token):
        """Enrolled fingerprint of the 4-byte ``token``, ABSENT or NO_LIST. No allocation."""
        if self._f is None:
            return NO_LIST
        return wire.allowlist_find(self._f, self.count, token, self._entry)

    def install(self, data):
        """Replace the list with ``data`` if it is authentic, for this terminal and newer."""
        version, tid, _ = wire.allowlist_header(self._kc, data)
        if tid != self._tid:
            raise wire.WireError("allow-list for another terminal")
        if version <= self.version and self.present:
            return False
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        self.close()
        os.rename(tmp, self.path)
        return self.open()
