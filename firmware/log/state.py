# logstate: the log's small state file on the VFS (boot counter, acknowledged floor), twice.
# SPDX-License-Identifier: MIT
"""``<state_dir>/log.state`` and ``log.state.b``, 30 bytes each, each rewritten whole (littlefs
commits a file atomically on close, so a cut leaves the old or the new version, never a mix):

boot counter u32 | acked u32 | floor u32 | floor epoch u32 | floor prev_mac 8 | saves u32 |
CRC-16/CCITT-FALSE over the preceding 28 bytes.

``floor`` is the first sequence number of the first block not wholly acknowledged; the chain
state (epoch, prev_mac) at the floor is what the next batch's header carries. It is written at
each boot and whenever the floor enters a new sector, before that sector's predecessor may be
reclaimed. Both copies are written, one after the other; ``load`` takes the valid copy with the
higher ``saves`` count, so one corrupt copy loses nothing (the boot counter, once its BOOT slot
is reclaimed, is nowhere else). The current epoch key is *not* here (``firmware.log.keys``).
"""

import os

from compat import const
from firmware import wire

_LEN = const(30)
NAME = "log.state"
NAMES = (NAME, NAME + ".b")


class StateDir:
    """Reads and writes the state files in ``path`` with ``opener`` (builtin ``open`` on the
    device and under VfsPosix; ``LittleFS.open`` of littlefs-python in host tests)."""

    def __init__(self, path, opener=None):
        base = path.rstrip("/") + "/"
        self.files = (base + NAMES[0], base + NAMES[1])
        self.opener = opener or open
        self.buf = bytearray(_LEN)
        self.saves = 0
        self.corrupt = 0  # copies found corrupt by the last load
        if opener is None:
            try:
                os.mkdir(path)
            except OSError:  # exists (EEXIST), as it normally does
                pass

    def _read(self, name):
        """0 missing, 1 valid (in self.buf), 2 corrupt."""
        try:
            with self.opener(name, "rb") as f:
                n = f.readinto(self.buf)
        except OSError:
            return 0
        b = self.buf
        crc = wire.fingerprint16(b, _LEN - 2)
        if n != _LEN or b[_LEN - 2] != crc >> 8 or b[_LEN - 1] != crc & 0xFF:
            return 2
        return 1

    def load(self):
        """(boot, acked, floor, floor_epoch, floor_mac) of the newest valid copy, or None.

        Raises ValueError when no copy is valid but one is corrupt; ``corrupt`` counts the
        corrupt copies either way (the log reports them).
        """
        best = None
        self.corrupt = 0
        for name in self.files:
            state = self._read(name)
            if state == 2:
                self.corrupt += 1
            elif state == 1:
                b = self.buf
                saves = _get(b, 24)
                if best is None or saves > best[5]:
                    best = (
                        _get(b, 0),
                        _get(b, 4),
                        _get(b, 8),
                        _get(b, 12),
                        bytes(b[16:24]),
                        saves,
                    )
        if best is None:
            if self.corrupt:
                raise ValueError("log state files corrupt")
            return None
        self.saves = best[5]
        return best[:5]

    def save(self, boot, acked, floor, floor_epoch, floor_mac):
        self.saves += 1
        b = self.buf
        _put(b, 0, boot)
        _put(b, 4, acked)
        _put(b, 8, floor)
        _put(b, 12, floor_epoch)
        for i in range(8):
            b[16 + i] = floor_mac[i]
        _put(b, 24, self.saves)
        crc = wire.fingerprint16(b, _LEN - 2)
        b[_LEN - 2] = crc >> 8
        b[_LEN - 1] = crc & 0xFF
        for name in self.files:
            with self.opener(name, "wb") as f:
                f.write(b)


def _get(b, o):
    return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]


def _put(b, o, v):
    b[o] = (v >> 24) & 0xFF
    b[o + 1] = (v >> 16) & 0xFF
    b[o + 2] = (v >> 8) & 0xFF
    b[o + 3] = v & 0xFF
