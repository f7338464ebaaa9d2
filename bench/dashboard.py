# dashboard: page times and review-queue quality on a full fleet world stored by the collector.
# SPDX-License-Identifier: MIT
"""The 2017 deployment (23 rusun, 32 terminals, 13,731 residents, 7 days) through the collector,
then every dashboard page timed and the review queue scored against the planted cases.

    .venv/bin/python -m bench.dashboard --json dashboard.json [--seed 1] [--repeat 3] [--honest]

The world is the first world (docs/fleet.md: no confounder, no handed-over card), the one the
reference detector's figures are on; ``--honest`` takes the honest world, whose handed-over
cards a 7-day window cannot find (a change in a flat's pattern needs 42 days). Residents are
imported day by day as they register (``import_residents``), each terminal sends one signed
batch per day (``tests/kit/dashworld.seed_world``): a card on its rusun's allow-list is a TAP,
any other a DENIED record, as a terminal would store it. Pages are
fetched in-process (Starlette's TestClient) as an admin; each figure is the median of
``--repeat`` fetches. The queue the dashboard shows (period = the 7 days) is scored with
``tools.sim.fleet.scoring.score`` (``tests/kit/dashworld.queue_claims``): a unit by its name, a
registered card's reasons as its holder's flat's (as the truth expects them), a card nobody
registered by its UID (found back through its token at that rusun). The 30-day exports are
the largest the dashboard allows: one row per registered resident and day of the window (the
days before the world's first are rows without taps).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

from fastapi.testclient import TestClient

from sync.app import create_app
from sync.service import dashboard
from sync.settings import Settings
from tests.kit.dashworld import PASSWORD, queue_claims, seed_world
from tests.kit.seed import Clock
from tools.sim.fleet.scoring import score

DAY = 86400


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--honest", action="store_true", help="the honest world, not the first")
    ap.add_argument("--json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = Clock(0)
        app = create_app(Settings(os.path.join(tmp, "hadir.db"), bytes(range(32)), clock=clock))
        c = app.state.collector
        w, token_of, _keys, stored, seed_s = seed_world(
            c, clock, args.seed, args.days, first=not args.honest
        )
        now = w.start + args.days * DAY - 1
        clock.t = now
        t0 = time.perf_counter()
        items, _params, _period = dashboard.review_queue(c, now, None, days=args.days)
        queue_s = time.perf_counter() - t0
        result = score(queue_claims(items, c, w, token_of), w.truth)
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
        "world": "honest" if args.honest else "first",
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
