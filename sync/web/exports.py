# exports: presence and the review queue as CSV (UTF-8 with BOM, for Excel) and XLSX (openpyxl).
# SPDX-License-Identifier: MIT
"""A table is ``(header, rows)``; headers are in the user's language, times in Asia/Jakarta.
Card UIDs are never exported (the store has only ciphertexts and tokens anyway): a card appears
by its card number ``K-<id>`` or, unregistered, by its token at that rusun."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from sync.service.spreadsheet import safe
from sync.web import i18n

Table = tuple[list[str], list[list[object]]]

_PRESENCE = {
    "id": ["Tanggal", "Rusun", "Unit", "ID penghuni", "Nama", "Jumlah tap", "Tap pertama",
           "Tap terakhir"],
    "en": ["Date", "Rusun", "Unit", "Resident id", "Name", "Taps", "First tap", "Last tap"],
}  # fmt: skip
_REVIEW = {
    "id": ["Jenis", "Subjek", "Rusun", "Penghuni", "Alasan", "Status", "Ditinjau oleh",
           "Waktu tinjauan", "Catatan"],
    "en": ["Kind", "Subject", "Rusun", "Resident", "Reasons", "Status", "Reviewed by",
           "Reviewed at", "Note"],
}  # fmt: skip


def presence_table(rows: list[dict], lang: str) -> Table:
    out: list[list[object]] = []
    for r in rows:
        out.append(
            [
                i18n.date_of_day(r["day"]).isoformat(),
                r["rusun"],
                r["unit"],
                r["resident_id"],
                r["name"],
                r["taps"],
                i18n.fmt_time(r["first"], lang) if r["first"] else "",
                i18n.fmt_time(r["last"], lang) if r["last"] else "",
            ]
        )
    return _PRESENCE[lang], out


def review_table(items: list[dict], not_seen_days: int, lang: str) -> Table:
    out: list[list[object]] = []
    for it in items:
        if it["kind"] == "unit":
            subject, who = it["subject"], ""
        else:
            subject, who = it["card_label"], it.get("resident_name") or ""
        mark = it["mark"]
        out.append(
            [
                i18n.t(lang, "subject." + it["kind"]),
                subject,
                it["rusun"],
                who,
                "; ".join(i18n.t(lang, "reason." + r, n=not_seen_days) for r in it["reasons"]),
                i18n.t(lang, "review.done" if mark else "review.open"),
                mark["by"] if mark else "",
                i18n.fmt_datetime(mark["at"], lang) if mark else "",
                mark["note"] if mark else "",
            ]
        )
    return _REVIEW[lang], out


def to_csv(table: Table) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(table[0])
    for row in table[1]:
        w.writerow([safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table, sheet: str) -> bytes:
    # Write-only mode streams rows (a week of presence for the whole fleet is ~69,000 rows).
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for i, head in enumerate(table[0], start=1):
        width = max([len(str(head))] + [len(str(r[i - 1])) for r in table[1][:500]])
        ws.column_dimensions[get_column_letter(i)].width = min(48, width + 2)
    ws.freeze_panes = "A2"
    heads = []
    for head in table[0]:
        cell = WriteOnlyCell(ws, value=head)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="0B6E69")
        heads.append(cell)
    ws.append(heads)
    for row in table[1]:
        ws.append([safe(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
