# dashworld: a fleet world through the collector, and the dashboard queue in the world's terms.
# SPDX-License-Identifier: MIT
"""What ``bench/dashboard.py`` and its test share: ``seed_world`` imports the residents of a
``tools.sim.fleet`` world day by day as they register and sends each terminal's day as signed
batches (``PaperTerminal`` -> ``ingest.upload``): a card on its rusun's allow-list is a TAP, any
other a DENIED record, as a terminal would store it. ``queue_claims`` maps the dashboard's
review queue back to the world's subjects for ``tools.sim.fleet.scoring.score``.
"""

from __future__ import annotations

import io
import time

from firmware import wire
from sync.service import accounts, admin, ingest
from sync.service.scope import OPERATOR
from sync.store import residents
from sync.vault import card_tokens
from tests.kit.seed import Clock
from tests.kit.wirekit import PaperTerminal
from tools.sim.fleet.cases import FIRST_COUNTS
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.population import residents_csv_rows
from tools.sim.fleet.scoring import to_units
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


def seed_world(c, clock: Clock, seed: int, days: int, first: bool = True):
    """The world of ``seed`` (``first``: the first world, docs/fleet.md) through the collector:
    (world, token_of, rusun card keys, records stored, seconds)."""
    w = (
        build(seed, days, counts=FIRST_COUNTS, conf=Confounders.none())
        if first
        else build(seed, days)
    )
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


def queue_claims(items: list[dict], c, w, token_of) -> list[dict]:
    """The dashboard's queue items as the world's claims (``tools.sim.fleet.scoring``): a unit by
    its name; a registered card's reasons as its holder's flat's (``scoring.to_units``: the
    truth expects a registered card's misuse on its flat); a card nobody registered by its UID,
    found back through its token at that rusun."""
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
    return to_units(out, {r["card_uid"]: r["unit"] for r in w.pop.registry()})
