# pack: a case's evidence pack for a flat (printable HTML, or PDF): what happened, what the taps
# show night by night, and every record with how it was verified.
# SPDX-License-Identifier: MIT
"""``render(c, user, case_id, lang, "html" | "pdf")`` -> bytes. ``data`` gathers: the flat and
its household, the case's steps and the register's trail merged by day, the review's evidence
for the flat over the snapshot period (presence per night, first/last tap, members seen against
expected), and every dated record of the household's and visitors' cards in that period, each
with the statement of its verification (docs/cases.md, "Evidence pack"). Names stay inside the
office: the pack is personal data, like the dashboard's exports."""

from __future__ import annotations

import pathlib
from typing import Any

import jinja2

from firmware import wire
from sync.service import cases, days, flags, flats
from sync.service.accounts import User
from sync.service.collector import Collector
from sync.store import attendance, register, residents
from sync.web import i18n, pdf

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(pathlib.Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def data(c: Collector, user: User, case_id: int, lang: str) -> dict[str, Any]:
    t = lambda key, **a: i18n.t(lang, key, **a)  # noqa: E731
    k = cases.case_page(c, user, case_id)
    today = days.as_of(c)
    page = flats.flat_page(c, user, k["unit_id"], today)
    f = page["flat"]
    ev, items, snap = flags.flat_evidence(c, f["rusun_id"], f["key"], today)
    card_ids = [x["card_id"] for x in page["cards"]]
    t0, t1 = days.start_of(snap.first_day), days.start_of(today) + days.DAY
    with c.db.read() as tx:
        rows = attendance.card_records_detail(tx, card_ids, t0, t1)
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        holders = {k2.id: k2.resident_id for k2 in register.cards_of_flat(tx, k["unit_id"])}
    timeline = [
        {
            "day": days.iso(s["day"]),
            "text": t("state." + s["state"])
            + (f": {t('outcome.' + s['outcome'])}" if s["outcome"] else ""),
            "detail": " ".join(x for x in (s["letter_no"] or "", s["note"]) if x),
            "by": s["user_name"],
        }
        for s in k["steps"]
    ] + [
        {
            "day": e["day"],
            "text": t("event." + e["kind"]),
            "detail": " ".join(str(x) for x in (e["resident_id"] or "", e["detail"]) if x),
            "by": e["by"],
        }
        for e in page["events"]
    ]
    timeline.sort(key=lambda e: e["day"])
    records = []
    for wall, rid, term, kind, flags_, card, derived, jump in rows:
        notes = []
        if kind == wire.DENIED:
            notes.append("DENIED")
        if flags_ & wire.CARD_FINGERPRINT_MISMATCH:
            notes.append("fingerprint")
        if flags_ & wire.CARD_MAGIC_SUSPECT:
            notes.append("magic")
        records.append(
            {
                "time": i18n.fmt_datetime(wall, lang)
                + ("*" if derived else "")
                + ("!" if jump else ""),
                "rusun": names.get(rid, "?"),
                "terminal": f"#{term}",
                "card": f"K-{card}",
                "holder": holders.get(card, ""),
                "note": " ".join(notes),
            }
        )
    day_rows = []
    for d in ev.days if ev is not None else ():
        day_rows.append(
            {
                "date": d.day.isoformat(),
                "night": d.night,
                "first": i18n.fmt_time(d.first, lang) if d.first else "—",
                "last": i18n.fmt_time(d.last, lang) if d.last else "—",
                "members": len(d.members),
                "expected": d.expected,
                "cards": [f"K-{x}" if x.isdigit() else x for x in d.cards],
            }
        )
    nights = sum(1 for d in day_rows if d["night"])
    summary = t("flat.nights", n=nights, days=len(day_rows))
    if ev is not None:
        summary += ". " + t("flat.seen", seen=len(ev.seen), expected=len(ev.expected))
    members = [
        {
            **m,
            "relation_text": t("relation." + m["relation"]) if m["relation"] else "",
            "status_text": t("person." + m["status"]),
        }
        for m in page["members"]
    ]
    return {
        "case": k,
        "flat": f,
        "members": members,
        "timeline": timeline,
        "days": day_rows,
        "records": records,
        "summary": summary,
        "reasons": [r.text[1 if lang == "en" else 0] for it in items for r in it.reasons],
        "generated_text": i18n.fmt_datetime(c.now(), lang),
        "by": user.name,
        "period": f"{snap.first_day.isoformat()} – {today.isoformat()}",
    }


def render(c: Collector, user: User, case_id: int, lang: str, fmt: str) -> bytes:
    pack = data(c, user, case_id, lang)
    if fmt == "pdf":
        return pdf.evidence_pack(pack, lang)
    html = _ENV.get_template("pack.html").render(
        p=pack, lang=lang, t=lambda key, **a: i18n.t(lang, key, **a)
    )
    return html.encode("utf-8")
