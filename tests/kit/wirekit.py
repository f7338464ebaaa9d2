# wirekit: a host-side paper terminal that writes slots and seals batches, for collector tests.
# SPDX-License-Identifier: MIT
"""Produces exactly what a terminal's log would send, using only ``firmware.wire``.

term = PaperTerminal(terminal_id=12, k0=k0)
term.boot(door=1); term.clock(wall=820_454_400); term.tap(token=b"\\x01\\x02\\x03\\x04")
body = term.batch()          # seals the open block, signs with the evolved key
"""

from firmware import wire


class PaperTerminal:
    def __init__(self, terminal_id: int, k0: bytes) -> None:
        self.terminal_id = terminal_id
        self.key = k0
        self.epoch = 0
        self.next_seq = 0
        self.prev_mac = bytes(8)
        self.uptime_ms = 0
        self.boot_counter = 0
        self.open: bytearray = bytearray()  # slots since the last seal
        self.sealed: bytearray = bytearray()  # sealed, not yet sent
        self.sealed_first_seq = 0
        self.sealed_epoch = 0
        self.sealed_prev_mac = bytes(8)

    def _slot(self, kind: int, flags: int, payload, advance_ms: int = 1000) -> int:
        self.uptime_ms += advance_ms
        buf = bytearray(wire.SLOT)
        wire.pack_slot(buf, 0, kind, flags, payload, self.uptime_ms & wire.UPTIME_MASK)
        self.open += buf
        self.next_seq += 1
        return self.next_seq - 1

    def boot(self, door: int = 1) -> int:
        self.boot_counter += 1
        self.uptime_ms = 0
        return self._slot(wire.BOOT, 0, (self.boot_counter << 8) | door, advance_ms=0)

    def clock(self, wall: int, quality: int = wire.CLOCK_NTP, advance_ms: int = 1000) -> int:
        return self._slot(wire.CLOCK, quality, wall, advance_ms)

    def tap(self, token: bytes, flags: int = wire.CARD_ENROLLED, advance_ms: int = 1000) -> int:
        return self._slot(wire.TAP, flags, token, advance_ms)

    def event(self, kind: int, flags: int = 0, payload: int = 0, advance_ms: int = 1000) -> int:
        return self._slot(kind, flags, payload, advance_ms)

    def seal(self) -> None:
        if not self.sealed:
            self.sealed_first_seq = self.next_seq - len(self.open) // wire.SLOT
            self.sealed_epoch = self.epoch
            self.sealed_prev_mac = self.prev_mac
        first = self.next_seq - len(self.open) // wire.SLOT
        count = len(self.open) // wire.SLOT
        mac = wire.seal_mac(
            self.key, self.terminal_id, self.epoch, first, count, self.prev_mac, self.open
        )
        seal = bytearray(wire.SLOT)
        wire.pack_seal(seal, 0, mac)
        self.sealed += self.open + seal
        self.open = bytearray()
        self.next_seq += 1
        self.prev_mac = mac
        self.key = wire.evolve_key(self.key)
        self.epoch += 1

    def batch(self, health: dict | None = None) -> bytes:
        """Seal what is open and return the signed batch of everything sealed since last time."""
        if self.open:
            self.seal()
        if not self.sealed:  # a status request
            first, epoch, prev = self.next_seq, self.epoch, self.prev_mac
        else:
            first, epoch, prev = self.sealed_first_seq, self.sealed_epoch, self.sealed_prev_mac
        body = wire.encode_batch(
            self.terminal_id,
            first,
            epoch,
            prev,
            wire.pack_health(health or {}),
            bytes(self.sealed),
            self.key,
        )
        self.sealed = bytearray()
        return body
