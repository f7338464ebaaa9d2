# verify: the checks of a terminal's signed request: terminal, epoch keys, seal MACs, request MAC.
# SPDX-License-Identifier: MIT
"""Steps 2-4 of docs/collector.md, "Ingest", shared by a batch upload (``sync.service.ingest``)
and a status request for the config or allow-list (``sync.service.downlink``):

2. terminal: unknown → 401, revoked → 403; a batch starting further ahead of what is stored
   than any terminal's log can hold → 400 (bounded look-ahead);
3. request MAC under K(epoch + seals) or a later key → else 401;
4. every block's seal MAC under its epoch key, chained from ``prev_mac`` → reply ``damaged``.

A replay needs no refusal here: a request whose blocks are all stored changes nothing
(``sync.service.ingest`` stores nothing, counts no life, and alerts one signed with a key older
than the chain it belongs to has reached). Blocks the retention purge removed (below the
terminal's ``floor``: its watermark and its lowest stored block) count as stored: a replay of
them is answered and never stored again.

In two phases, so that nobody can make the collector hold its write lock while it works for a
request nobody has authenticated yet:

- ``authenticate(c, batch, peer)`` reads the terminal and its stored blocks in one read snapshot
  and does every cryptographic step outside any transaction; work past a small allowance is
  charged to the claimed terminal and the client address (``sync.service.budget``: 429 when
  they are spent);
- ``confirm(tx, v, batch)``, the first step of the write transaction, locks the terminal's row
  and reads again what the rest of the transaction decides on: still active, same generation,
  the stored blocks the batch meets.

Both raise ``Reject``; ``refused`` writes its alert and turns it into the answer: a signed
reply when the terminal is authenticated and must be told why, else an HTTP error. A reply's
``acked`` never covers more than the requesting device has shown the collector holds of its own
chain (``proven``): a device told more would reclaim records nobody stored.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from firmware import wire
from sync.service.budget import Exhausted, Work, mac_units
from sync.service.collector import ChainKey, Collector
from sync.store import records, terminals
from sync.store.db import Tx
from sync.store.records import StoredBlock

# How far ahead of what is stored (its watermark, or the newest conflicting block) a batch may
# start: more than any terminal's log holds unacknowledged (wire.LOG_MAX_SLOTS), so only a copy
# of the key (or nonsense) goes further.
LOOKAHEAD_SLOTS = wire.LOG_MAX_SLOTS
# Evolutions past the cached key an unauthenticated batch may ask for (each is one SHA-256): a
# terminal seals at most every few minutes, so this covers a year offline and bounds the work
# a forged header can cause before its MAC is checked.
MAX_EPOCHS_AHEAD = 100_000
# Later keys tried for a request MAC (docs/collector.md, "Request key"): many for a batch of new,
# verified blocks (a backlog longer than one batch), few for anything else.
KEY_SEARCH = 20_000
KEY_SHORT = 64
MAX_BODY = wire.HEADER_LEN + wire.MAX_BATCH_SLOTS * wire.SLOT + wire.REQUEST_MAC_LEN


@dataclass
class Outcome:
    """What to answer: ``http`` 200 with ``body`` (a signed reply/blob), or an error ``reason``."""

    http: int
    body: bytes = b""
    reason: str = ""
    status: int = wire.REPLY_OK
    acked: int = 0
    stored: int = 0


class Reject(Exception):
    """A refused request: ``http`` and ``reason`` answer it, ``alert`` is the alert's kind. With a
    wire ``reply`` status and the authenticated ``terminal``, the answer is a signed reply."""

    def __init__(
        self,
        http: int,
        reason: str,
        alert: str,
        reply: int | None = None,
        terminal: dict[str, Any] | None = None,
        acked: int = 0,
    ) -> None:
        super().__init__(reason)
        self.http = http
        self.reason = reason
        self.alert = alert
        self.reply = reply
        self.terminal = terminal
        self.acked = acked  # what the signed reply may acknowledge (``proven``)


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a batch whose seal MAC verified."""

    index: int  # its place in the batch: sealed under the key of epoch batch.epoch + index
    first_seq: int
    count: int  # records before the seal
    seal_off: int  # offset of the seal slot in batch.slots
    prev_mac: bytes
    mac: bytes

    @property
    def seal_seq(self) -> int:
        return self.first_seq + self.count

    def same_as(self, stored: StoredBlock | None) -> bool:
        """The stored block is this one: same range, same MAC (a re-upload)."""
        return stored is not None and (stored.first_seq, stored.mac) == (self.first_seq, self.mac)


@dataclass(frozen=True)
class Verified:
    """An authenticated request."""

    terminal: dict[str, Any]  # its row, locked for the transaction (``terminals.lock_terminal``)
    blocks: list[Block]  # every block of the batch, in order
    stored: dict[int, StoredBlock]  # stored blocks meeting the batch's range, by seal seq
    known: set[tuple[int, bytes]]  # (seal seq, MAC) of the batch's blocks stored as evidence
    chain_key: ChainKey  # K(epoch + seals): the key after the batch's last seal
    request_epoch: int  # epoch of the key that signed the request
    floor: int = 0  # blocks sealed below it were stored, then purged (``_floor``)

    def duplicate(self, block: Block) -> bool:
        """The block is stored already, in the chain or as evidence (or was, then purged)."""
        return _all_stored([block], self.stored, self.known, self.floor)


def authenticate(c: Collector, batch: wire.Batch, peer: str = "") -> Verified:
    """Steps 2-4 above on a read snapshot, no lock held; ``Reject`` (429 when the work budget of
    the claimed terminal or of the client address ``peer`` is spent)."""
    with c.db.read() as tx:
        t = _terminal(terminals.terminal(tx, batch.terminal_id))
        _within_reach(tx, t, batch)
        stored, known, floor = _stored(tx, t, batch)
    work = c.budget.work(t["id"], peer)
    try:
        keys = _keys_for(c, t, batch.epoch, batch.seals, work)
        blocks, seal_error = _check_seals(t, batch, keys)
        duplicate = (
            bool(batch.count) and seal_error is None and _all_stored(blocks, stored, known, floor)
        )
        # A long search only for verified, new blocks: nobody else can make those.
        long_search = batch.count and seal_error is None and not duplicate
        window = KEY_SEARCH if long_search else KEY_SHORT
        request_epoch = _request_epoch(batch, keys[-1], window, work)
    except Exhausted as exc:
        raise Reject(
            429,
            "terlalu banyak kerja verifikasi, coba lagi nanti / too much verification work for "
            f"this terminal or address, retry in {exc.retry_s:.0f} s",
            "throttled",
        ) from None
    finally:
        work.done()
    if request_epoch is None:
        if duplicate:
            raise Reject(
                401, "replayed request: not signed with the terminal's current key", "replay"
            )
        raise Reject(401, "request MAC does not verify", "bad_request_mac")
    if seal_error is not None:
        with c.db.read() as tx:
            acked = proven(tx, t, batch)
        raise Reject(401, seal_error, "bad_seal", wire.REPLY_DAMAGED, t, acked)
    chain_key = ChainKey(t["gen"], batch.epoch + batch.seals, keys[-1])
    return Verified(t, blocks, stored, known, chain_key, request_epoch, floor)


def confirm(tx: Tx, v: Verified, batch: wire.Batch) -> Verified:
    """Inside the write transaction: the terminal's row locked and checked again (revoked or
    re-keyed meanwhile), and the stored blocks the batch meets read again (another upload may
    have stored some since the snapshot)."""
    t = _terminal(terminals.lock_terminal(tx, v.terminal["id"]))
    if t["gen"] != v.terminal["gen"]:
        raise Reject(401, "terminal re-keyed while the request was checked", "bad_request_mac")
    stored, known, floor = _stored(tx, t, batch)
    return Verified(t, v.blocks, stored, known, v.chain_key, v.request_epoch, floor)


def _all_stored(
    blocks: list[Block],
    stored: dict[int, StoredBlock],
    known: set[tuple[int, bytes]],
    floor: int = 0,
) -> bool:
    """Every block is stored already, in the chain or as evidence, or was and has been purged
    (sealed below ``floor``)."""
    return all(
        b.seal_seq < floor or b.same_as(stored.get(b.seal_seq)) or (b.seal_seq, b.mac) in known
        for b in blocks
    )


def _stored(
    tx: Tx, t: dict[str, Any], batch: wire.Batch
) -> tuple[dict[int, StoredBlock], set[tuple[int, bytes]], int]:
    """Stored blocks meeting the batch's range (by seal seq), those kept as evidence, and the
    floor below which blocks were purged (``_floor``)."""
    if not batch.count:
        return {}, set(), 0
    last_seal = batch.first_seq + batch.count - 1
    overlapping = records.blocks_overlapping(tx, t["id"], t["gen"], batch.first_seq, last_seal)
    known = records.fork_known(tx, t["id"], t["gen"], batch.first_seq, last_seal)
    floor = _floor(tx, t) if batch.first_seq < t["acked"] else 0
    return {b.seal_seq: b for b in overlapping}, known, floor


def _floor(tx: Tx, t: dict[str, Any]) -> int:
    """Where the stored chain starts now: every seq below the watermark was stored as a block
    (it moves only over contiguous stored blocks), so below the lowest block still stored (and
    the watermark) the blocks were stored and then purged by retention
    (``sync.store.retention.purge_blocks``). 0 when nothing was purged."""
    low = records.lowest_block(tx, t["id"], t["gen"])
    return min(t["acked"], low.first_seq) if low is not None else 0


def proven(tx: Tx, t: dict[str, Any], batch: wire.Batch) -> int:
    """What a reply to ``batch`` may acknowledge without storing anything of it: for a batch, the
    watermark but not past its ``first_seq`` (where its device's log was acknowledged, docs/log.md;
    a copy may have pushed the watermark past the genuine device's head). A status request
    names its device's last seal (``prev_mac``): the end of that block when the collector holds it
    (the end of the contiguous chain, or a block kept as evidence); else 0, which a device
    ignores."""
    if batch.count:
        return min(t["acked"], batch.first_seq)
    if batch.epoch == 0:
        return 0
    tid, gen, acked = t["id"], t["gen"], t["acked"]
    if acked:
        head = records.block_sealed_at(tx, tid, gen, acked - 1)
        if head is not None and head.mac == batch.prev_mac and head.epoch + 1 == batch.epoch:
            return acked
    seal = records.fork_sealed_with(tx, tid, gen, batch.prev_mac)
    return seal + 1 if seal is not None and seal < batch.first_seq else 0


def _within_reach(tx: Tx, t: dict[str, Any], batch: wire.Batch) -> None:
    """Bounded look-ahead: no batch starts more than a log's worth beyond what is stored."""
    reach = max(t["acked"], (records.fork_high(tx, t["id"], t["gen"]) or 0) + 1)
    if batch.first_seq > reach + LOOKAHEAD_SLOTS:
        raise Reject(400, "batch starts too far ahead of what is stored", "malformed")


def _terminal(t: dict[str, Any] | None) -> dict[str, Any]:
    if t is None:
        raise Reject(401, "unknown terminal", "unknown_terminal")
    if t["status"] == "revoked":
        raise Reject(403, "terminal revoked", "revoked_terminal")
    return t


def _start_key(c: Collector, t: dict[str, Any], epoch: int) -> tuple[int, bytes]:
    """The newest known key at or before ``epoch``: memory cache, stored cache, or K0."""
    cached = c.keys.get(t["id"], t["gen"], epoch)
    if t["key_enc"] is not None and t["key_epoch"] <= epoch:
        if cached is None or cached.epoch < t["key_epoch"]:
            key = c.vault.open(b"key:%d:%d" % (t["id"], t["gen"]), t["key_enc"])
            return t["key_epoch"], key
    if cached is not None:
        return cached.epoch, cached.key
    return 0, c.k0(t)


def _keys_for(c: Collector, t: dict[str, Any], epoch: int, seals: int, work: Work) -> list[bytes]:
    """[K(epoch), …, K(epoch + seals)]."""
    start, key = _start_key(c, t, epoch)
    if epoch + seals - start > MAX_EPOCHS_AHEAD:
        raise Reject(400, "epoch too far ahead of the terminal's last upload", "malformed")
    work.spend(epoch + seals - start)
    for _ in range(epoch - start):
        key = wire.evolve_key(key)
    keys = [key]
    for _ in range(seals):
        keys.append(wire.evolve_key(keys[-1]))
    return keys


def _request_epoch(batch: wire.Batch, last: bytes, window: int, work: Work) -> int | None:
    """E whose key K(E) verifies the request MAC, E from epoch + seals up.

    The terminal signs with the one key it holds: K(epoch + seals) when the batch reaches its
    head, a later key when more sealed blocks wait than fit one batch (docs/collector.md,
    "Request key"). Nothing of another request decides where the search starts: a copy of the
    key cannot push it past the genuine device's key (docs/security.md, "Copied key").
    """
    lo = batch.epoch + batch.seals
    key = last
    per_try = mac_units(len(batch.signed)) + 1  # the MAC, and the next key
    for j in range(window):
        work.spend(per_try)
        if batch.request_mac_ok(key):
            return lo + j
        key = wire.evolve_key(key)
    return None


def _check_seals(
    t: dict[str, Any], batch: wire.Batch, keys: list[bytes]
) -> tuple[list[Block], str | None]:
    """Each block's seal under its epoch key: (blocks verified, first failure or None)."""
    slots = batch.slots
    prev = batch.prev_mac
    verified = []
    for i, (first, count, off) in enumerate(batch.blocks()):
        start = (first - batch.first_seq) * wire.SLOT
        mac = wire.seal_mac(
            keys[i], t["id"], batch.epoch + i, first, count, prev, slots[start:off]
        )
        if not hmac.compare_digest(mac, wire.seal_mac_of(slots, off)):
            return verified, f"seal MAC of the block at seq {first} does not verify"
        verified.append(Block(i, first, count, off, prev, mac))
        prev = mac
    return verified, None


def reply(
    c: Collector,
    t: dict[str, Any],
    batch: wire.Batch,
    status: int,
    acked: int,
    offer: tuple[int, int, int] | None = None,
) -> bytes:
    """The signed reply to a batch (docs/protocol.md, "Reply"): ``HDA2`` with ``offer``."""
    kc = wire.config_key(c.k0(t))
    server_time = max(0, c.now() - wire.HOST_EPOCH_OFFSET)
    return wire.encode_reply(
        kc,
        batch.request_mac,
        status,
        acked,
        server_time,
        t["config_version"],
        t["allowlist_version"],
        offer,
    )


def refused(
    c: Collector, tid: int | None, rej: Reject, batch: wire.Batch | None = None
) -> Outcome:
    """Write the rejection's alert (its own transaction) and answer it."""
    c.alert(tid, rej.alert, rej.reason)
    if rej.reply is None or rej.terminal is None or batch is None:
        return Outcome(rej.http, reason=rej.reason)
    # An authenticated batch we refuse: tell the terminal why, in a signed reply.
    answer = reply(c, rej.terminal, batch, rej.reply, rej.acked)
    return Outcome(200, answer, rej.reason, rej.reply, rej.acked)


def refuse_oversized(c: Collector, path: str) -> None:
    """A body longer than one full batch (413): only an alert; the body is never read."""
    c.alert(None, "oversized", f"{path}: body larger than {MAX_BODY} bytes")
