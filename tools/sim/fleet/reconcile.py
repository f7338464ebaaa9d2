# reconcile: taps the world generated against records the collector stored; detection scoring.
# SPDX-License-Identifier: MIT
"""Pure functions over plain data.

``tokens_by_rusun(world, card_keys)`` maps every card the world knows (residents, strangers,
visitors, phones) to its token per rusun, so stored records can be named by UID again (the
collector can only do that for registered cards; the harness knows the whole world).

``reconcile(presented, stored, tokens)``: every tap the terminals answered with a beep must be
in the collector exactly once, checked two ways:

- by (terminal, seq): no stored (terminal, seq) twice, and ``seq_gaps`` counts sequence numbers
  below each terminal's highest that are neither a stored record nor a stored seal;
- by content: per (terminal, token) the stored tap times pair one to one with the presented
  taps' times (sorted, each pair within ``tol_s``); ``lost`` and ``duplicates`` count the
  difference, ``late`` pairs further apart than ``tol_s``. A record the collector could not
  date (a boot that never learned the time before the next power cut) counts as stored once
  for any presented tap of its card left over, and is counted in ``undated``.

``detector_records(stored, tokens, rusun_of)`` turns stored records into the detector's record
dicts (``tools.sim.fleet.registry_queue.review_queue``, ``tools.sim.fleet.snapshots``).
"""

from __future__ import annotations

from collections import Counter

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from firmware import wire

TAP_KINDS = (wire.TAP, wire.DENIED)


def token_of(card_key: bytes, uid: bytes) -> int:
    enc = Cipher(algorithms.AES(card_key), modes.ECB()).encryptor()
    out = enc.update(wire.identity16(uid)) + enc.finalize()
    return int.from_bytes(out[:4], "big")


def tokens_by_rusun(world, card_keys: dict[str, bytes]) -> dict[str, dict[int, str]]:
    """{rusun: {token: uid_hex}} for every card that taps anywhere, plus every registered card."""
    uids = {t.card for t in world.taps} | {r.card.uid_hex for r in world.pop.residents.values()}
    out: dict[str, dict[int, str]] = {}
    for rusun, key in card_keys.items():
        enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        table = {}
        for uid in uids:
            tok = enc.update(wire.identity16(bytes.fromhex(uid)))[:4]
            table[int.from_bytes(tok, "big")] = uid
        enc.finalize()
        out[rusun] = table
    return out


def _pairs(want: list[int], got: list, tol_s: int) -> tuple[int, int, int]:
    """(matched, late, |difference|): stored times pair with presented times within tol_s in
    order; an undated record (None) pairs with any presented tap left over."""
    undated = sum(1 for g in got if g is None)
    want, got = sorted(want), sorted(g for g in got if g is not None)
    i = j = matched = late = 0
    while i < len(want) and j < len(got):
        d = got[j] - want[i]
        if abs(d) <= tol_s:
            matched += 1
            i += 1
            j += 1
        elif d < 0:
            j += 1
        else:
            i += 1
    if matched < min(len(want), len(got)):
        late = min(len(want), len(got)) - matched
    left = len(want) - matched - late
    matched += min(undated, max(0, left))
    return matched, late, abs(len(want) - len(got) - undated)


def reconcile(
    presented: list,
    stored: list[dict],
    tokens: dict[str, dict[int, str]],
    rusun_of: dict[int, str],
    seals: dict[int, list[int]] | None = None,
    tol_s: int = 3,
) -> dict:
    """``presented``: engine.Presented items; ``stored``: the collector's records as dicts
    {terminal_id, seq, kind, flags, payload, wall_time (Unix s or None), time_derived}."""
    rev = {r: {u: t for t, u in table.items()} for r, table in tokens.items()}
    outcomes = Counter(p.outcome for p in presented)
    want: dict[tuple[int, int], list[int]] = {}
    want_flags: Counter = Counter()
    for p in presented:
        if p.outcome != "stored":
            continue
        tok = rev[rusun_of[p.tap.terminal]][p.tap.card]
        want.setdefault((p.tap.terminal, tok), []).append(p.at_ms // 1000)
        want_flags[(p.tap.terminal, tok, p.tap.flags)] += 1
    keys = Counter((r["terminal_id"], r["seq"]) for r in stored)
    dup_seq = sum(n - 1 for n in keys.values() if n > 1)
    seqs: dict[int, set[int]] = {}
    for tid, seq in keys:
        seqs.setdefault(tid, set()).add(seq)
    for tid, ss in (seals or {}).items():
        seqs.setdefault(tid, set()).update(ss)
    gaps = sum(max(s) + 1 - len(s) for s in seqs.values() if s)
    got: dict[tuple[int, int], list[int]] = {}
    undated = 0
    derived = 0
    got_flags: Counter = Counter()
    taps = [r for r in stored if r["kind"] in TAP_KINDS]
    for r in taps:
        t = r.get("wall_time")
        undated += t is None
        derived += bool(r.get("time_derived"))
        got.setdefault((r["terminal_id"], r["payload"]), []).append(t)
        got_flags[(r["terminal_id"], r["payload"], r["flags"])] += 1
    matched = late = lost = dups = 0
    for key in set(want) | set(got):
        w, g = want.get(key, []), got.get(key, [])
        m, lt, diff = _pairs(w, g, tol_s)
        matched += m
        late += lt
        if len(w) > len(g):
            lost += diff
        else:
            dups += diff
    flag_diff = sum((want_flags - got_flags).values())
    return {
        "generated": len(presented),
        "outcomes": dict(outcomes),
        "answered_stored": outcomes.get("stored", 0),
        "stored_tap_records": len(taps),
        "stored_records": len(stored),
        "matched": matched,
        "late": late,
        "lost": lost,
        "duplicates": dups,
        "duplicate_seq": dup_seq,
        "seq_gaps": gaps,
        "undated": undated,
        "time_derived": derived,
        "flags_differ": flag_diff,
    }


def detector_records(
    stored: list[dict], tokens: dict[str, dict[int, str]], rusun_of: dict[int, str]
) -> list[dict]:
    out = []
    for r in stored:
        if r["kind"] not in TAP_KINDS or r.get("wall_time") is None:
            continue
        rusun = rusun_of[r["terminal_id"]]
        card = tokens[rusun].get(r["payload"], "T%08X" % r["payload"])
        out.append(
            {
                "time": int(r["wall_time"]),
                "rusun": rusun,
                "terminal": r["terminal_id"],
                "card": card,
                "flags": r["flags"],
            }
        )
    return out
