# summary: the demo's printed report of a simulated deployment (plain text tables).
# SPDX-License-Identifier: MIT
"""``summary(figures) -> str``: scale, faults, reconciliation, presence per rusun, the review
queue with reasons, terminal health, precision and recall, the dashboard address."""

from __future__ import annotations

import shlex

from sync.review import Params, title

_CLOCK = {0: "none", 1: "NTP", 2: "collector", 3: "RTC", None: "-"}


def _f(x) -> str:
    return "-" if x is None else "%.3f" % x


def exact(r: dict) -> bool:
    """Every tap the terminals answered as stored is in the collector exactly once, and every
    other generated tap was answered openly (debounce repeat, log full): none silently lost."""
    out = r["outcomes"]
    answered = out.get("stored", 0) + out.get("refused", 0) + out.get("repeat", 0)
    return (
        r["generated"] == answered
        and r["stored_tap_records"] == r["answered_stored"] == r["matched"]
        and r["lost"] == r["duplicates"] == r["duplicate_seq"] == r["seq_gaps"] == 0
    )


def verdict(r: dict) -> str:
    if not exact(r):
        return "MISMATCH: a tap is lost, duplicated or unanswered (see the counts above)"
    out = r["outcomes"]
    extra = []
    if out.get("refused"):
        extra.append("%d refused while a log was full (the resident saw 'Memori penuh')"
                     % out["refused"])  # fmt: skip
    if out.get("repeat"):
        extra.append("%d repeats of the same card within debounce_s (answered, stored once)"
                     % out["repeat"])  # fmt: skip
    text = "every tap answered as stored is stored exactly once; none lost"
    if not extra:
        return "every generated tap stored exactly once"
    return text + "; " + "; ".join(extra)


def summary(fig: dict, queue_lines: int = 25) -> str:
    w, r = fig["world"], fig["reconcile"]
    out = []
    add = out.append
    add("== hadir fleet simulation ==")
    add(
        "scale: %d rusun, %d terminals, %d residents in %d units (full deployment: 13,731), "
        "%d days, seed %d" % (w["rusun"], w["terminals"], w["residents"], w["units"], w["days"],
                              w["seed"])
    )  # fmt: skip
    add(
        "registered %d at day 0, %d by the end (%d enrolled during the run); %d planted cases"
        % (w["registered_day0"], w["registered_end"], fig["enrolled_during_run"], w["cases"])
    )
    add("")
    add("faults:")
    for line in fig["faults"]:
        add("  " + line)
    add("")
    add(
        "taps: generated %d; answered and stored by the terminals %d; records stored by the "
        "collector %d" % (r["generated"], r["answered_stored"], r["stored_tap_records"])
    )
    others = {k: v for k, v in r["outcomes"].items() if k != "stored"}
    add("  other outcomes at the terminal: %s" % (others or "none"))
    add(
        "  matched by content %d, lost %d, duplicates %d, (terminal, seq) duplicates %d, "
        "sequence gaps %d, late > 3 s %d"
        % (r["matched"], r["lost"], r["duplicates"], r["duplicate_seq"], r["seq_gaps"], r["late"])
    )
    add(
        "  dated backward from a later clock anchor %d, undated %d; flags differ %d"
        % (r["time_derived"], r["undated"], r["flags_differ"])
    )
    undated = ["terminal %d: %d" % (h["terminal_id"], h["undated_records"])
               for h in fig["health"] if h.get("undated_records")]  # fmt: skip
    if undated:
        add("  undated records by terminal (collector `report health`): " + ", ".join(undated))
    add("  => %s" % verdict(r))
    add(
        "syncs %d (%d while offline), drain rounds %d, backlog left %d"
        % (fig["syncs"], fig["sync_offline"], fig["drain_rounds"], fig["backlog_left"])
    )
    add("")
    add("presence per rusun (collector `report presence`, mean residents a day / taps):")
    per: dict[str, list] = {}
    for row in fig["presence"]:
        per.setdefault(row["rusun"], []).append(row)
    for rusun in sorted(per):
        rows = per[rusun]
        mean = sum(x["residents"] for x in rows) / max(1, len(rows))
        add("  %-24s %7.1f residents/day %7d taps" % (rusun, mean, sum(x["taps"] for x in rows)))
    add("")
    add(review_text(fig["collector_review"], queue_lines))
    add("")
    add("terminal health (simulation / collector's last health report):")
    add("  %3s %-22s %5s %5s %5s %7s %7s %6s %9s" % ("id", "rusun", "boots", "cuts", "torn",
        "storage", "backlog", "resets", "clock"))  # fmt: skip
    coll = {h["terminal_id"]: h for h in fig["health"]}
    for tid in sorted(fig["terminals"], key=int):
        t = fig["terminals"][tid]
        h = coll.get(int(tid), {})
        add("  %3s %-22s %5d %5d %5d %6s‰ %7s %6s %9s" % (
            tid, t["rusun"][:22], t["boots"], t["power_cuts"], t["torn"],
            t["storage_per_mille"], t["backlog"], h.get("reader_recoveries"),
            _CLOCK.get(h.get("clock_quality"), "?")))  # fmt: skip
    add("")
    d = fig["review"]
    add("detection vs planted cases (tools/sim/fleet/scoring.py, per flat):")
    for reason, x in sorted(d["by_reason"].items()):
        add("  %-20s expected %3d claimed %4d  precision %s recall %s" % (
            reason, x["expected"], x["claimed"], _f(x["precision"]), _f(x["recall"])))  # fmt: skip
    qf, cf = d["queue"], d["cards"]
    add("  queue: %d flats, %d in misuse of %d: precision %s, recall %s" % (
        qf["claimed"], qf["true_positives"], qf["expected"], _f(qf["precision"]),
        _f(qf["recall"])))  # fmt: skip
    add("  cards to identify (unknown_card): %d, %d planted: precision %s, recall %s" % (
        cf["claimed"], cf["true_positives"], _f(cf["precision"]), _f(cf["recall"])))  # fmt: skip
    a = fig["collector_absent"]
    add(
        "  collector's own `report review` on not_seen: precision %s, recall %s"
        % (_f(a["precision"]), _f(a["recall"]))
    )
    add("")
    ws = fig["wall_s"]
    add(
        "wall time: setup %.1f s, simulation %.1f s, total %.1f s; collector CPU %.1f s"
        % (ws["setup"], ws["run"], ws["total"], fig["collector_cpu_s"])
    )
    add(
        "dashboard: %s (served by the collector; it stops with the demo unless --serve)"
        % fig["dashboard"]
    )
    if fig.get("kept"):
        add(kept_text(fig["kept"]))
    return "\n".join(out)


def _reasons(codes: list[str], p: Params) -> str:
    return "; ".join(title(c, p, 0) + " / " + title(c, p, 1) for c in codes)


def review_text(cr: dict, lines: int = 25) -> str:
    """The collector's review queue: window, counts, the first flats (what the admin sees)."""
    p = Params.for_period(cr["days"])
    out = [
        "review queue as the admin sees it (dashboard /dashboard/review, `python -m sync report "
        "review`): %d days up to %s" % (cr["days"], cr["as_of"]),
        "  %d flats on the queue, %d registered cards, %d cards nobody registered"
        % (cr["flats"], cr["cards"], cr["unknown_cards"]),
    ]
    named = [r for r in cr["rows"] if r["unit"] is not None]  # flats, then registered cards
    for r in named[:lines]:
        out.append("  %-22s %-10s %-8s %s" % (r["rusun"][:22], r["unit"], r["id"] if
                   r["subject"] == "card" else "", _reasons(r["reasons"], p)))  # fmt: skip
    if len(named) > lines:
        out.append("  … %d more rows" % (len(named) - lines))
    out.append("  taps are evidence, never proof: each flat needs a field visit")
    return "\n".join(out)


def kept_text(kept: dict) -> str:
    """The commands that open the kept database again (same numbers as above)."""
    base = ".venv/bin/python -m sync --db %s --master-key-file %s" % (
        shlex.quote(kept["db"]), shlex.quote(kept["master_key"]))  # fmt: skip
    return "\n".join([
        "",
        "kept: %s, master key %s (mode 0600)" % (kept["db"], kept["master_key"]),
        "  reports:   %s report review" % base,
        "             %s report health" % base,
        "             (every report takes --as-of YYYY-MM-DD; by default the data's last day)",
        "  dashboard: %s serve" % base,
        "             then open http://127.0.0.1:8000/dashboard/ as user demo, password in %s"
        % kept["password_file"],
    ])  # fmt: skip
