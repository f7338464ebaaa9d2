# state: the log's small state file on the VFS (boot counter, acknowledged floor), twice.
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
from firmware.log.layout import copy, crc_ok, get32, put32, put_crc

_LEN = const(30)
_CRC_AT = const(28)
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
        self.boot = 0  # boot counter and acked watermark of the copy the last load took
        self.acked = 0
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
        return 1 if n == _LEN and crc_ok(self.buf, _CRC_AT) else 2

    def load(self, floor):
        """True when a valid copy was read (the newest one): ``boot`` and ``acked`` hold its
        values and ``floor`` (a ``Chain``) its floor. False when there is none.

        Raises ValueError when no copy is valid but one is corrupt; ``corrupt`` counts the
        corrupt copies either way (the log reports them).
        """
        found = False
        self.corrupt = 0
        for name in self.files:
            state = self._read(name)
            if state == 2:
                self.corrupt += 1
            elif state == 1:
                b = self.buf
                saves = get32(b, 24)
                if not found or saves > self.saves:
                    found = True
                    self.saves = saves
                    self.boot = get32(b, 0)
                    self.acked = get32(b, 4)
                    floor.set(get32(b, 8), get32(b, 12), b, 16)
        if not found and self.corrupt:
            raise ValueError("log state files corrupt")
        return found

    def save(self, boot, acked, floor):
        """Write both copies: ``boot``, ``acked`` and ``floor`` (a ``Chain``)."""
        self.saves += 1
        b = self.buf
        put32(b, 0, boot)
        put32(b, 4, acked)
        put32(b, 8, floor.seq)
        put32(b, 12, floor.epoch)
        copy(b, 16, floor.mac, 0, 8)
        put32(b, 24, self.saves)
        put_crc(b, _CRC_AT)
        for name in self.files:
            with self.opener(name, "wb") as f:
                f.write(b)
