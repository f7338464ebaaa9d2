# bench/sweep: the city-wide card sweep's cost per card and per token, and the city's arithmetic.
# SPDX-License-Identifier: MIT
"""python bench/sweep.py [--json FILE] [--cards 100000,1000000] [--sites 200] [--sqlite]

For each size: a throwaway PostgreSQL database (``--sqlite``: a SQLite file) with ``--sites``
rusun, each with its card key, and that many cards spread over them, written straight into the
store (UID hash and sealed UID as an enrolment writes them). Then ``cardsweep.run`` passes:

1. ``one``: 50 unknown tokens at one rusun (5 of them other rusun's cards): a full pass;
2. ``many``: 50 new unknown tokens at each of 20 more rusun: a full pass again (the first
   rusun's old tokens are compared with no card);
3. ``idle``: nothing new: cards read and tokens computed (both 0) and seconds;
4. ``new_cards``: 1,000 cards enrolled, then a pass: only they are read.

The two full passes give the cost of one card read (chunk query, UID opened from the vault) and
of one card token computed (AES under a rusun's key, the comparison, the store), by solving
``seconds = cards_read * a + tokens_computed * b``. The city lines apply the highest of each to
10 million cards and the sites with new unknown tokens in a night. ``false_matches``: random
tokens (a stranger's card) that equal some card's token under that rusun's key by chance
(tokens are 32 bits: expected cards / 2^32 per token and key generation). Keys:
docs/benchmarks.md, "Card sweep".
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

from sync.app import open_collector  # noqa: E402
from sync.service import cardkeys, cardsweep  # noqa: E402
from sync.settings import Settings  # noqa: E402
from sync.store import residents, unknown  # noqa: E402
from sync.vault import card_tokens  # noqa: E402
from tests.kit import pgserver  # noqa: E402

MASTER = bytes(range(32))
NOW = 1_797_000_000
CITY_CARDS = 10_000_000
_FILL = 20_000  # cards per transaction while filling


def _fill(c, sites: int, cards: int, rng: random.Random, first: int = 0) -> list[int]:
    """``sites`` rusun with keys (when ``first`` is 0) and ``cards`` cards over them; the ids of
    the rusun."""
    with c.db.write() as tx:
        if first == 0:
            for s in range(sites):
                rid = residents.insert_rusun(tx, f"Rusun-{s:04d}")
                cardkeys.new_generation(c, tx, rid, NOW)
                uid = residents.insert_unit(tx, rid, "A1")
                residents.insert_residents(tx, [(f"P{s}", "Warga", uid, rid, NOW)])
        ids = [int(r[0]) for r in tx.all("SELECT id FROM rusun ORDER BY id")]
        units = {int(r): int(u) for u, r in tx.all("SELECT id, rusun_id FROM units")}
        keys = {r: cardkeys.open_key(c, tx, r, 0) for r in ids}
    for lo in range(0, cards, _FILL):
        n = min(_FILL, cards - lo)
        rows = []
        for i in range(n):
            home = ids[(first + lo + i) % len(ids)]
            uid = b"\x04" + rng.randbytes(6)
            h = c.vault.uid_hash(uid)
            tok = card_tokens(keys[home], [uid])[0]
            rows.append((h, c.vault.seal(b"uid:" + h, uid), home, units[home],
                         f"P{ids.index(home)}", tok, None, NOW))  # fmt: skip
        with c.db.write() as tx:
            residents.insert_cards(tx, rows)
    return ids


def _note(c, rusun_id: int, rng: random.Random, n: int, hits: int) -> None:
    """``n`` unknown tokens at the rusun: ``hits`` of them other rusun's cards' tokens there."""
    with c.db.write() as tx:
        key = cardkeys.open_key(c, tx, rusun_id, 0)
        rows = tx.all(
            "SELECT uid_hash, uid_enc FROM cards WHERE rusun_id <> ? ORDER BY id LIMIT ?",
            (rusun_id, hits * 97),
        )
        uids = [c.vault.open(b"uid:" + bytes(h), bytes(e)) for h, e in rows[::97]]
        toks = set(card_tokens(key, uids)) | {rng.getrandbits(32) for _ in range(n - hits)}
        unknown.note(tx, rusun_id, toks, NOW)


def _pass(c) -> dict:
    t0 = time.perf_counter()
    counts = cardsweep.run(c)
    counts["seconds"] = round(time.perf_counter() - t0, 3)
    return counts


def measure(url: str, cards: int, sites: int) -> dict:
    rng = random.Random(cards)
    c = open_collector(Settings(db=url, master_key=MASTER, clock=lambda: NOW))
    try:
        t0 = time.perf_counter()
        ids = _fill(c, sites, cards, rng)
        fill_s = time.perf_counter() - t0
        _note(c, ids[0], rng, 50, 5)
        one = _pass(c)
        one["false_matches"] = one["matched"] - 5  # random tokens that hit a card by chance
        for rid in ids[1:21]:
            _note(c, rid, rng, 50, 5)
        many = _pass(c)
        many["false_matches"] = many["matched"] - 100
        idle = _pass(c)
        _fill(c, sites, 1000, rng, first=cards)
        new = _pass(c)
    finally:
        c.db.close()
    # seconds = cards_read * a + tokens_computed * b, from the two full passes
    r1, t1, s1 = one["cards_read"], one["tokens_computed"], one["seconds"]
    r2, t2, s2 = many["cards_read"], many["tokens_computed"], many["seconds"]
    det = r1 * t2 - r2 * t1
    a = (s1 * t2 - s2 * t1) / det if det else s1 / max(r1, 1)
    b = (r1 * s2 - r2 * s1) / det if det else 0.0
    return {
        "cards": cards, "sites": sites, "fill_s": round(fill_s, 1),
        "one": one, "many": many, "idle": idle, "new_cards": new,
        "us_per_card_read": round(a * 1e6, 2), "us_per_token": round(b * 1e6, 2),
    }  # fmt: skip


def city(results: list[dict], sites_with_new: int) -> dict:
    """A night's pass over 10 M cards when ``sites_with_new`` rusun saw new unknown tokens, at
    the highest cost per card and per token of the sizes measured (the fit is noisy on a
    loaded machine)."""
    a = max(r["us_per_card_read"] for r in results) / 1e6
    b = max(r["us_per_token"] for r in results) / 1e6
    seconds = CITY_CARDS * (a + sites_with_new * b)
    return {"city_cards": CITY_CARDS, "sites_with_new_unknowns": sites_with_new,
            "full_pass_s": round(seconds), "passes_of_300_s": -(-int(seconds) // 300)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--cards", default="100000,1000000", help="sizes, comma-separated")
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = ap.parse_args()
    sizes = [int(s) for s in args.cards.split(",")]
    results = []
    server = None
    if not args.sqlite:
        if not pgserver.available():
            sys.exit("bench/sweep: PostgreSQL's server is not installed (make setup)")
        server = pgserver.PgServer.start(in_memory=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                url = os.path.join(tmp, f"s{n}.db") if server is None else server.new_database()
                results.append(measure(url, n, args.sites))
    finally:
        if server is not None:
            server.stop()
    out = {"backend": "sqlite" if args.sqlite else "postgres", "sizes": results,
           "city": [city(results, s) for s in (1, 20, 100, 1671)],
           "loadavg": os.getloadavg()}  # fmt: skip
    print(f"{'cards':>9} {'pass':>9} {'read':>9} {'computed':>9} {'matched':>7} {'s':>8}")
    for r in results:
        for name in ("one", "many", "idle", "new_cards"):
            p = r[name]
            print(f"{r['cards']:>9} {name:>9} {p['cards_read']:>9} {p['tokens_computed']:>9}"
                  f" {p['matched']:>7} {p['seconds']:>8}")  # fmt: skip
        print(
            f"{r['cards']:>9} per card read {r['us_per_card_read']} us, per token "
            f"{r['us_per_token']} us"
        )
    for c in out["city"]:
        print(
            f"city: {c['city_cards']:,} cards, {c['sites_with_new_unknowns']} sites with new "
            f"unknown tokens: {c['full_pass_s']:,} s ({c['passes_of_300_s']} passes of 300 s)"
        )
    print(f"load average {out['loadavg'][0]:.1f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
