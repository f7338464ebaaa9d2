# run: one whole simulated deployment: world, faults, collector, terminals, reconciliation, scores.
# SPDX-License-Identifier: MIT
"""``simulate(Scale(...)) -> dict`` builds the world, starts the real collector, runs every
terminal through the week with faults, drains, reads back what the collector stored and returns
all figures (``summary(figures)`` prints them). Used by ``python -m tools.sim.fleet``,
``bench/fleet.py`` and the tests.

Detection quality: the review is the collector's detector (``sync.review.detect``) run on
per-rusun snapshots of the office's register and the records *the collector stored* (named
back by UID through the world's cards, since only the harness knows strangers' UIDs:
``tools/sim/fleet/snapshots.py``), scored per flat with ``tools/sim/fleet/scoring.py``
(``review``: per reason, the queue, the cards to identify); ``detection`` scores the first
queue's call (``registry_queue.review_queue``) claim by claim. The collector's own review report
(``report review``/``absent``: the same detector over its stored records, cards named by card
id) is scored too, on its unit reason ``not_seen``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass

from sync import secretfile
from sync.review import QUEUE_SCORE
from sync.service import accounts, asof, reports
from tools.sim.fleet import faults as fault_plan
from tools.sim.fleet.behaviour import JAKARTA
from tools.sim.fleet.cases import scaled_counts
from tools.sim.fleet.confounders import Confounders
from tools.sim.fleet.engine import Options, Simulation
from tools.sim.fleet.live_collector import RealCollector
from tools.sim.fleet.reconcile import detector_records, reconcile, tokens_by_rusun
from tools.sim.fleet.registry_queue import review_queue
from tools.sim.fleet.scoring import score, score_review, to_units
from tools.sim.fleet.snapshots import WorldDetector, claims
from tools.sim.fleet.story import tell
from tools.sim.fleet.world import build

# Planted cases per kind at full scale (tools/sim/fleet/cases.py COUNTS) scale with the residents.
_FULL = 13731


@dataclass
class Scale:
    seed: int = 1
    days: int = 7
    residents: int = _FULL
    power_cuts: int = 12
    outage_share: float = 0.35
    small_blocks: int = 0  # > 0: one terminal gets a log of this many blocks
    sync_interval_s: int = 1800
    idle_s: int = 1800
    progress: bool = False
    keep: str = ""  # keep the work folder here (database, master.key, terminal files)
    end_hour: int = 24  # the local hour of the last day the run ends at (the demo: the evening)
    first_world: bool = False  # the first world: no confounders, no handed-over cards


def case_counts(residents: int, first_world: bool = False) -> dict[str, int]:
    return scaled_counts(residents, first_world)


def simulate(scale: Scale, serve: bool = False, before_stop=None, story: bool = False) -> dict:
    """Run it all. ``story``: then the office's case work on the collector (``story.tell``:
    register, progress, flags, a visit list, outcomes, a case to SP1; its text in
    ``figures["story_text"]``). ``before_stop(figures)`` runs while the collector still serves;
    ``serve`` then keeps it serving (the dashboard) until Ctrl-C."""
    t0 = time.perf_counter()
    counts = case_counts(scale.residents, scale.first_world)
    conf = Confounders.none() if scale.first_world else Confounders()
    world = build(scale.seed, scale.days, counts, scale.residents, conf)
    if scale.end_hour < 24:  # taps after the end are never presented: not generated either
        end = world.start + (world.days - 1) * 86400 + scale.end_hour * 3600
        world.taps = [t for t in world.taps if t.t < end]
    faults = fault_plan.plan(
        world, scale.seed, scale.outage_share, scale.power_cuts, scale.small_blocks
    )
    if scale.keep:
        os.makedirs(scale.keep, exist_ok=True)
    workdir = scale.keep or tempfile.mkdtemp(prefix="hadir-fleet-")
    opts = Options(
        sync_interval_s=scale.sync_interval_s,
        idle_s=scale.idle_s,
        progress=scale.progress,
        end_hour=scale.end_hour,
    )
    sim = Simulation(world, faults, None, workdir, opts)
    col = RealCollector(workdir, sim.now)
    sim.collector = col
    try:
        col.start()
        col.register(world.pop, {"debounce_s": opts.debounce_s,
                                 "sync_interval_s": opts.sync_interval_s})  # fmt: skip
        setup_s = time.perf_counter() - t0
        cpu0 = col.cpu_s()
        result = asyncio.run(sim.run())
        cpu = col.cpu_s() - cpu0
        stored, seals = col.records()
        figures = _figures(world, faults, col, result, stored, seals)
        figures["wall_s"] = {"setup": setup_s, "run": result.wall_s,
                             "total": time.perf_counter() - t0}  # fmt: skip
        figures["collector_cpu_s"] = cpu
        figures["scale"] = asdict(scale)
        figures["dashboard"] = col.url + "/dashboard"
        if story:
            figures["story_text"], figures["story"] = tell(col.admin, world)
        # What the admin sees, after the case work: the collector's own review queue over its
        # default window (the dashboard's review page and `python -m sync report review`).
        figures["collector_review"] = collector_review(col.admin)
        password = secrets.token_urlsafe(12)  # the dashboard user "demo" (kept or served)
        if scale.keep or serve:
            accounts.add_user(col.admin, "demo", password, "admin", [])
        if scale.keep:
            figures["kept"] = _keep(col, scale.keep, password)
        if before_stop is not None:
            before_stop(figures)
        if serve:
            text = "collector serving at %s — Ctrl-C to stop\n  dashboard: %s\n  user: demo\n"
            print(text % (col.url, figures["dashboard"]) + "  password: " + password, flush=True)
            try:
                while col.proc is not None and col.proc.poll() is None:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
        return figures
    finally:
        col.stop()
        if not scale.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def collector_review(c) -> dict:
    """The collector's review queue as ``report review`` and the dashboard give it by default:
    the window, the counts (flats on the queue, by their household's reasons or a card's; rows
    of registered cards; cards nobody registered) and the rows."""
    when = asof.resolve(c)
    rows = reports.review_report(c, as_of=when.day)
    cards = [r for r in rows if r["subject"] == "card"]
    unknown = [r for r in cards if r["unit"] is None]
    return {
        "as_of": when.day.isoformat(),
        "days": reports.REVIEW_DAYS,
        "flats": len({(r["rusun_id"], r["unit"]) for r in rows if r["unit"] is not None}),
        "cards": len(cards) - len(unknown),
        "unknown_cards": len(unknown),
        "rows": rows,
    }


def _keep(col: RealCollector, folder: str, password: str) -> dict:
    """The kept files: database, master key, the dashboard user's password (a 0600 file); the
    summary prints the commands that open them again (reports and dashboard, same numbers)."""
    pw_path = os.path.join(folder, "dashboard.password")
    secretfile.write(pw_path, password + "\n")
    return {"db": col.db_path, "master_key": col.key_path, "password_file": pw_path}


def _figures(world, faults, col, result, stored, seals) -> dict:
    card_keys = {}
    for b in col.bundles.values():
        card_keys[b["rusun"]] = bytes.fromhex(b["card_key"])
    rusun_of = {t.terminal_id: t.rusun for t in world.pop.terminals}
    tokens = tokens_by_rusun(world, card_keys)
    rec = reconcile(result.presented, stored, tokens, rusun_of, seals)
    rec["collector_open_gaps"] = len(reports.gaps(col.admin))
    registry = world.pop.registry()
    queue = review_queue(
        detector_records(stored, tokens, rusun_of), registry, world.start, world.days
    )
    detection = score(to_units(queue, {r["card_uid"]: r["unit"] for r in registry}), world.truth)
    det = WorldDetector(world, detector_records(stored, tokens, rusun_of))
    items = claims(det.review())
    review = score_review(items, world.truth, world.days - 1, QUEUE_SCORE)
    flagged = [it for it in items if "card" in it or it["score"] >= QUEUE_SCORE]
    flagged.sort(key=lambda it: (-it["score"], "card" in it, it.get("unit") or it["card"]))
    # The collector's own review report (its `report review`, alias `absent`): the same
    # detector on the records as the collector names them (card ids, tokens of unknown cards),
    # so only its unit claims compare with the world's truth; scored on `not_seen`.
    as_of = dt.datetime.fromtimestamp(world.start + (world.days - 1) * 86400, JAKARTA).date()
    absent = reports.review_report(col.admin, days=world.days, as_of=as_of)
    absent_queue = [{"unit": a["id"], "reasons": ["not_seen"]} for a in absent
                    if a["subject"] == "unit" and "not_seen" in a["reasons"]]  # fmt: skip
    absent_truth = {"cases": [
        {"case": c["case"], "expect": [e for e in c["expect"] if e["reason"] == "not_seen"]}
        for c in world.truth["cases"]]}  # fmt: skip
    first = dt.datetime.fromtimestamp(world.start, JAKARTA).date()
    presence = reports.presence(col.admin, start=first, days=world.days)
    health = reports.health(col.admin)
    terms = {}
    for tid, st in result.terminals.items():
        h = st.health()
        terms[tid] = {
            "rusun": st.site, "boots": st.boots, "power_cuts": st.power_cuts,
            "torn": st.torn_cuts, "gave_up": st.gave_up, "backlog": st.backlog,
            "storage_per_mille": h.get("storage_per_mille"),
            "read_errors": h.get("read_errors"), "recoveries": h.get("reader_recoveries"),
            "clock_quality": h.get("clock_quality"), "blocks": st.flash.blocks,
            "erases": st.flash.erases,
        }  # fmt: skip
    return {
        "world": {
            "seed": world.seed,
            "days": world.days,
            "rusun": len(world.pop.rusun),
            "terminals": len(world.pop.terminals),
            "residents": len(world.pop.residents),
            "units": len(world.pop.units),
            "registered_day0": len(world.pop.registry(0)),
            "registered_end": len(registry),
            "taps": len(world.taps),
            "cases": len(world.truth["cases"]),
        },  # fmt: skip
        "faults": faults.describe(),
        "reconcile": rec,
        "syncs": result.syncs,
        "sync_offline": result.sync_failures,
        "drain_rounds": result.drain_rounds,
        "backlog_left": result.backlog_left,
        "enrolled_during_run": result.enrolled,
        "queue": flagged,
        "detection": detection,
        "review": review,
        "collector_absent": score(absent_queue, absent_truth)["overall"],
        "presence": presence,
        "health": health,
        "terminals": terms,
    }
