# story: the demo's case work after the simulated week, through the collector's own services.
# SPDX-License-Identifier: MIT
"""``tell(c, world, as_of)`` -> the text the demo prints after its figures: what a housing office
does with the week's records (docs/cases.md), on the collector the simulation filled:

1. the office imports its tenant register (every member of every flat, with or without a
   card): first the preview, then applied;
2. registration progress: residents with an active card out of residents in the register,
   city-wide and per district, and the flats where nobody has a card;
3. the flags: each rusun's review (``sync.review.detect`` on its snapshot), flats on the queue;
4. the day's visit list of the rusun with the most flags, by risk, with a random sample of
   unflagged flats;
5. the outcomes at the door: the simulation's ground truth stands in for the officer (a flat
   with a planted case: other occupants found; any other: the tenant household found);
6. a confirmed case through a warning letter (teguran) to SP1, with numbered letters (in the
   demo on the same day: the collector refuses steps dated in the future, and the simulated
   week has ended; in the field SP1 follows when the teguran's deadline has passed);
7. each rule's field precision from those outcomes.

The districts are where these rusun are in Jakarta (kota administrasi), for the per-district
figures; the fleet world itself knows only rusun.
"""

from __future__ import annotations

import io
from collections import Counter

from sync.service import cases, flags, register, register_file, visits
from sync.service import days as local
from sync.service.accounts import User
from sync.service.collector import Collector
from tools.sim.fleet.population import Population

DISTRICT = {
    "Jakarta Utara": ("Marunda", "Kapuk Muara", "Muara Baru", "Waduk Pluit", "Penjaringan",
                      "Buddha Tzu Chi"),
    "Jakarta Timur": ("Pulo Gebang", "Rawa Bebek", "Jatinegara Kaum", "Cakung Barat",
                      "Pinus Elok", "Komarudin", "Tipar Cakung", "Cipinang Besar Selatan",
                      "Jatirawa"),
    "Jakarta Barat": ("Daan Mogot", "Pesakih", "Tambora", "Flamboyan", "Kedaung", "Angke"),
    "Jakarta Pusat": ("Tanah Tinggi", "Karang Anyar"),
}  # fmt: skip
_DISTRICT_OF = {rusun: d for d, names in DISTRICT.items() for rusun in names}
OFFICE = User("kantor-uprs", "admin", ())  # the housing office's operator in the demo
HEAD = ("Wilayah", "Rusun", "Blok", "No. Unit", "ID Penghuni", "Nama", "Hubungan",
        "Pemegang Sewa")  # fmt: skip


def register_csv(pop: Population) -> str:
    """The office's register as it keeps it: one line per household member, Indonesian headers
    (``sync.service.register_file.COLUMNS``), the lease holder first."""
    import csv

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HEAD)
    for unit in pop.units.values():
        block = unit.unit_id.split("-", 1)[1][0]
        for i, rid in enumerate(unit.members):
            r = pop.residents[rid]
            w.writerow([_DISTRICT_OF.get(unit.rusun, "Jakarta"), unit.rusun, block, unit.unit_id,
                        rid, r.name, "kepala keluarga" if i == 0 else "famili",
                        "ya" if i == 0 else ""])  # fmt: skip
    return out.getvalue()


def _pct(per_mille: int) -> str:
    return "%.1f %%" % (per_mille / 10)


def tell(c: Collector, world) -> tuple[str, dict]:
    """Run the story on ``c`` on the collector's today (the simulated week's last day); (the
    text, its figures)."""
    as_of = local.today(c)
    lines = ["", "== Case work: what the housing office does with the week =="]
    fig: dict = {}
    # 1. The register, previewed, then applied.
    sheet = register_file.read(register_csv(world.pop).encode("utf-8"), "register.csv")
    preview = register.import_register(c, sheet, OFFICE, apply=False)
    diff = register.import_register(c, sheet, OFFICE, apply=True, expect=preview.fingerprint)
    if diff.errors:
        raise RuntimeError("register import refused: %s" % diff.errors[:3])
    fig["register"] = {"changes": diff.changes(), "unchanged": diff.unchanged,
                       "previewed": preview.changes()}  # fmt: skip
    lines.append(
        "1. The office's register imported (%d lines; the preview first, then applied with its "
        "fingerprint %s): %d changes to what the collector knew from the cards"
        % (len(sheet.rows), diff.fingerprint, diff.changes())
    )  # fmt: skip
    # 2. Registration progress.
    p = register.progress(c, None)
    city = p["city"]
    fig["progress"] = {"residents": city["residents"], "with_card": city["with_card"],
                       "flats_without_card": city["flats_without_card"]}  # fmt: skip
    lines.append(
        "2. Registration progress, city-wide: %d of %d residents have an active card (%s); "
        "%d of %d occupied flats have nobody registered"
        % (city["with_card"], city["residents"], _pct(city["per_mille"]),
           city["flats_without_card"], city["flats"])
    )  # fmt: skip
    for d in p["districts"]:
        lines.append("     %-14s %5d / %5d  %s" % (d["district"], d["with_card"], d["residents"],
                                                   _pct(d["per_mille"])))  # fmt: skip
    # 3. Flags per rusun.
    rusun = {r["rusun_id"]: r["rusun"] for r in p["rusun"]}
    flagged = {rid: flags.flagged_flats(c, rid, as_of) for rid in sorted(rusun)}
    reasons = Counter(code for fl in flagged.values() for f in fl for code in f.reasons)
    total = sum(len(fl) for fl in flagged.values())
    fig["flagged_flats"] = total
    lines.append(
        "3. Flags on %s: %d flats on the review queue at %d rusun; reasons: %s"
        % (as_of.isoformat(), total, sum(1 for fl in flagged.values() if fl),
           ", ".join("%s %d" % kv for kv in reasons.most_common()) or "none")
    )  # fmt: skip
    if not total:
        lines.append("   (no flags: nothing to visit)")
        return "\n".join(lines), fig
    # 4. The day's visit list at the rusun with the most flags.
    rid = max(flagged, key=lambda r: (len(flagged[r]), -r))
    day = as_of
    lst = visits.visit_list(c, OFFICE, visits.plan(c, OFFICE, rusun[rid], day, seed=world.seed))
    fig["visit_list"] = [(v["unit"], v["source"]) for v in lst["visits"]]
    lines.append(
        "4. Visit list %s, %s (by risk; %d flagged, %d drawn at random from unflagged flats):"
        % (rusun[rid], day.isoformat(), sum(v["source"] == "flag" for v in lst["visits"]),
           sum(v["source"] == "sample" for v in lst["visits"]))
    )  # fmt: skip
    for v in lst["visits"]:
        why = ", ".join(v["reasons"]) or "random sample"
        lines.append("     %2d. %-10s risk %.2f  %s" % (v["position"], v["unit"], v["risk"], why))
    # 5. Outcomes at the door (the world's truth stands in for the officer).
    planted = {e["unit"] for case in world.truth["cases"] for e in case["expect"] if "unit" in e}
    outcomes = Counter()
    confirmed = None
    for v in lst["visits"]:
        outcome = "others_found" if v["unit"] in planted else "tenant_found"
        visits.record(c, OFFICE, v["id"], outcome, "demo: kunjungan lapangan / field visit")
        outcomes[outcome] += 1
        if confirmed is None and outcome == "others_found":
            confirmed = v
    fig["outcomes"] = dict(outcomes)
    lines.append(
        "5. Outcomes recorded: %d other occupants found, %d tenant household found"
        % (outcomes["others_found"], outcomes["tenant_found"])
    )
    # 6. A confirmed case through a warning to SP1.
    if confirmed is not None:
        t = cases.advance(c, OFFICE, confirmed["case_id"], "teguran", day, "surat teguran")
        s1 = cases.advance(c, OFFICE, confirmed["case_id"], "sp1", day, "demo: SP1")
        page = cases.case_page(c, OFFICE, confirmed["case_id"])
        fig["case"] = {"unit": confirmed["unit"], "steps": [s["state"] for s in page["steps"]],
                       "letters": page["letters"]}  # fmt: skip
        lines.append(
            "6. Case %d (%s): %s; letters %s, %s"
            % (confirmed["case_id"], confirmed["unit"],
               " -> ".join(s["state"] for s in page["steps"]), t["letter_no"], s1["letter_no"])
        )  # fmt: skip
    else:
        lines.append("6. No visit confirmed a misuse: no letter")
    # 7. Field precision per rule.
    prec = cases.precision(c, None)
    fig["precision"] = {r: n["precision"] for r, n in prec["rules"].items()}
    lines.append("7. Field precision per rule (flags, visited, confirmed, precision):")
    for rule, n in [*prec["rules"].items(), ("random sample (*)", prec["sample"])]:
        share = "-" if n["precision"] is None else "%.2f" % n["precision"]
        lines.append("     %-20s %3d %3d %3d  %s" % (rule, n["flags"], n["visited"],
                                                      n["confirmed"], share))  # fmt: skip
    lines.append("   (*) confirmed in the sample: misuse the review did not flag.")
    lines.append("   Taps are evidence, never proof: only the visit decides (docs/cases.md).")
    return "\n".join(lines), fig
