# service: verified, exactly-once ingest of terminal batches; config and allow-list for terminals.
# SPDX-License-Identifier: MIT
"""The terminal side of the collector. ``Collector`` holds the database, the vault and the clock;
the HTTP layer calls ``ingest``, ``config_for`` and ``allowlist_for`` with the raw body.

Order of checks for a batch (docs/collector.md, "Ingest"):

1. decode (``wire.decode_batch``): malformed → 400 with the reason;
2. terminal: unknown → 401, revoked → 403;
3. request MAC under K(epoch + seals) → 401; a key older than the terminal's newest → 401 (replay);
4. every block's seal MAC under its epoch key, chained from ``prev_mac`` → reply ``damaged``;
5. the chain to the stored blocks before and after, and overlap with stored blocks: identical
   blocks are skipped (re-upload), a stored sequence with other content → reply ``tamper``;
6. new blocks and their records are stored, records dated from the boot's clock anchors, gaps
   recorded, the watermark moved, the health block kept — all in one transaction.

Any rejection rolls that transaction back (nothing stored) and writes one alert row in its own
transaction. ``after_commit`` (tests only) runs between the commit and the reply.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firmware import config as fconfig
from firmware import wire
from sync.store import registry
from sync.store.db import Database, Tx
from sync.vault import Vault

# Evolutions past the cached key an unauthenticated batch may ask for (each is one SHA-256): a
# terminal seals at most every few minutes, so this covers a year offline and bounds the work
# a forged header can cause before its MAC is checked.
MAX_EPOCHS_AHEAD = 100_000
# Later keys tried for a request MAC (docs/collector.md, "Request key"): many for a batch of new,
# verified blocks (a backlog longer than one batch), few for anything else.
KEY_SEARCH = 20_000
KEY_SHORT = 64
MAX_BODY = wire.HEADER_LEN + wire.MAX_BATCH_SLOTS * wire.SLOT + wire.REQUEST_MAC_LEN
# Two anchors of one boot that disagree by more than this are a clock jump (docs/protocol.md).
CLOCK_JUMP_MS = wire.CLOCK_JUMP_S * 1000
DEFAULT_CONFIG = {name: fconfig.DEFAULTS[name] for name in fconfig.COLLECTOR_MAY_SET}
_MASK = wire.UPTIME_MASK
_OFFSET_MS = wire.HOST_EPOCH_OFFSET * 1000
_SEAL = wire.SEAL
_BOOT = wire.BOOT
_CLOCK = wire.CLOCK
_VOID = wire.VOID


@dataclass
class Outcome:
    """What to answer: ``http`` 200 with ``body`` (a signed reply/blob), or an error ``reason``."""

    http: int
    body: bytes = b""
    reason: str = ""
    status: int = wire.REPLY_OK
    acked: int = 0
    stored: int = 0


class _Reject(Exception):
    def __init__(self, http: int, reason: str, alert: str, reply: int | None = None) -> None:
        super().__init__(reason)
        self.http = http
        self.reason = reason
        self.alert = alert
        self.reply = reply


class Collector:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        clock: Callable[[], float] = time.time,
        after_commit: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.vault = vault
        self.clock = clock
        self.after_commit = after_commit
        self._keys: dict[int, tuple[int, int, bytes]] = {}  # tid -> (gen, epoch, key)
        self._keys_lock = threading.Lock()

    def now(self) -> int:
        return int(self.clock())

    # --- keys ------------------------------------------------------------------------------

    def k0(self, t: dict[str, Any]) -> bytes:
        return self.vault.open(b"k0:%d:%d" % (t["id"], t["gen"]), t["k0_enc"])

    def _start_key(self, t: dict[str, Any], epoch: int) -> tuple[int, bytes]:
        """The newest known key at or before ``epoch``: memory cache, stored cache, or K0."""
        with self._keys_lock:
            cached = self._keys.get(t["id"])
        if cached and cached[0] == t["gen"] and cached[1] <= epoch:
            return cached[1], cached[2]
        if t["key_enc"] is not None and t["key_epoch"] <= epoch:
            key = self.vault.open(b"key:%d:%d" % (t["id"], t["gen"]), t["key_enc"])
            return t["key_epoch"], key
        return 0, self.k0(t)

    def _keys_for(self, t: dict[str, Any], epoch: int, seals: int) -> list[bytes]:
        """[K(epoch), …, K(epoch + seals)]."""
        start, key = self._start_key(t, epoch)
        if epoch + seals - start > MAX_EPOCHS_AHEAD:
            raise _Reject(400, "epoch too far ahead of the terminal's last upload", "malformed")
        for _ in range(epoch - start):
            key = wire.evolve_key(key)
        keys = [key]
        for _ in range(seals):
            keys.append(wire.evolve_key(keys[-1]))
        return keys

    def _remember(self, tid: int, gen: int, epoch: int, key: bytes) -> None:
        with self._keys_lock:
            cached = self._keys.get(tid)
            if cached is None or cached[0] != gen or cached[1] < epoch:
                self._keys[tid] = (gen, epoch, key)

    def forget(self, tid: int) -> None:
        with self._keys_lock:
            self._keys.pop(tid, None)

    # --- alerts ----------------------------------------------------------------------------

    def alert(self, tid: int | None, kind: str, detail: str) -> None:
        with self.db.write() as tx:
            registry.insert_alert(tx, tid, kind, detail, self.now())

    def ping(self) -> None:
        """Raises if the database does not answer (``GET /healthz``)."""
        with self.db.read() as tx:
            registry.ping(tx)

    def refuse_oversized(self, path: str) -> None:
        """A body longer than one full batch (413): only an alert; the body is never read."""
        self.alert(None, "oversized", f"{path}: body larger than {MAX_BODY} bytes")

    # --- the batch endpoint ----------------------------------------------------------------

    def ingest(self, body: bytes) -> Outcome:
        try:
            batch = wire.decode_batch(body)
        except wire.WireError as exc:
            tid = int.from_bytes(body[4:8], "big") if body[:4] == b"HDB1" else None
            return self._rejected(tid, _Reject(400, str(exc), "malformed"))
        context: dict[str, Any] = {}
        try:
            with self.db.write() as tx:
                outcome = self._ingest(tx, batch, context)
        except _Reject as rej:
            return self._rejected(batch.terminal_id, rej, batch, context)
        if self.after_commit is not None:
            self.after_commit()
        gen, epoch, key = context["key"]
        self._remember(batch.terminal_id, gen, epoch, key)
        return outcome

    def _rejected(
        self,
        tid: int | None,
        rej: _Reject,
        batch: wire.Batch | None = None,
        context: dict[str, Any] | None = None,
    ) -> Outcome:
        known = context.get("terminal") if context else None
        self.alert(tid, rej.alert, rej.reason)
        if rej.reply is None or batch is None or known is None:
            return Outcome(rej.http, reason=rej.reason)
        # An authenticated batch we refuse: tell the terminal why, in a signed reply.
        acked = known["acked"]
        reply = self._reply(known, batch, rej.reply, acked)
        return Outcome(200, reply, rej.reason, rej.reply, acked)

    def _reply(self, t: dict[str, Any], batch: wire.Batch, status: int, acked: int) -> bytes:
        kc = wire.config_key(self.k0(t))
        server_time = max(0, self.now() - wire.HOST_EPOCH_OFFSET)
        return wire.encode_reply(
            kc,
            batch.request_mac,
            status,
            acked,
            server_time,
            t["config_version"],
            t["allowlist_version"],
        )

    def _terminal(self, tx: Tx, tid: int) -> dict[str, Any]:
        t = registry.lock_terminal(tx, tid)
        if t is None:
            raise _Reject(401, "unknown terminal", "unknown_terminal")
        if t["status"] == "revoked":
            raise _Reject(403, "terminal revoked", "revoked_terminal")
        return t

    def _request_key(
        self, t: dict[str, Any], batch: wire.Batch, last: bytes, window: int
    ) -> tuple[int, bytes] | None:
        """(E, K(E)) whose request MAC verifies, E from max(epoch + seals, newest E seen) up.

        The terminal signs with the one key it holds: K(epoch + seals) when the batch reaches its
        head, a later key when more sealed blocks wait than fit one batch (docs/collector.md,
        "Request key"). A key older than the newest one the terminal has used is never tried.
        """
        lo = batch.epoch + batch.seals
        key = last
        start = max(lo, t["req_epoch"])
        if start - lo > MAX_EPOCHS_AHEAD:
            return None
        for _ in range(start - lo):
            key = wire.evolve_key(key)
        for j in range(window):
            if batch.request_mac_ok(key):
                return start + j, key
            key = wire.evolve_key(key)
        return None

    def _check_seals(
        self, t: dict[str, Any], batch: wire.Batch, keys: list[bytes]
    ) -> tuple[list[tuple[int, int, int, int, bytes, bytes]], str | None]:
        """Each block's seal under its epoch key: (blocks verified, first failure or None)."""
        slots = batch.slots
        prev = batch.prev_mac
        checked = []
        for i, (first, count, off) in enumerate(batch.blocks()):
            start = (first - batch.first_seq) * wire.SLOT
            mac = wire.seal_mac(
                keys[i], t["id"], batch.epoch + i, first, count, prev, slots[start:off]
            )
            if not wire._equal(mac, wire.seal_mac_of(slots, off)):
                return checked, f"seal MAC of the block at seq {first} does not verify"
            checked.append((i, first, count, off, prev, mac))
            prev = mac
        return checked, None

    def _authenticate(
        self, tx: Tx, batch: wire.Batch, context: dict[str, Any]
    ) -> tuple[dict[str, Any], list]:
        """Terminal, seals and request MAC; returns (terminal, verified blocks)."""
        t = self._terminal(tx, batch.terminal_id)
        keys = self._keys_for(t, batch.epoch, batch.seals)
        checked, seal_error = self._check_seals(t, batch, keys)
        stored = {}
        if batch.count:
            last_seal = batch.first_seq + batch.count - 1
            stored = {
                seal: (first, bytes(mac))
                for first, seal, _e, mac in registry.blocks_overlapping(
                    tx, t["id"], t["gen"], batch.first_seq, last_seal
                )
            }
        duplicate = bool(batch.count) and all(
            stored.get(first + count) == (first, mac) for _i, first, count, _o, _p, mac in checked
        ) and seal_error is None  # fmt: skip
        # A long search only for verified, new blocks: nobody else can make those.
        long_search = batch.count and seal_error is None and not duplicate
        found = self._request_key(t, batch, keys[-1], KEY_SEARCH if long_search else KEY_SHORT)
        if found is None:
            if duplicate:
                raise _Reject(
                    401, "replayed request: not signed with the terminal's current key", "replay"
                )
            raise _Reject(401, "request MAC does not verify", "bad_request_mac")
        context["terminal"] = t
        context["stored"] = stored
        context["key"] = (t["gen"], batch.epoch + batch.seals, keys[-1])
        context["request"] = found
        if seal_error is not None:
            raise _Reject(401, seal_error, "bad_seal", wire.REPLY_DAMAGED)
        return t, checked

    def _ingest(self, tx: Tx, batch: wire.Batch, context: dict[str, Any]) -> Outcome:
        t, checked = self._authenticate(tx, batch, context)
        tid, gen, now = t["id"], t["gen"], self.now()
        chain_epoch = batch.epoch + batch.seals
        req_epoch = context["request"][0]
        changes: dict[str, Any] = {"last_seen": now}
        if req_epoch > t["req_epoch"]:
            changes["req_epoch"] = req_epoch
        if chain_epoch > t["key_epoch"]:
            changes["key_epoch"] = chain_epoch
            changes["key_enc"] = self.vault.seal(b"key:%d:%d" % (tid, gen), context["key"][2])
        stored = 0
        acked = t["acked"]
        status = wire.REPLY_OK
        if batch.count:
            new_blocks = self._fresh_blocks(tx, t, batch, checked, context["stored"])
            if new_blocks:
                stored = self._store_blocks(tx, t, batch, new_blocks, changes, now)
                acked = self._advance(tx, tid, gen, acked)
                changes["acked"] = acked
                registry.fill_gaps(tx, tid, gen, acked, now)
        high = registry.high_seal(tx, tid, gen)
        if high is not None and high + 1 > acked:
            status = wire.REPLY_GAP
        registry.update_after_batch(tx, tid, changes)
        registry.insert_health(tx, tid, now, batch.health)
        reply = self._reply(t, batch, status, acked)
        return Outcome(200, reply, status=status, acked=acked, stored=stored)

    def _fresh_blocks(
        self,
        tx: Tx,
        t: dict[str, Any],
        batch: wire.Batch,
        checked: list[tuple[int, int, int, int, bytes, bytes]],
        stored: dict[int, tuple[int, bytes]],
    ) -> list[tuple[int, int, int, int, bytes, bytes]]:
        """Chain and overlap of verified blocks; returns the new ones
        (index, first_seq, count, seal_off, prev_mac, mac)."""
        tid, gen = t["id"], t["gen"]
        prev = checked[-1][5]
        last_seal = batch.first_seq + batch.count - 1
        # Chain to what is stored before and after this batch.
        if batch.first_seq == 0:
            if batch.epoch != 0 or batch.prev_mac != bytes(wire.MAC_LEN):
                raise _Reject(401, "chain: seq 0 must start epoch 0", "chain", wire.REPLY_TAMPER)
        else:
            before = registry.block_sealed_at(tx, tid, gen, batch.first_seq - 1)
            if before is not None and (
                bytes(before[2]) != batch.prev_mac or before[1] + 1 != batch.epoch
            ):
                raise _Reject(
                    401,
                    f"chain: batch at seq {batch.first_seq} does not follow the stored seal",
                    "chain",
                    wire.REPLY_TAMPER,
                )
        after = registry.block_starting_at(tx, tid, gen, last_seal + 1)
        if after is not None and (
            bytes(after[2]) != prev or after[1] != batch.epoch + batch.seals
        ):
            raise _Reject(
                401,
                f"chain: stored block at seq {last_seal + 1} does not follow this batch",
                "chain",
                wire.REPLY_TAMPER,
            )
        # Overlap: a stored block must be one of ours, byte for byte (same range, same MAC).
        stored = dict(stored)
        fresh = []
        for block in checked:
            _i, first, count, _off, _prev, mac = block
            seal_seq = first + count
            have = stored.pop(seal_seq, None)
            if have is None:
                fresh.append(block)
            elif have != (first, mac):
                raise _Reject(
                    401,
                    f"seq {first}..{seal_seq} already stored with other content",
                    "tamper",
                    wire.REPLY_TAMPER,
                )
        if stored:
            raise _Reject(
                401,
                "batch overlaps stored blocks with other boundaries",
                "tamper",
                wire.REPLY_TAMPER,
            )
        return fresh

    def _store_blocks(
        self,
        tx: Tx,
        t: dict[str, Any],
        batch: wire.Batch,
        blocks: list[tuple[int, int, int, int, bytes, bytes]],
        changes: dict[str, Any],
        now: int,
    ) -> int:
        tid, gen = t["id"], t["gen"]
        high = registry.high_seal(tx, tid, gen)
        high_end = 0 if high is None else high + 1
        first_new = blocks[0][1]
        if first_new > max(high_end, t["acked"]):
            registry.insert_gap(tx, tid, gen, max(high_end, t["acked"]), first_new, now)
            registry.insert_alert(
                tx, tid, "gap", f"seq {max(high_end, t['acked'])}..{first_new - 1} missing", now
            )
        in_order = first_new == t["st_seq"]
        dating = _Dating(t if in_order else None)
        block_rows = []
        record_rows: list[list[Any]] = []
        slots = batch.slots
        for i, first, count, _off, prev, mac in blocks:
            block_rows.append((tid, gen, first + count, first, batch.epoch + i, prev, mac, now))
            base = (first - batch.first_seq) * wire.SLOT
            if first != dating.next_seq:
                dating = _Dating(None)
            dating.run(tx, tid, gen, slots, base, first, count, now, record_rows)
            dating.next_seq = first + count + 1
        registry.insert_blocks(tx, block_rows)
        registry.insert_records(tx, record_rows)
        for seq, detail in dating.jumps:
            registry.insert_alert(tx, tid, "clock_jump", f"seq {seq}: {detail}", now)
        end = blocks[-1][1] + blocks[-1][2] + 1
        if end > t["st_seq"] and dating.next_seq == end:
            changes.update(dating.state())
            changes["st_seq"] = end
        return len(record_rows)

    def _advance(self, tx: Tx, tid: int, gen: int, acked: int) -> int:
        for first, seal in registry.block_starts_from(tx, tid, gen, acked):
            if first != acked:
                break
            acked = seal + 1
        return acked

    # --- config and allow-list -------------------------------------------------------------

    def _status_request(self, body: bytes) -> tuple[wire.Batch | None, Outcome | None, dict]:
        try:
            batch = wire.decode_batch(body)
        except wire.WireError as exc:
            return None, Outcome(400, reason=str(exc)), {}
        if batch.count:
            return None, Outcome(400, reason="expected a status request (count 0)"), {}
        context: dict[str, Any] = {}
        try:
            with self.db.read() as tx:
                self._authenticate(tx, batch, context)
        except _Reject as rej:
            self.alert(batch.terminal_id, rej.alert, rej.reason)
            return None, Outcome(rej.http, reason=rej.reason), {}
        return batch, None, context

    def config_for(self, body: bytes) -> Outcome:
        batch, err, context = self._status_request(body)
        if err is not None or batch is None:
            return err or Outcome(400)
        t = context["terminal"]
        kc = wire.config_key(self.k0(t))
        blob = wire.encode_config(kc, t["config_version"], t["id"], t["config_json"])
        return Outcome(200, blob)

    def allowlist_for(self, body: bytes) -> Outcome:
        batch, err, context = self._status_request(body)
        if err is not None or batch is None:
            return err or Outcome(400)
        t = context["terminal"]
        with self.db.read() as tx:
            version = registry.allowlist_version(tx, t["rusun_id"])
            entries = registry.allowlist_entries(tx, t["rusun_id"])
        kc = wire.config_key(self.k0(t))
        return Outcome(200, wire.encode_allowlist(entries, version, t["id"], kc))


def default_config_json() -> str:
    return json.dumps(DEFAULT_CONFIG, sort_keys=True)


class _Dating:
    """Walks one boot's slots: unwraps uptime, dates records from CLOCK anchors (docs/protocol.md
    "Slot"): forward from the last anchor, backward from the first one (marked derived)."""

    def __init__(self, t: dict[str, Any] | None) -> None:
        self.next_seq = t["st_seq"] if t else -1
        self.boot: int | None = t["st_boot"] if t else None
        self.up: int | None = t["st_up"] if t else None
        self.anchor_wall: int | None = t["st_anchor_wall"] if t else None  # Unix ms
        self.anchor_up: int | None = t["st_anchor_up"] if t else None
        self.jumps: list[tuple[int, str]] = []
        self._undated: list[list[Any]] = []  # this boot's rows before its first anchor

    def state(self) -> dict[str, Any]:
        return {
            "st_boot": self.boot,
            "st_up": self.up,
            "st_anchor_wall": self.anchor_wall,
            "st_anchor_up": self.anchor_up,
        }

    def run(
        self,
        tx: Tx,
        tid: int,
        gen: int,
        slots: bytes,
        base: int,
        first: int,
        count: int,
        now: int,
        out: list[list[Any]],
    ) -> None:
        unpack = wire.unpack_slot
        for j in range(count):
            off = base + j * wire.SLOT
            kind, flags, payload, u24 = unpack(slots, off)
            up: int | None
            if kind == _VOID:
                up = None
            elif kind == _BOOT:
                self.boot = payload >> 8
                self.up = up = u24
                self.anchor_wall = self.anchor_up = None
                self._undated = []
            else:
                prev = self.up
                up = u24 if prev is None else prev + ((u24 - prev) & _MASK)
                self.up = up
            jump = 0
            if kind == _CLOCK and up is not None:
                wall_ms = payload * 1000 + _OFFSET_MS
                if self.anchor_wall is not None and self.anchor_up is not None:
                    projected = self.anchor_wall + (up - self.anchor_up)
                    if abs(projected - wall_ms) > CLOCK_JUMP_MS:
                        jump = 1
                        self.jumps.append(
                            (first + j, f"clock moved {(wall_ms - projected) // 1000:+d} s")
                        )
                else:
                    self._backdate(tx, tid, gen, wall_ms, up)
                self.anchor_wall, self.anchor_up = wall_ms, up
            wall = None
            if up is not None and self.anchor_wall is not None and self.anchor_up is not None:
                wall = (self.anchor_wall + (up - self.anchor_up)) // 1000
            row = [tid, gen, first + j, kind, flags, payload, self.boot, up, wall, 0, jump, now]
            out.append(row)
            if wall is None and up is not None and self.boot is not None:
                self._undated.append(row)

    def _backdate(self, tx: Tx, tid: int, gen: int, wall_ms: int, up: int) -> None:
        for row in self._undated:
            row[8] = (wall_ms - (up - row[7])) // 1000
            row[9] = 1
        self._undated = []
        if self.boot is not None:
            registry.backdate_boot(tx, tid, gen, self.boot, wall_ms, up)
