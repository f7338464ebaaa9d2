# logstate: the log's one small state file on the VFS (boot counter, acknowledged floor).
# SPDX-License-Identifier: MIT
"""``<state_dir>/log.state``, 30 bytes, rewritten whole (littlefs commits a file atomically on
close, so a cut leaves the old or the new version, never a mix):

boot counter u32 | acked u32 | floor u32 | floor epoch u32 | floor prev_mac 8 | spare u32 |
CRC-16/CCITT-FALSE over the preceding 28 bytes.

``floor`` is the first sequence number of the first block not wholly acknowledged; the chain
state (epoch, prev_mac) at the floor is what the next batch's header carries. It is written at
each boot and whenever the floor enters a new sector, before that sector's predecessor may be
reclaimed. The current epoch key is *not* here (``firmware.logkeys``).
"""

import os

from compat import const
from firmware import wire

_LEN = const(30)
NAME = "log.state"


class StateDir:
    """Reads and writes the state file in ``path`` with ``opener`` (builtin ``open`` on the
    device and under VfsPosix; ``LittleFS.open`` of littlefs-python in host tests)."""

    def __init__(self, path, opener=None):
        self.file = path.rstrip("/") + "/" + NAME
        self.opener = opener or open
        self.buf = bytearray(_LEN)
        if opener is None:
            try:
                os.mkdir(path)
            except OSError:  # exists (EEXIST), as it normally does
                pass

    def load(self):
        """(boot, acked, floor, floor_epoch, floor_mac); None if missing; ValueError if corrupt."""
        try:
            with self.opener(self.file, "rb") as f:
                n = f.readinto(self.buf)
        except OSError:
            return None
        b = self.buf
        crc = wire.fingerprint16(b, _LEN - 2)
        if n != _LEN or b[_LEN - 2] != crc >> 8 or b[_LEN - 1] != crc & 0xFF:
            raise ValueError("log state file corrupt")
        return (_get(b, 0), _get(b, 4), _get(b, 8), _get(b, 12), bytes(b[16:24]))

    def save(self, boot, acked, floor, floor_epoch, floor_mac):
        b = self.buf
        _put(b, 0, boot)
        _put(b, 4, acked)
        _put(b, 8, floor)
        _put(b, 12, floor_epoch)
        for i in range(8):
            b[16 + i] = floor_mac[i]
        _put(b, 24, 0)
        crc = wire.fingerprint16(b, _LEN - 2)
        b[_LEN - 2] = crc >> 8
        b[_LEN - 1] = crc & 0xFF
        with self.opener(self.file, "wb") as f:
            f.write(b)


def _get(b, o):
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]


def _put(b, o, v):
    b[o] = (v >> 24) & 0xFF
    b[o + 1] = (v >> 16) & 0xFF
    b[o + 2] = (v >> 8) & 0xFF
    b[o + 3] = v & 0xFF
