# dating: wall times for a terminal's records, from its boots' uptime and clock anchors.
# SPDX-License-Identifier: MIT
"""docs/protocol.md, "Slot", and docs/collector.md, "Dating records": a BOOT slot starts a boot
(uptime from 0, 24 bits, unwrapped here); a CLOCK slot anchors that boot's uptime to a wall time.
Records after an anchor are dated forward from it; records before a boot's first anchor are dated
backward from it (``time_derived``), also those stored by earlier batches. Two anchors of one boot
that disagree by more than ``CLOCK_JUMP_MS`` are a clock jump (the record is flagged, an alert
written).

    dating = Dating(tx, tid, gen, DatingState.of(terminal), now)
    for first, count, base in blocks:          # in sequence order
        dating.block(slots, base, first, count)
    rows, jumps, state = dating.rows, dating.jumps, dating.state
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from firmware import wire
from sync.store import records
from sync.store.db import Tx

# Two anchors of one boot that disagree by more than this are a clock jump (docs/protocol.md).
CLOCK_JUMP_MS = wire.CLOCK_JUMP_S * 1000
_MASK = wire.UPTIME_MASK
_VOID, _BOOT, _CLOCK, _SLOT = wire.VOID, wire.BOOT, wire.CLOCK, wire.SLOT
_OFFSET_MS = wire.HOST_EPOCH_OFFSET * 1000
# Where a record row (``records.RECORD_COLUMNS``) keeps what backdating changes.
_UPTIME, _WALL, _DERIVED = 7, 8, 9


@dataclass
class DatingState:
    """Where dating stopped: the boot, uptime and anchor before sequence number ``seq`` (-1: none
    known). Stored with the terminal (its ``st_*`` columns) between batches."""

    seq: int = -1
    boot: int | None = None
    up: int | None = None  # unwrapped uptime, ms
    anchor_wall: int | None = None  # the boot's last anchor: wall time, Unix ms …
    anchor_up: int | None = None  # … at this uptime

    @classmethod
    def of(cls, t: dict[str, Any]) -> DatingState:
        return cls(t["st_seq"], t["st_boot"], t["st_up"], t["st_anchor_wall"], t["st_anchor_up"])

    def columns(self) -> dict[str, Any]:
        return {
            "st_seq": self.seq,
            "st_boot": self.boot,
            "st_up": self.up,
            "st_anchor_wall": self.anchor_wall,
            "st_anchor_up": self.anchor_up,
        }


class Dating:
    """Dates the records of consecutive blocks of one terminal; ``rows`` are the record rows to
    store, ``jumps`` the (seq, detail) of each clock jump, ``state`` where it stopped."""

    def __init__(self, tx: Tx, tid: int, gen: int, state: DatingState, now: int) -> None:
        self.tx, self.tid, self.gen, self.now = tx, tid, gen, now
        self.state = state
        self.rows: list[list[Any]] = []
        self.jumps: list[tuple[int, str]] = []
        self._undated: list[list[Any]] = []  # this boot's rows before its first anchor

    def block(self, slots: bytes, base: int, first: int, count: int) -> None:
        """The ``count`` records of the block at ``first``, at offset ``base`` of ``slots``."""
        s = self.state
        if first != s.seq:  # not where the state stopped: nothing known until the next BOOT
            s = self.state = DatingState()
            self._undated = []
        unpack = wire.unpack_slot
        for j in range(count):
            kind, flags, payload, u24 = unpack(slots, base + j * _SLOT)
            up: int | None
            if kind == _VOID:
                up = None
            elif kind == _BOOT:
                s.boot = payload >> 8
                s.up = up = u24
                s.anchor_wall = s.anchor_up = None
                self._undated = []
            else:
                up = u24 if s.up is None else s.up + ((u24 - s.up) & _MASK)
                s.up = up
            jump = 0
            if kind == _CLOCK and up is not None:
                wall_ms = payload * 1000 + _OFFSET_MS
                if s.anchor_wall is not None and s.anchor_up is not None:
                    projected = s.anchor_wall + (up - s.anchor_up)
                    if abs(projected - wall_ms) > CLOCK_JUMP_MS:
                        jump = 1
                        self.jumps.append(
                            (first + j, f"clock moved {(wall_ms - projected) // 1000:+d} s")
                        )
                else:
                    self._backdate(wall_ms, up)
                s.anchor_wall, s.anchor_up = wall_ms, up
            wall = None
            if up is not None and s.anchor_wall is not None and s.anchor_up is not None:
                wall = (s.anchor_wall + (up - s.anchor_up)) // 1000
            row = [self.tid, self.gen, first + j, kind, flags, payload, s.boot, up, wall, 0, jump,
                   self.now]  # fmt: skip
            self.rows.append(row)
            if wall is None and up is not None and s.boot is not None:
                self._undated.append(row)
        s.seq = first + count + 1  # after the seal

    def _backdate(self, wall_ms: int, up: int) -> None:
        """The boot's first anchor: date its records so far, this batch's and stored ones."""
        for row in self._undated:
            row[_WALL] = (wall_ms - (up - row[_UPTIME])) // 1000
            row[_DERIVED] = 1
        self._undated = []
        if self.state.boot is not None:
            records.backdate_boot(self.tx, self.tid, self.gen, self.state.boot, wall_ms, up)
