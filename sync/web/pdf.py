# pdf: printable visit lists and evidence packs (reportlab), in Bahasa Indonesia or English.
# SPDX-License-Identifier: MIT
"""``visit_list(lst, lang)`` and ``evidence_pack(pack, lang)`` -> PDF bytes (A4). reportlab's
standard fonts (Helvetica) are used, so nothing is fetched and nothing is installed beyond the
Python package; their WinAnsi encoding covers Indonesian and English text (other characters are
replaced). Every page says that taps are evidence, never proof, and carries the page number."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from sync.web import i18n

_BRAND = colors.HexColor("#0b6e69")
_STYLES = getSampleStyleSheet()
_SMALL = _STYLES["BodyText"].clone("small", fontSize=8, leading=10)
_CELL = _STYLES["BodyText"].clone("cell", fontSize=8.5, leading=10.5)


def _latin(text: object) -> str:
    """What the standard fonts can draw (WinAnsi); anything else becomes "?"."""
    return str(text).encode("cp1252", "replace").decode("cp1252")


def _p(text: object, style=_CELL) -> Paragraph:
    return Paragraph(escape(_latin(text)).replace("\n", "<br/>"), style)


def _table(head: list[str], rows: list[list[object]], widths: list[float]) -> Table:
    t = Table(
        [[_p(h) for h in head], *[[_p(c) for c in r] for r in rows]],
        colWidths=widths,
        repeatRows=1,
    )
    t.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), _BRAND),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c3ccd4")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    for cell in t._cellvalues[0]:  # head text white on the brand colour
        cell.style = cell.style.clone("head", textColor=colors.white, fontName="Helvetica-Bold")
    return t


def _doc(title: str, lang: str, flow: list[Any], wide: bool = False) -> bytes:
    buf = io.BytesIO()
    size = landscape(A4) if wide else A4
    honest = i18n.t(lang, "evidence.honest")

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(12 * mm, 8 * mm, _latin(honest[:160]))
        canvas.drawRightString(size[0] - 12 * mm, 8 * mm, f"hadir · {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=size,
        title=title,
        author="hadir",
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=15 * mm,
    )
    doc.build([_p(title, _STYLES["Title"]), *flow], onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def _outcome_boxes(lang: str) -> str:
    return "\n".join(
        f"[ ] {i18n.t(lang, 'outcome.' + o)}"
        for o in ("tenant_found", "others_found", "empty", "no_answer")
    )


def visit_list(lst: dict[str, Any], lang: str) -> bytes:
    """The day's list for the field: flagged flats by risk, then the routine (random) visits,
    each with tick boxes for the outcome and room for a note."""
    t = lambda key, **a: i18n.t(lang, key, **a)  # noqa: E731
    day = i18n.fmt_date(i18n.day_start(dt.date.fromisoformat(lst["day"])), lang)
    head = [
        "No",
        t("col.unit"),
        t("col.lease_holder"),
        t("col.why"),
        t("col.risk"),
        t("col.outcome"),
        t("form.note"),
    ]
    widths = [10 * mm, 32 * mm, 45 * mm, 70 * mm, 14 * mm, 52 * mm, 50 * mm]

    def rows(source: str) -> list[list[object]]:
        out = []
        for v in lst["visits"]:
            if (v["source"] == "sample") != (source == "sample"):
                continue
            why = "; ".join(i18n.reason(lang, r) for r in v["reasons"])
            who = (v["lease_holder"] or "—") + f"\n{v['members']} {t('col.members').lower()}"
            out.append(
                [
                    v["position"],
                    f"{v['unit']}\n{t('col.block')} {v['block']}",
                    who,
                    why or "—",
                    f"{v['risk']:.2f}" if source != "sample" else "",
                    _outcome_boxes(lang),
                    f"#{v['id']}",
                ]
            )
        return out

    flow: list[Any] = [
        _p(t("visits.list", rusun=lst["rusun"], day=day), _STYLES["Heading2"]),
        _p(t("evidence.honest"), _SMALL),
        Spacer(1, 4 * mm),
        _p(t("visits.flagged"), _STYLES["Heading3"]),
        _table(head, rows("flag"), widths),
        Spacer(1, 5 * mm),
        _p(t("visits.routine"), _STYLES["Heading3"]),
        _p(t("visits.routine.why"), _SMALL),
        _table(head, rows("sample"), widths),
        Spacer(1, 8 * mm),
        _p(t("visits.sign")),
    ]
    return _doc(f"hadir — {t('visits.title')}", lang, flow, wide=True)


def evidence_pack(pack: dict[str, Any], lang: str) -> bytes:
    """A flat's evidence pack (``sync.web.pack.data``): the flat and household, the case's and
    the register's history, presence per night and first/last tap, and every record with the
    statement of how it was verified."""
    t = lambda key, **a: i18n.t(lang, key, **a)  # noqa: E731
    f = pack["flat"]
    flow: list[Any] = [
        _p(t("pack.title", rusun=f["rusun"], unit=f["unit"]), _STYLES["Heading2"]),
        _p(t("pack.generated", time=pack["generated_text"], user=pack["by"]), _SMALL),
        _p(t("evidence.honest"), _SMALL),
        Spacer(1, 3 * mm),
        _p(t("flat.household"), _STYLES["Heading3"]),
        _table(
            [t("form.id"), t("col.name"), t("col.relation"), t("col.status"), t("col.card")],
            [
                [
                    m["resident_id"],
                    m["name"] + (" *" if m["lease_holder"] else ""),
                    m["relation_text"],
                    m["status_text"],
                    ", ".join(m["cards"]),
                ]
                for m in pack["members"]
            ],
            [25 * mm, 55 * mm, 30 * mm, 35 * mm, 41 * mm],
        ),
        _p(t("pack.timeline"), _STYLES["Heading3"]),
        _table(
            [t("col.date"), t("col.kind"), t("col.detail"), t("col.by")],
            [[e["day"], e["text"], e["detail"], e["by"]] for e in pack["timeline"]],
            [22 * mm, 50 * mm, 84 * mm, 30 * mm],
        ),
        _p(t("pack.presence"), _STYLES["Heading3"]),
        _p(pack["summary"], _SMALL),
        _table(
            [
                t("col.date"),
                t("col.night"),
                t("col.first"),
                t("col.last"),
                t("col.seen"),
                t("col.card"),
            ],
            [
                [
                    d["date"],
                    t("common.yes") if d["night"] else "—",
                    d["first"],
                    d["last"],
                    f"{d['members']}/{d['expected']}",
                    ", ".join(d["cards"]),
                ]
                for d in pack["days"]
            ],
            [26 * mm, 16 * mm, 22 * mm, 22 * mm, 20 * mm, 80 * mm],
        ),
        _p(t("pack.records", n=len(pack["records"])), _STYLES["Heading3"]),
        _p(t("pack.verification"), _SMALL),
        _table(
            [t("col.time"), t("col.rusun"), t("col.terminal"), t("col.card"), t("col.status")],
            [
                [r["time"], r["rusun"], r["terminal"], r["card"], r["note"]]
                for r in pack["records"]
            ],
            [40 * mm, 35 * mm, 25 * mm, 30 * mm, 56 * mm],
        ),
    ]
    return _doc(f"hadir — {t('case.pack')}", lang, flow)
