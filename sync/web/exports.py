# exports: presence and the review queue as CSV (UTF-8 with BOM, for Excel) and typed XLSX.
# SPDX-License-Identifier: MIT
"""A table is ``(header, rows)``: headers in the user's language, cells typed (``datetime.date``
for days, ``datetime.time`` for times of day and ``datetime.datetime`` for moments, all in
Asia/Jakarta; ints for counts). ``to_csv`` writes them as text (ISO dates, ``07.15`` / ``07:15``),
``to_xlsx`` as spreadsheet dates, times and numbers (``sync.web.xlsx``, streamed: rows may be a
generator). Card UIDs are never exported (the store has only ciphertexts and tokens anyway): a
card appears by its card number ``K-<id>`` or, unregistered, by its token at that rusun."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterable, Iterator

from sync.service.spreadsheet import safe
from sync.web import i18n, xlsx

Table = tuple[list[str], Iterable[list[object]]]

_PRESENCE = {
    "id": ["Tanggal", "Rusun", "Unit", "ID penghuni", "Nama", "Jumlah tap", "Tap pertama",
           "Tap terakhir"],
    "en": ["Date", "Rusun", "Unit", "Resident id", "Name", "Taps", "First tap", "Last tap"],
}  # fmt: skip
_PRESENCE_WIDTHS = [12, 24, 12, 14, 28, 12, 12, 12]
_REVIEW = {
    "id": ["Jenis", "Subjek", "Rusun", "Penghuni", "Alasan", "Status", "Ditinjau oleh",
           "Waktu tinjauan", "Catatan", "Unit", "Tap terakhir", "Hari tanpa tap"],
    "en": ["Kind", "Subject", "Rusun", "Resident", "Reasons", "Status", "Reviewed by",
           "Reviewed at", "Note", "Unit", "Last tap", "Days without a tap"],
}  # fmt: skip
_REVIEW_WIDTHS = [8, 18, 24, 28, 48, 16, 14, 18, 32, 12, 12, 14]


def _clock(t: int | None) -> dt.time | None:
    return (
        None if t is None else i18n.local(t).time().replace(second=0, microsecond=0, tzinfo=None)
    )


def _moment(t: int | None) -> dt.datetime | None:
    return None if t is None else i18n.local(t).replace(second=0, tzinfo=None)


def presence_table(rows: Iterable[dict], lang: str) -> Table:
    def gen() -> Iterator[list[object]]:
        dates: dict[int, dt.date] = {}  # a window has at most 31 days, a day 1,440 minutes
        clocks: dict[int, dt.time | None] = {}
        for r in rows:
            day, t0, t1 = r["day"], r["first"], r["last"]
            date = dates.get(day) or dates.setdefault(day, i18n.date_of_day(day))
            if t0 is not None:
                m0, m1 = t0 // 60, t1 // 60  # a fixed offset of whole minutes (WIB)
                c0 = clocks.get(m0) or clocks.setdefault(m0, _clock(t0))
                c1 = clocks.get(m1) or clocks.setdefault(m1, _clock(t1))
            else:
                c0 = c1 = None
            yield [date, r["rusun"], r["unit"], r["resident_id"], r["name"], r["taps"], c0, c1]

    return _PRESENCE[lang], gen()


def review_table(items: list[dict], not_seen_days: int, lang: str) -> Table:
    out: list[list[object]] = []
    for it in items:
        subject = it["subject"] if it["kind"] == "unit" else it["card_label"]
        mark = it["mark"]
        last = it.get("last_seen")
        out.append(
            [
                i18n.t(lang, "subject." + it["kind"]),
                subject,
                it["rusun"],
                it.get("resident_name") or "",
                "; ".join(i18n.t(lang, "reason." + r, n=not_seen_days) for r in it["reasons"]),
                i18n.t(lang, "review.done" if mark else "review.open"),
                mark["by"] if mark else "",
                _moment(mark["at"]) if mark else None,
                mark["note"] if mark else "",
                it.get("unit") or "",
                dt.date.fromisoformat(last) if last else None,
                it.get("days_absent"),
            ]
        )
    return _REVIEW[lang], out


def _text(v: object, lang: str) -> object:
    if isinstance(v, dt.datetime):
        return f"{v.date().isoformat()} {_text(v.time(), lang)}"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return f"{v.hour:02d}.{v.minute:02d}" if lang == "id" else f"{v.hour:02d}:{v.minute:02d}"
    return "" if v is None else safe(v)


# Texts, days and times repeat down a column (a resident's name on each day of the window):
# each distinct one is converted once, up to this many.
_MEMO_MAX = 200_000
_MEMO_TYPES = (str, dt.date, dt.time, dt.datetime)  # kinds whose equal values convert alike


def _converted(rows: Iterable[list[object]], convert) -> Iterator[list[object]]:
    """Each row with ``convert`` applied to its texts, days and times (memoised); numbers and
    empty cells as they are."""
    memo: dict[object, object] = {}
    for row in rows:
        out = []
        for v in row:
            if type(v) in _MEMO_TYPES:
                x = memo.get(v, memo)
                if x is memo:
                    x = convert(v)
                    if len(memo) < _MEMO_MAX:
                        memo[v] = x
                v = x
            out.append(v)
        yield out


def to_csv(table: Table, lang: str = i18n.DEFAULT_LANG) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(table[0])
    w.writerows(_converted(table[1], lambda v: _text(v, lang)))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: Table, sheet: str) -> bytes:
    """The table as one typed sheet; a text cell that could be read as a formula is quoted."""
    widths = {"presence": _PRESENCE_WIDTHS, "review": _REVIEW_WIDTHS}.get(sheet)
    with tempfile.SpooledTemporaryFile(max_size=32 << 20) as f:
        xlsx.write(f, sheet, table[0], table[1], widths, text=safe)
        f.seek(0)
        return f.read()
