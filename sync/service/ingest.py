# ingest: a terminal's batch upload, verified and stored exactly once in one transaction.
# SPDX-License-Identifier: MIT
"""``upload(c, body)`` answers ``POST /v1/batches``. Order of checks (docs/collector.md, "Ingest"):

1. decode (``wire.decode_batch``): malformed → 400 with the reason;
2. - 4. terminal, look-ahead, request MAC, seal MACs, replays (``sync.service.verify``);
5. where the blocks go: blocks that continue the stored chain (or start it, or lie above a gap in
   it) and agree with every stored block they meet go to the chain; blocks that conflict with it
   (another content at a stored sequence number, or a chain that does not link) are a copy of
   the key at work: they are kept as evidence (``fork_blocks``), every record of the terminal
   from the conflict on is held back from reports, and the reply is ``tamper`` — but it still
   acknowledges what was kept, so neither device's backlog is stuck (docs/security.md);
6. new blocks and their records are stored, records dated from the boot's clock anchors and
   judged (``sync.service.dating``), gaps recorded, the watermark moved — all in one transaction.
   Only a request never seen before counts as a sign of life (last seen, health snapshot).

Any rejection rolls that transaction back (nothing stored) and writes one alert row in its own
transaction. With a journal (``sync.service.journal``), a batch that stores anything is
appended to it before the commit. ``Collector.before_commit`` and ``after_commit`` (tests only)
run inside the batch's transaction once it is written, and between the commit and the reply.
"""

from __future__ import annotations

from typing import Any

from firmware import wire
from sync.service import cardkeys, downlink
from sync.service import dating as dt
from sync.service.collector import Collector
from sync.service.dating import Dating, DatingState
from sync.service.verify import (
    Outcome,
    Reject,
    Verified,
    authenticate,
    confirm,
    proven,
    refused,
    reply,
)
from sync.store import alert_log, records, terminals
from sync.store.db import Tx

# Request MACs remembered per terminal at its newest request epoch (a replay of one is no sign
# of life): more than a terminal sends between two seals.
_RECENT_MACS = 64


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
            if c.journal is not None and (outcome.stored or outcome.status == wire.REPLY_TAMPER):
                c.journal.append(c.now(), body)  # synced before the commit and the reply
            if c.before_commit is not None:
                c.before_commit()
    except Reject as rej:
        return refused(c, batch.terminal_id, rej, batch)
    if c.after_commit is not None:
        c.after_commit()
    c.keys.remember(batch.terminal_id, v.chain_key)
    return outcome


def _store(c: Collector, tx: Tx, batch: wire.Batch, v: Verified) -> Outcome:
    t = v.terminal
    tid, gen, now = t["id"], t["gen"], c.now()
    changes: dict[str, Any] = {}
    if batch.count:
        stored, acked, fork_seq = _blocks(c, tx, batch, v, changes, now)
    else:  # a status request
        stored, acked, fork_seq = 0, proven(tx, t, batch), t["fork_seq"]
    if _fresh(t, v, batch, changes, stored):
        changes["last_seen"] = now
        terminals.insert_health(tx, tid, now, batch.health)
    if changes:
        terminals.update_terminal(tx, tid, changes)
    high = records.high_seal(tx, tid, gen)
    status = wire.REPLY_OK
    if fork_seq is not None:
        status = wire.REPLY_TAMPER
    elif high is not None and high + 1 > changes.get("acked", t["acked"]):
        status = wire.REPLY_GAP
    offer = downlink.offer(c, tx, t, batch.health)
    answer = reply(c, t, batch, status, acked, offer)
    return Outcome(200, answer, status=status, acked=acked, stored=stored)


def _blocks(
    c: Collector, tx: Tx, batch: wire.Batch, v: Verified, changes: dict[str, Any], now: int
) -> tuple[int, int, int | None]:
    """Store a batch's blocks where they belong: (records stored, what the reply acknowledges,
    where a conflicting chain starts or None)."""
    t = v.terminal
    tid, gen, fork_seq = t["id"], t["gen"], t["fork_seq"]
    end = batch.first_seq + batch.count
    if all(v.duplicate(b) for b in v.blocks) and _stale(tx, t, batch, v):
        # Stored, and continued since with a newer key than the one it is signed with: an old
        # request played again (or a device behind a copy of its key, after a power cut).
        # Answered all the same, so no device is held up by it; nothing changes. Replays cost
        # the sender nothing: their alert rows are limited like refusals'.
        row = c.alert_limit.admit(tid, "replay", "replayed request: signed with an older key "
                                  "than its chain has reached since; nothing stored",
                                  now)  # fmt: skip
        if row is not None:
            alert_log.add(tx, tid, row[0], row[1], now)
    conflict = _conflict(tx, batch, v)
    if conflict is None:
        stored = _to_chain(c, tx, t, batch, v, changes, now)
        # The linked chain, but never past this batch: what follows it may be another device's
        # (a copy that forked later), and this device would reclaim its own.
        acked = min(changes.get("acked", t["acked"]), end)
    else:
        stored = 0
        at = _to_evidence(tx, t, batch, v, conflict, now)
        fork_seq = at if fork_seq is None else min(fork_seq, at)
        # Kept as evidence: acknowledged (its device is not stuck) when it links to what is
        # stored, so the device loses nothing by reclaiming it.
        linked = batch.first_seq == 0 or records.sealed_with(
            tx, tid, gen, batch.first_seq - 1, batch.prev_mac
        )
        acked = end if linked else min(t["acked"], batch.first_seq)
    if fork_seq is not None and fork_seq != t["fork_seq"]:
        changes["fork_seq"] = fork_seq
        records.hold_from(tx, tid, gen, fork_seq, dt.HELD_FORK)
    return stored, acked, fork_seq


def _fresh(
    t: dict[str, Any], v: Verified, batch: wire.Batch, changes: dict[str, Any], stored: int
) -> bool:
    """Whether this request is one never seen before (new blocks, or a request MAC not yet seen
    at the newest request epoch); remembers its MAC. A replay of any earlier request is not."""
    mac = batch.request_mac
    seen = bytes(t["req_macs"] or b"")
    macs = [seen[i : i + wire.REQUEST_MAC_LEN] for i in range(0, len(seen), wire.REQUEST_MAC_LEN)]
    if v.request_epoch > t["req_epoch"]:
        changes["req_epoch"] = v.request_epoch
        changes["req_macs"] = mac
        return True
    if v.request_epoch == t["req_epoch"] and mac not in macs and len(macs) < _RECENT_MACS:
        changes["req_macs"] = seen + mac
        return True
    return stored > 0


def _stale(tx: Tx, t: dict[str, Any], batch: wire.Batch, v: Verified) -> bool:
    """Whether a request whose blocks are all stored is signed with a key older than the one
    the stored blocks continuing its chain were made with (its device has moved on since)."""
    last = batch.first_seq + batch.count - 1
    if last < t["acked"]:  # in the linked chain: its newest key is known
        return v.request_epoch < t["key_epoch"]
    seq, prev, reached = last + 1, v.blocks[-1].mac, batch.epoch + batch.seals
    for _ in range(64):  # above a gap or kept as evidence: follow what continues it
        after = records.continuation(tx, t["id"], t["gen"], seq, prev)
        if after is None:
            break
        seq, prev, reached = after.seal_seq + 1, after.mac, after.epoch + 1
    return v.request_epoch < reached


def _conflict(tx: Tx, batch: wire.Batch, v: Verified) -> str | None:
    """Why the batch cannot join the stored chain ("chain" or "tamper"), or None when it can:
    it links below (or starts the log, or lies above a gap), meets only identical stored blocks,
    and the stored block right after it (if any) links to it."""
    t = v.terminal
    tid, gen = t["id"], t["gen"]
    last_seal = batch.first_seq + batch.count - 1
    if batch.first_seq == 0:
        if batch.epoch != 0 or batch.prev_mac != bytes(wire.MAC_LEN):
            raise Reject(401, "chain: seq 0 must start epoch 0", "chain", wire.REPLY_TAMPER, t)
    else:
        before = records.block_sealed_at(tx, tid, gen, batch.first_seq - 1)
        if before is None:
            if records.sealed_with(tx, tid, gen, batch.first_seq - 1, batch.prev_mac):
                return "chain"  # it continues a conflicting chain kept as evidence
        elif before.mac != batch.prev_mac or before.epoch + 1 != batch.epoch:
            return "chain"
    after = records.block_starting_at(tx, tid, gen, last_seal + 1)
    if after is not None and (
        after.prev_mac != v.blocks[-1].mac or after.epoch != batch.epoch + batch.seals
    ):
        return "chain"
    stored = dict(v.stored)
    for block in v.blocks:
        have = stored.pop(block.seal_seq, None)
        if have is not None and not block.same_as(have):
            return "tamper"
    return "tamper" if stored else None


def _to_evidence(
    tx: Tx, t: dict[str, Any], batch: wire.Batch, v: Verified, why: str, now: int
) -> int:
    """Keep the blocks of a conflicting chain not kept yet; returns the first sequence number the
    conflict concerns (every record of the terminal from there on is held)."""
    tid, gen = t["id"], t["gen"]
    new = [b for b in v.blocks if not v.duplicate(b)]
    rows = []
    for b in new:
        start = (b.first_seq - batch.first_seq) * wire.SLOT
        slots = batch.slots[start : b.seal_off + wire.SLOT]
        rows.append((tid, gen, b.seal_seq, b.first_seq, batch.epoch + b.index, b.prev_mac, b.mac,
                     slots, now))  # fmt: skip
    records.insert_fork_blocks(tx, rows)
    first = new[0].first_seq if new else batch.first_seq
    if new:
        alert_log.add(
            tx, tid, why,
            f"seq {first}..{new[-1].seal_seq}: a conflicting copy of this terminal's chain, "
            f"kept as evidence; its records from seq {first} on are held (rotate its key)",
            now,
        )  # fmt: skip
    return first


def _to_chain(
    c: Collector,
    tx: Tx,
    t: dict[str, Any],
    batch: wire.Batch,
    v: Verified,
    changes: dict[str, Any],
    now: int,
) -> int:
    """Store the batch's new blocks in the chain and their dated, judged records; move the
    watermark (releasing the records it now links); returns how many records were stored."""
    tid, gen = t["id"], t["gen"]
    new = [b for b in v.blocks if not v.duplicate(b)]
    if not new:
        return 0
    high = records.high_seal(tx, tid, gen)
    expected = max(0 if high is None else high + 1, t["acked"])
    if new[0].first_seq > expected:
        records.insert_gap(tx, tid, gen, expected, new[0].first_seq, now)
        alert_log.add(tx, tid, "gap", f"seq {expected}..{new[0].first_seq - 1} missing", now)
    runs: list[Dating] = []
    block_rows = []
    for b in new:
        if not runs or b.first_seq != block_rows[-1][2] + 1:  # not right after the block before
            runs.append(Dating(tx, tid, gen, _state_before(tx, tid, gen, b.first_seq), now))
        dating = runs[-1]
        dating.block(batch.slots, (b.first_seq - batch.first_seq) * wire.SLOT, b.first_seq,
                     b.count)  # fmt: skip
        block_rows.append([tid, gen, b.seal_seq, b.first_seq, batch.epoch + b.index, b.prev_mac,
                           b.mac, now, dating.state.to_json()])  # fmt: skip
    records.insert_blocks(tx, block_rows)
    acked = _advance(tx, tid, gen, t["acked"])
    chain_bits: dict[int, int] = {}
    rows = [row for d in runs for row in d.rows]
    for row in rows:
        seq = row[2]
        bits = dt.HELD_DETACHED if seq >= acked else 0
        if t["fork_seq"] is not None and seq >= t["fork_seq"]:
            bits |= dt.HELD_FORK
        if bits:
            chain_bits[seq] = bits
    dt.finish(rows, chain_bits)
    records.insert_records(tx, rows)
    cards = {
        int(r[5]) for r in rows if r[3] in (wire.TAP, wire.DENIED) and r[4] < wire.CARD_RANDOM_UID
    }
    if cards:  # a card of another rusun tapped here: matched once, then known (cardkeys)
        cardkeys.recognise(c, tx, t["rusun_id"], cards)
    if acked > t["acked"]:
        changes["acked"] = acked
        records.fill_gaps(tx, tid, gen, acked, now)
        records.release(tx, tid, gen, t["acked"], acked, dt.HELD_DETACHED)
    if batch.first_seq + batch.count <= acked and v.chain_key.epoch > t["key_epoch"]:
        changes["key_epoch"] = v.chain_key.epoch  # the newest key of the linked chain
        changes["key_enc"] = c.vault.seal(b"key:%d:%d" % (tid, gen), v.chain_key.key)
    for d in runs:
        for seq, detail in d.jumps:
            alert_log.add(tx, tid, "clock_jump", f"seq {seq}: {detail}", now)
    held = {}
    for d in runs:
        for bit, n in d.held.items():
            held[bit] = held.get(bit, 0) + n
    if held:
        alert_log.add(tx, tid, "dates_held", f"records held back: {dt.explain(held)}", now)
    return len(rows)


def _state_before(tx: Tx, tid: int, gen: int, first: int) -> DatingState:
    """The dating state a block at ``first`` continues from: the stored block before it, else
    (above a gap) only the newest date of the chain below, else nothing."""
    if first == 0:
        return DatingState()
    stored, text = records.block_dating(tx, tid, gen, first - 1)
    if stored:
        return DatingState.from_json(text)
    return DatingState.from_json(records.dating_below(tx, tid, gen, first)).floor()


def _advance(tx: Tx, tid: int, gen: int, acked: int) -> int:
    """The watermark moved over every contiguous stored block."""
    for b in records.blocks_from(tx, tid, gen, acked):
        if b.first_seq != acked:
            break
        acked = b.seal_seq + 1
    return acked
