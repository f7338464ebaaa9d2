# dashboard: page times and review-queue quality on a full fleet world stored by the collector.
# SPDX-License-Identifier: MIT
"""The 2017 deployment (23 rusun, 32 terminals, 13,731 residents, 7 days) through the collector,
then every dashboard page timed and the review queue scored against the planted cases.

    .venv/bin/python -m bench.dashboard --json dashboard.json [--seed 1] [--repeat 3]

Residents are imported day by day as they register (``import_residents``), each terminal sends
one signed batch per day (``tests/kit/wirekit.PaperTerminal`` → ``ingest.upload``): a card on its
rusun's allow-list is a TAP, any other a DENIED record, as a terminal would store it. Pages are
fetched in-process (Starlette's TestClient) as an admin; each figure is the median of
``--repeat`` fetches. The queue the dashboard shows (period = the 7 days) is scored with
``tools.sim.fleet.scoring.score``: a unit by its name, a card by its UID (found back through the
registry, or for an unregistered card through its token at that rusun). The 30-day exports are
the largest the dashboard allows: one row per registered resident and day of the window (the
days before the world's first are rows without taps).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import tempfile
import time

from fastapi.testclient import TestClient

from firmware import wire
from sync.app import create_app
from sync.service import accounts, admin, dashboard, ingest
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import residents
from sync.vault import card_tokens
from tests.kit.seed import Clock
from tests.kit.wirekit import PaperTerminal
from tools.sim.fleet.population import residents_csv_rows
from tools.sim.fleet.scoring import score
from tools.sim.fleet.world import build

DAY = 86400
PASSWORD = "bench-password-1"


def _csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    buf.write("resident_id,name,unit,rusun,card_uid\n")
    for r in rows:
        buf.write(f"{r['resident_id']},{r['name']},{r['unit']},{r['rusun']},{r['card_uid']}\n")
    return buf.getvalue()


def _send_day(c, term: PaperTerminal, taps: list, d0: int, day: int) -> int:
    """One terminal's day: boot, NTP anchor, taps (hourly heartbeats), batches of ≤ 3,000 slots."""
    t = d0
    term.boot(door=1)
    term.clock(t - wire.HOST_EPOCH_OFFSET, wire.CLOCK_NTP, advance_ms=500)
    slots = 2
    sent = 0
    for when, token, flags, kind in taps:
        while when - t > 3600:
            t += 3600
            term.event(wire.HEARTBEAT, 0, 0, advance_ms=3600 * 1000)
            slots += 1
        ms = max(1, when - t) * 1000
        if kind == wire.TAP:
            term.tap(token.to_bytes(4, "big"), flags, advance_ms=ms)
        else:
            term.event(wire.DENIED, flags, token, advance_ms=ms)
        t = when
        slots += 1
        if slots >= 3000:
            sent += _ingest(c, term, day)
            slots = 0
    return sent + _ingest(c, term, day)


def _ingest(c, term: PaperTerminal, day: int) -> int:
    health = {"firmware_version": 1, "storage_per_mille": 100 + 10 * day,
              "clock_quality": wire.CLOCK_NTP, "boot_counter": day + 1}  # fmt: skip
    out = ingest.upload(c, term.batch(health))
    assert out.http == 200 and out.status == wire.REPLY_OK, (out.http, out.reason)
    return out.stored


def seed_world(c, clock: Clock, seed: int, days: int):
    w = build(seed, days)
    bundles = {}
    clock.t = w.start - DAY
    # Rusun and their keys first (the import would create them too, terminal by terminal here).
    for t in w.pop.terminals:
        door = int(str(t.door).rsplit("-", 1)[-1])
        bundles[t.terminal_id] = admin.add_terminal(
            c, t.rusun, door, tid=t.terminal_id, scope=OPERATOR
        )
    keys = {b["rusun"]: bytes.fromhex(b["card_key"]) for b in bundles.values()}
    accounts.add_user(c, "admin", PASSWORD, "admin", [])
    terms = {tid: PaperTerminal(tid, bytes.fromhex(b["k0"])) for tid, b in bundles.items()}
    by_day: dict[int, dict[int, list]] = {}
    uids = sorted({t.card for t in w.taps})
    token_of: dict[tuple[str, str], int] = {}
    for rusun, key in keys.items():
        for uid, tok in zip(uids, card_tokens(key, [bytes.fromhex(u) for u in uids])):
            token_of[(rusun, uid)] = tok
    for tap in w.taps:
        kind = wire.TAP if tap.flags & wire.CARD_ENROLLED else wire.DENIED
        day = (tap.t - w.start) // DAY
        row = (tap.t, token_of[(tap.rusun, tap.card)], tap.flags, kind)
        by_day.setdefault(day, {}).setdefault(tap.terminal, []).append(row)
    imported = set()
    stored = 0
    t0 = time.perf_counter()
    for day in range(days):
        d0 = w.start + day * DAY
        clock.t = d0
        rows = [r for r in residents_csv_rows(w.pop, day) if r["resident_id"] not in imported]
        imported.update(r["resident_id"] for r in rows)
        report = admin.import_residents(c, io.StringIO(_csv(rows)), scope=OPERATOR)
        assert not report.refused, report.refused[:3]
        clock.t = d0 + DAY - 1
        for tid, term in terms.items():
            stored += _send_day(c, term, sorted(by_day.get(day, {}).get(tid, [])), d0, day)
    seconds = time.perf_counter() - t0
    return w, token_of, keys, stored, seconds


def _claims(items: list[dict], c, w, token_of) -> list[dict]:
    with c.db.read() as tx:
        reg = residents.registry_cards(tx, None)
        rusun = {r.id: r.name for r in residents.rusun_all(tx)}
    uid_of_res = {r.resident_id: r.card.uid_hex for r in w.pop.residents.values()}
    uid_of_card = {str(r.card_id): uid_of_res[r.resident_id] for r in reg if r.card_id is not None}
    by_token = {(ru, tok): uid for (ru, uid), tok in token_of.items()}
    out = []
    for it in items:
        if it["kind"] == "unit":
            out.append({"unit": it["subject"], "reasons": it["reasons"]})
        elif it["key"] in uid_of_card:
            out.append({"card": uid_of_card[it["key"]], "reasons": it["reasons"]})
        else:
            rid, tok = it["key"].split(":")
            uid = by_token.get((rusun[int(rid)], int(tok, 16)), it["key"])
            out.append({"card": uid, "reasons": it["reasons"]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(0)
        app = create_app(Settings(os.path.join(tmp, "hadir.db"), bytes(range(32)), clock=clock))
        c = app.state.collector
        w, token_of, _keys, stored, seed_s = seed_world(c, clock, args.seed, args.days)
        now = w.start + args.days * DAY - 1
        clock.t = now
        t0 = time.perf_counter()
        items, _params, _period = dashboard.review_queue(c, now, None, days=args.days)
        queue_s = time.perf_counter() - t0
        result = score(_claims(items, c, w, token_of), w.truth)
        client = TestClient(app)
        resp = client.get("/dashboard/login")
        csrf = resp.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        login = {"csrf": csrf, "username": "admin", "password": PASSWORD, "next": "/dashboard/"}
        client.post("/dashboard/login", data=login)
        page = client.get("/dashboard/exports").text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        resident = next(iter(w.pop.residents.values())).resident_id
        pages = [
            ("overview", "GET", "/dashboard/", None),
            ("rusun Marunda", "GET", "/dashboard/rusun/Marunda", None),
            ("review queue", "GET", "/dashboard/review", None),
            ("resident", "GET", f"/dashboard/resident/{resident}", None),
            ("terminals", "GET", "/dashboard/terminals", None),
            ("presence CSV, 7 days", "POST", "/dashboard/exports/presence",
             {"csrf": csrf, "format": "csv", "days": "7"}),
            ("presence XLSX, 7 days", "POST", "/dashboard/exports/presence",
             {"csrf": csrf, "format": "xlsx", "days": "7"}),
            ("presence CSV, 30 days", "POST", "/dashboard/exports/presence",
             {"csrf": csrf, "format": "csv", "days": "30"}),
            ("presence XLSX, 30 days", "POST", "/dashboard/exports/presence",
             {"csrf": csrf, "format": "xlsx", "days": "30"}),
            ("review XLSX", "POST", "/dashboard/exports/review", {"csrf": csrf, "format": "xlsx"}),
        ]  # fmt: skip
        timings = []
        for name, method, url, form in pages:
            runs, size = [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                r = client.request(method, url, data=form)
                runs.append(time.perf_counter() - t0)
                assert r.status_code == 200, (url, r.status_code)
                size = len(r.content)
            timings.append(
                {"page": name, "ms": round(statistics.median(runs) * 1000), "bytes": size}
            )
        c.db.close()
    figures = {
        "seed": args.seed,
        "days": args.days,
        "residents": len(w.pop.residents),
        "taps": len(w.taps),
        "records_stored": stored,
        "seed_seconds": round(seed_s, 1),
        "review_queue_seconds": round(queue_s, 2),
        "queue_items": len(items),
        "score": result,
        "pages": timings,
    }
    print(f"seed {args.seed}, {args.days} days: {len(w.taps):,} taps, {stored:,} records stored "
          f"in {seed_s:.1f} s; review queue {queue_s:.2f} s, {len(items)} items")  # fmt: skip
    o = result["overall"]
    print(
        f"review queue vs planted cases: precision {o['precision']:.3f}, recall {o['recall']:.3f}"
    )
    for reason, r in sorted(result["by_reason"].items()):
        print(f"  {reason:20s} precision {r['precision']}  recall {r['recall']}")
    print(f"{'page':24s} {'ms':>7s} {'bytes':>10s}")
    for t in timings:
        print(f"{t['page']:24s} {t['ms']:7d} {t['bytes']:10,d}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1)


if __name__ == "__main__":
    main()
