# cardsweep: the city-wide pass that recognises cards tapped outside their district, off ingest.
# SPDX-License-Identifier: MIT
"""At ingest a token unknown at a rusun is matched against the cards of its district only
(``cardkeys.recognise``: fast and bounded); what stays unknown is noted in ``unknown_tokens``.
``run(c)`` compares those tokens with every card of the city, streamed by id in chunks
(memory: one chunk and the unknown tokens, never a card-by-site map): for each rusun with
unknown tokens, the chunk's cards' tokens under each generation of that rusun's key, and one
``card_tokens`` row per match, exactly as the district match stores it (reports join by token,
so the card's earlier taps there count too).

Incremental: a token remembers the highest card id it was compared with (``checked_upto``). A
pass streams only the cards above the lowest of those, and computes a rusun's tokens only for
cards above its own lowest: a new unknown token is compared once with every card, an old one
only with the cards enrolled since, and a stranger's card is never compared with the whole
city twice. A card erased since is not in the stream; a match found just before its erasure
is not stored (``residents.add_sightings`` skips it); the erasure deletes its rows
(``sync.store.subject.erase``), as for the district's matches.

A pass is bounded (``cards`` read, ``seconds``) and resumes where it stopped: progress is
committed chunk by chunk. One pass at a time across processes: the lease ``card_sweep``
(renewed each chunk). docs/security.md, "Card tokens"."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sync.service import retention
from sync.service.alerts import new_holder
from sync.service.cardkeys import keys_of
from sync.service.collector import Collector
from sync.store import notices, residents, unknown
from sync.vault import card_tokens

LEASE = "card_sweep"
LEASE_S = 600  # a pass holds the lease this long past its last chunk (renewed each chunk)
CHUNK = 2000  # cards per chunk: one transaction, one AES call per rusun and key generation
FLUSH = 25  # chunks between two writes of the tokens' progress (checked_upto): a resumed
# pass redoes at most this many chunks, and the writes stay few with many unknown tokens
DAY_S = 86400


def run(
    c: Collector,
    *,
    cards: int | None = None,
    seconds: float | None = None,
    holder: str | None = None,
    stop: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """One pass; returns its counts: ``busy`` 1 (another pass holds the lease: nothing done),
    ``pending`` (tokens to compare at the start), ``cards_read``, ``tokens_computed`` (card
    tokens computed: the pass's cost), ``matched``, ``forgotten`` (tokens past retention),
    ``done`` 1 when every token was compared with every card (else the next pass resumes)."""
    holder = holder or new_holder()
    counts = {"busy": 0, "pending": 0, "cards_read": 0, "tokens_computed": 0, "matched": 0,
              "forgotten": 0, "done": 0}  # fmt: skip
    deadline = None if seconds is None else time.monotonic() + seconds
    keep_s = retention.days(c)["records"] * DAY_S
    now = c.now()
    with c.db.write() as tx:
        if not notices.take_lease(tx, LEASE, holder, now, now + LEASE_S):
            counts["busy"] = 1
            return counts
        unknown.seed_once(tx, now)  # taps stored before the sweep existed
        counts["forgotten"] = unknown.forget_before(tx, now - keep_s)
        unknown.forget_known(tx)
        upto = unknown.last_card(tx)
        rows = unknown.pending(tx, upto)
        keys = {r: keys_of(c, tx, r) for r in sorted({row[1] for row in rows})}
    try:
        counts["pending"] = len(rows)
        _sweep(c, rows, keys, upto, counts, holder, lambda: _over(counts, cards, deadline, stop))
    finally:
        with c.db.write() as tx:
            notices.drop_lease(tx, LEASE, holder)
    return counts


def _over(counts: dict[str, int], cards: int | None, deadline: float | None, stop) -> bool:
    return (
        (cards is not None and counts["cards_read"] >= cards)
        or (deadline is not None and time.monotonic() >= deadline)
        or stop()
    )


def _sweep(
    c: Collector,
    rows: list[tuple[int, int, int, int]],
    keys: dict[int, dict[int, bytes]],
    upto: int,
    counts: dict[str, int],
    holder: str,
    over: Callable[[], bool],
) -> None:
    # {rusun: {token: (row id, checked_upto)}}, and per rusun the lowest checked_upto
    tokens: dict[int, dict[int, tuple[int, int]]] = {}
    for rid, rusun, tok, upto_card in rows:
        tokens.setdefault(rusun, {})[tok] = (rid, upto_card)
    low = {r: min(u for _i, u in toks.values()) for r, toks in tokens.items()}
    after = min(low.values(), default=upto)
    chunks, stopping = 0, over()
    while after < upto and not stopping:
        with c.db.read() as tx:
            chunk = unknown.cards_after(tx, after, upto, CHUNK)
        last = chunk[-1][0] if chunk else upto
        found = _match(c, chunk, tokens, low, keys, counts)
        chunks += 1
        counts["cards_read"] += len(chunk)
        stopping = over()
        now = c.now()
        with c.db.write() as tx:
            if not notices.take_lease(tx, LEASE, holder, now, now + LEASE_S):
                return  # expired and taken by another pass: it carries on from the same state
            residents.add_sightings(tx, [(r, g, t, cid) for r, g, t, cid, _i in found])
            unknown.matched(tx, sorted({rid for *_x, rid in found}))
            for r, _g, t, _cid, _rid in found:
                tokens[r].pop(t, None)
            if last >= upto or chunks % FLUSH == 0 or stopping:  # progress, now and then
                ids = sorted(i for toks in tokens.values() for i, _u in toks.values())
                unknown.checked(tx, ids, last)
        counts["matched"] += len(found)
        after = last
    counts["done"] = int(after >= upto)


def _match(
    c: Collector,
    chunk: list[tuple[int, int, bytes, bytes]],
    tokens: dict[int, dict[int, tuple[int, int]]],
    low: dict[int, int],
    keys: dict[int, dict[int, bytes]],
    counts: dict[str, int],
) -> list[tuple[int, int, int, int, int]]:
    """(rusun, gen, token, card id, unknown row id) of the chunk's cards whose token under a
    rusun's key is one of the tokens unknown there that was not compared with that card yet."""
    if not chunk:
        return []
    uids = [c.vault.open(b"uid:" + h, enc) for _cid, _home, h, enc in chunk]
    found = []
    for rusun, toks in tokens.items():
        # not the rusun's own cards (their tokens are stored), nor cards a token was compared with
        pick = [
            i for i, (cid, home, _h, _e) in enumerate(chunk) if home != rusun and cid > low[rusun]
        ]
        if not pick or not toks:
            continue
        some = [uids[i] for i in pick]
        for gen, key in sorted(keys[rusun].items()):
            counts["tokens_computed"] += len(some)
            for i, tok in zip(pick, card_tokens(key, some)):
                hit = toks.get(tok)
                if hit is not None and chunk[i][0] > hit[1]:
                    found.append((rusun, gen, tok, chunk[i][0], hit[0]))
    return found
