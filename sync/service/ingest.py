# ingest: a terminal's batch upload, verified and stored exactly once in one transaction.
# SPDX-License-Identifier: MIT
"""``upload(c, body)`` answers ``POST /v1/batches``. Order of checks (docs/collector.md, "Ingest"):

1. decode (``wire.decode_batch``): malformed → 400 with the reason;
2. - 4. terminal, request MAC, seal MACs (``sync.service.verify``);
5. the chain to the stored blocks before and after, and overlap with stored blocks: identical
   blocks are skipped (re-upload), a stored sequence with other content → reply ``tamper``;
6. new blocks and their records are stored, records dated from the boot's clock anchors
   (``sync.service.dating``), gaps recorded, the watermark moved, the health block kept — all in
   one transaction.

Any rejection rolls that transaction back (nothing stored) and writes one alert row in its own
transaction. ``Collector.after_commit`` (tests only) runs between the commit and the reply.
"""

from __future__ import annotations

from typing import Any

from firmware import wire
from sync.service.collector import Collector
from sync.service.dating import Dating, DatingState
from sync.service.verify import (
    Block,
    Outcome,
    Reject,
    Verified,
    authenticate,
    confirm,
    refused,
    reply,
)
from sync.store import alert_log, records, terminals
from sync.store.db import Tx


def upload(c: Collector, body: bytes, peer: str = "") -> Outcome:
    """Verify and store one batch from client address ``peer``; the outcome holds the signed
    reply (or the HTTP error). The cryptography runs before the write lock is taken."""
    try:
        batch = wire.decode_batch(body)
    except wire.WireError as exc:
        tid = int.from_bytes(body[4:8], "big") if body[:4] == b"HDB1" else None
        return refused(c, tid, Reject(400, str(exc), "malformed"))
    try:
        checked = authenticate(c, batch, peer)
        with c.db.write() as tx:
            v = confirm(tx, checked, batch)
            outcome = _store(c, tx, batch, v)
    except Reject as rej:
        return refused(c, batch.terminal_id, rej, batch)
    if c.after_commit is not None:
        c.after_commit()
    c.keys.remember(batch.terminal_id, v.chain_key)
    return outcome


def _store(c: Collector, tx: Tx, batch: wire.Batch, v: Verified) -> Outcome:
    t = v.terminal
    tid, gen, now = t["id"], t["gen"], c.now()
    changes: dict[str, Any] = {"last_seen": now}
    if v.request_epoch > t["req_epoch"]:
        changes["req_epoch"] = v.request_epoch
    if v.chain_key.epoch > t["key_epoch"]:
        changes["key_epoch"] = v.chain_key.epoch
        changes["key_enc"] = c.vault.seal(b"key:%d:%d" % (tid, gen), v.chain_key.key)
    stored = 0
    acked = t["acked"]
    status = wire.REPLY_OK
    if batch.count:
        new_blocks = _fresh_blocks(tx, batch, v)
        if new_blocks:
            dating = _store_blocks(tx, t, batch, new_blocks, now)
            stored = len(dating.rows)
            if dating.state.seq > t["st_seq"]:
                changes.update(dating.state.columns())
            acked = _advance(tx, tid, gen, acked)
            changes["acked"] = acked
            records.fill_gaps(tx, tid, gen, acked, now)
    high = records.high_seal(tx, tid, gen)
    if high is not None and high + 1 > acked:
        status = wire.REPLY_GAP
    terminals.update_terminal(tx, tid, changes)
    terminals.insert_health(tx, tid, now, batch.health)
    answer = reply(c, t, batch, status, acked)
    return Outcome(200, answer, status=status, acked=acked, stored=stored)


def _tamper(t: dict[str, Any], reason: str, alert: str = "tamper") -> Reject:
    return Reject(401, reason, alert, wire.REPLY_TAMPER, t)


def _fresh_blocks(tx: Tx, batch: wire.Batch, v: Verified) -> list[Block]:
    """Chain and overlap of the verified blocks with the stored ones; returns the new blocks."""
    t = v.terminal
    tid, gen = t["id"], t["gen"]
    last_seal = batch.first_seq + batch.count - 1
    # Chain to what is stored before and after this batch.
    if batch.first_seq == 0:
        if batch.epoch != 0 or batch.prev_mac != bytes(wire.MAC_LEN):
            raise _tamper(t, "chain: seq 0 must start epoch 0", "chain")
    else:
        before = records.block_sealed_at(tx, tid, gen, batch.first_seq - 1)
        if before is not None and (
            before.mac != batch.prev_mac or before.epoch + 1 != batch.epoch
        ):
            raise _tamper(
                t,
                f"chain: batch at seq {batch.first_seq} does not follow the stored seal",
                "chain",
            )
    after = records.block_starting_at(tx, tid, gen, last_seal + 1)
    if after is not None and (
        after.prev_mac != v.blocks[-1].mac or after.epoch != batch.epoch + batch.seals
    ):
        raise _tamper(
            t, f"chain: stored block at seq {last_seal + 1} does not follow this batch", "chain"
        )
    # Overlap: a stored block must be one of ours, byte for byte (same range, same MAC).
    stored = dict(v.stored)
    fresh = []
    for block in v.blocks:
        have = stored.pop(block.seal_seq, None)
        if have is None:
            fresh.append(block)
        elif not block.same_as(have):
            raise _tamper(
                t, f"seq {block.first_seq}..{block.seal_seq} already stored with other content"
            )
    if stored:
        raise _tamper(t, "batch overlaps stored blocks with other boundaries")
    return fresh


def _store_blocks(
    tx: Tx, t: dict[str, Any], batch: wire.Batch, blocks: list[Block], now: int
) -> Dating:
    """Store the new blocks and their dated records; a gap below them is recorded."""
    tid, gen = t["id"], t["gen"]
    high = records.high_seal(tx, tid, gen)
    high_end = 0 if high is None else high + 1
    first_new = blocks[0].first_seq
    expected = max(high_end, t["acked"])
    if first_new > expected:
        records.insert_gap(tx, tid, gen, expected, first_new, now)
        alert_log.add(tx, tid, "gap", f"seq {expected}..{first_new - 1} missing", now)
    dating = Dating(tx, tid, gen, DatingState.of(t), now)
    block_rows = []
    for b in blocks:
        block_rows.append(
            (tid, gen, b.seal_seq, b.first_seq, batch.epoch + b.index, b.prev_mac, b.mac, now)
        )
        dating.block(
            batch.slots, (b.first_seq - batch.first_seq) * wire.SLOT, b.first_seq, b.count
        )
    records.insert_blocks(tx, block_rows)
    records.insert_records(tx, dating.rows)
    for seq, detail in dating.jumps:
        alert_log.add(tx, tid, "clock_jump", f"seq {seq}: {detail}", now)
    return dating


def _advance(tx: Tx, tid: int, gen: int, acked: int) -> int:
    """The watermark moved over every contiguous stored block."""
    for b in records.blocks_from(tx, tid, gen, acked):
        if b.first_seq != acked:
            break
        acked = b.seal_seq + 1
    return acked
