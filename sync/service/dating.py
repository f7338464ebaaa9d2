# dating: wall times for a terminal's records, from its boots' uptime and clock anchors, checked.
# SPDX-License-Identifier: MIT
"""docs/protocol.md, "Slot", and docs/collector.md, "Dating records": a BOOT slot starts a boot
(uptime from 0, 24 bits, unwrapped here); a CLOCK slot anchors that boot's uptime to a wall time.
Records after an anchor are dated forward from it; records before a boot's first anchor are dated
backward from it (``time_derived``), also those stored by earlier batches. Two anchors of one boot
that disagree by more than ``CLOCK_JUMP_MS`` are a clock jump (the record is flagged, an alert
written).

A date is the terminal's claim (``claimed_time``); it is used (``wall_time``) only when it keeps
the rules (docs/security.md, "Dates"), else the record is *held*, with the reasons as bits:

- ``HELD_FUTURE``: after the collector's time of receipt by more than ``TOLERANCE_S``;
- ``HELD_BACKWARD``: before a record earlier in the terminal's chain by more than
  ``TOLERANCE_S`` (wall time must not run backwards across sequence numbers and boots);
- ``HELD_BOOT``: its boot's counter is not above the boot before it;
  (a record dated from an anchor that broke a rule is held for that anchor's reasons too);
- ``HELD_DETACHED`` and ``HELD_FORK`` are the chain's (``sync.service.ingest``).

The state (``DatingState``) after each block is stored with the block, so the block that follows
it in the chain, in whatever batch it arrives, continues from it.

    dating = Dating(tx, tid, gen, state, now)
    for first, count, base in blocks:          # consecutive blocks, in sequence order
        dating.block(slots, base, first, count)
        state_after_it = dating.state.to_json()
    rows, jumps, held = dating.rows, dating.jumps, dating.held
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from firmware import wire
from sync.store import records
from sync.store.db import Tx

# Two anchors of one boot that disagree by more than this are a clock jump (docs/protocol.md).
CLOCK_JUMP_MS = wire.CLOCK_JUMP_S * 1000
# How far a date may lie after the collector's time, or before an earlier record of the chain,
# and still be used: a terminal on the collector's time lags it by a round trip, and a clock
# corrected by NTP may step back by the drift since the last correction.
TOLERANCE_S = 300
HELD_FUTURE = 1
HELD_BACKWARD = 2
HELD_BOOT = 4
HELD_DETACHED = 8  # above an open gap: not linked to the verified chain (yet)
HELD_FORK = 16  # at or after a conflict in the terminal's chain (a copy of its key)
DATE_RULES = (HELD_FUTURE, HELD_BACKWARD, HELD_BOOT)
HELD_REASONS = {HELD_FUTURE: "future", HELD_BACKWARD: "backward", HELD_BOOT: "boot_counter",
                HELD_DETACHED: "detached", HELD_FORK: "fork"}  # fmt: skip
_MASK = wire.UPTIME_MASK
_VOID, _BOOT, _CLOCK, _SLOT = wire.VOID, wire.BOOT, wire.CLOCK, wire.SLOT
_OFFSET_MS = wire.HOST_EPOCH_OFFSET * 1000
# Where a record row (``records.RECORD_COLUMNS``) keeps what dating sets.
_SEQ, _UPTIME, _WALL, _DERIVED, _CLAIMED, _HELD = 2, 7, 8, 9, 12, 13


@dataclass
class DatingState:
    """Where dating stands after a block: the boot, its uptime and anchor, and the newest date the
    chain has used so far (None: not known)."""

    boot: int | None = None  # boot counter of the current boot
    boot_seq: int | None = None  # sequence number of its BOOT slot
    boot_held: int = 0  # HELD_BOOT when its counter did not increase
    up: int | None = None  # unwrapped uptime, ms
    anchor_wall: int | None = None  # the boot's last anchor: wall time, Unix ms …
    anchor_up: int | None = None  # … at this uptime
    anchor_held: int = 0  # the rules that anchor broke
    high: int | None = None  # the newest date used so far in this chain, Unix s

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> DatingState:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__ if k in data})

    def floor(self) -> DatingState:
        """What a block that does not follow this one may still rely on: the newest date."""
        return DatingState(high=self.high)


class Dating:
    """Dates the records of consecutive blocks of one terminal; ``rows`` are the record rows to
    store (``wall_time`` still unset: see ``finish``), ``jumps`` the (seq, detail) of each clock
    jump, ``held`` the count of records held per reason bit, ``state`` where it stopped."""

    def __init__(self, tx: Tx, tid: int, gen: int, state: DatingState, now: int) -> None:
        self.tx, self.tid, self.gen, self.now = tx, tid, gen, now
        self.state = state
        self.rows: list[list[Any]] = []
        self.jumps: list[tuple[int, str]] = []
        self._undated: list[list[Any]] = []  # this boot's rows (this batch) before its anchor

    def _judge(self, t: int) -> int:
        """The rules a date ``t`` (Unix s) breaks, against the chain so far and the clock."""
        bits = HELD_FUTURE if t > self.now + TOLERANCE_S else 0
        high = self.state.high
        if high is not None and t < high - TOLERANCE_S:
            bits |= HELD_BACKWARD
        return bits

    def block(self, slots: bytes, base: int, first: int, count: int) -> None:
        """The ``count`` records of the block at ``first``, at offset ``base`` of ``slots``."""
        s = self.state
        unpack = wire.unpack_slot
        for j in range(count):
            seq = first + j
            kind, flags, payload, u24 = unpack(slots, base + j * _SLOT)
            up: int | None
            if kind == _VOID:
                up = None
            elif kind == _BOOT:
                counter = payload >> 8
                s.boot_held = HELD_BOOT if s.boot is not None and counter <= s.boot else 0
                s.boot, s.boot_seq = counter, seq
                s.up = up = u24
                s.anchor_wall = s.anchor_up = None
                s.anchor_held = 0
                self._undated = []
            else:
                up = u24 if s.up is None else s.up + ((u24 - s.up) & _MASK)
                s.up = up
            jump = 0
            if kind == _CLOCK and up is not None:
                wall_ms = payload * 1000 + _OFFSET_MS
                prev_wall, prev_up = s.anchor_wall, s.anchor_up
                if prev_wall is not None and prev_up is not None:
                    projected = prev_wall + (up - prev_up)
                    if abs(projected - wall_ms) > CLOCK_JUMP_MS:
                        jump = 1
                        self.jumps.append(
                            (seq, f"clock moved {(wall_ms - projected) // 1000:+d} s")
                        )
                s.anchor_wall, s.anchor_up = wall_ms, up
                s.anchor_held = s.boot_held | self._judge(wall_ms // 1000)
                if prev_wall is None:
                    self._backdate(wall_ms, up, seq)
            claimed = None
            held = s.boot_held
            if up is not None and s.anchor_wall is not None and s.anchor_up is not None:
                claimed = (s.anchor_wall + (up - s.anchor_up)) // 1000
                held |= s.anchor_held | self._judge(claimed)
            row = [self.tid, self.gen, seq, kind, flags, payload, s.boot, up, None, 0, jump,
                   self.now, claimed, held]  # fmt: skip
            self.rows.append(row)
            if claimed is None and up is not None and s.boot is not None:
                self._undated.append(row)
            elif claimed is not None and not held:
                s.high = claimed if s.high is None else max(s.high, claimed)

    def _backdate(self, wall_ms: int, up: int, seq: int) -> None:
        """The boot's first anchor: date its records so far backward from it, this batch's and
        those stored by earlier batches (each judged like any other date)."""
        s = self.state
        for row in self._undated:
            claimed = (wall_ms - (up - row[_UPTIME])) // 1000
            row[_CLAIMED] = claimed
            row[_DERIVED] = 1
            row[_HELD] |= s.anchor_held | self._judge(claimed)
        self._undated = []
        if s.boot_seq is None:
            return
        changes = []
        for at, uptime, held in records.undated_between(self.tx, self.tid, self.gen, s.boot_seq,
                                                         seq):  # fmt: skip
            if uptime <= up:
                claimed = (wall_ms - (up - uptime)) // 1000
                changes.append((at, claimed, held | s.anchor_held | self._judge(claimed)))
        records.set_claimed(self.tx, self.tid, self.gen, changes)

    @property
    def held(self) -> dict[int, int]:
        """{reason bit: records of ``rows`` held for a date rule}."""
        out: dict[int, int] = {}
        for row in self.rows:
            for bit in DATE_RULES:
                if row[_HELD] & bit:
                    out[bit] = out.get(bit, 0) + 1
        return out


def finish(rows: list[list[Any]], chain_bits: dict[int, int]) -> None:
    """Add the chain's reasons (``chain_bits``: {seq: bits}) and set ``wall_time`` of the rows
    that are held for nothing: only those count in reports."""
    for row in rows:
        row[_HELD] |= chain_bits.get(row[_SEQ], 0)
        if row[_CLAIMED] is not None and not row[_HELD]:
            row[_WALL] = row[_CLAIMED]


def explain(held: dict[int, int]) -> str:
    """``"2 future, 1 backward"``: held records by reason, for an alert."""
    return ", ".join(f"{n} {HELD_REASONS[bit]}" for bit, n in sorted(held.items()))
