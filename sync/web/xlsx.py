# xlsx: a streaming XLSX writer for the exports: one sheet, typed cells, rows written as they come.
# SPDX-License-Identifier: MIT
"""``write(out, sheet, header, rows)`` writes an Office Open XML workbook (ECMA-376 part 1,
SpreadsheetML) to the binary file ``out``: one sheet, a bold frozen header row, and each row's
cells typed by their Python value:

- ``str``: an inline string (``t="inlineStr"``; no shared-string table to hold in memory),
  characters XML 1.0 forbids replaced by U+FFFD (``spreadsheet.clean``: a control character in
  a name must not make the file one Excel refuses);
- ``int``/``float``: a number; ``None``: an empty cell;
- ``datetime.date``: a date serial with the format ``yyyy-mm-dd``;
- ``datetime.time``: a day fraction with ``hh:mm``; ``datetime.datetime``: ``yyyy-mm-dd hh:mm``.

Why not openpyxl: its write-only mode serialises each cell through an element tree; on the
test machine it wrote a week of the whole fleet's presence (69,412 rows) in 13 s, a month in
about a minute (docs/benchmarks.md). This writer formats each row as one string and deflates it
into the zip entry as it goes (memory is one row plus the compressor), several times faster.
Spreadsheet readers (openpyxl in the tests, Excel, LibreOffice) read the typed values back.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import IO
from xml.sax.saxutils import escape, quoteattr

from sync.service.spreadsheet import clean

_EPOCH = dt.date(1899, 12, 30)  # the 1900 date system's day 0 (serial 60 is the fictitious 29 Feb)
# Style ids (cellXfs below): 0 plain, 1 date, 2 time, 3 date and time, 4 header.
_DATE, _TIME, _STAMP, _HEAD = 1, 2, 3, 4
_MAX_WIDTH = 48

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006/"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SML}styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
    '<numFmt numFmtId="165" formatCode="hh:mm"/>'
    '<numFmt numFmtId="166" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FF0B6E69"/></patternFill></fill>'
    "</fills>"
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="5"><xf/>'
    '<xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/>'
    '<xf numFmtId="166" applyNumberFormat="1"/>'
    '<xf fontId="1" fillId="2" applyFont="1" applyFill="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(sheet: str) -> str:
    return (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f'<sheets><sheet name={quoteattr(clean(sheet[:31]))} sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


def _cell(v: object) -> str:
    if v is None:
        return "<c/>"
    if isinstance(v, str):
        return f'<c t="inlineStr"><is><t xml:space="preserve">{escape(clean(v))}</t></is></c>'
    if isinstance(v, bool):
        return f'<c t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int | float):
        return f"<c><v>{v!r}</v></c>"
    if isinstance(v, dt.datetime):
        d = (v.date() - _EPOCH).days
        frac = (v.hour * 3600 + v.minute * 60 + v.second) / 86400
        return f'<c s="{_STAMP}"><v>{d + frac!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c s="{_DATE}"><v>{(v - _EPOCH).days}</v></c>'
    if isinstance(v, dt.time):
        return f'<c s="{_TIME}"><v>{(v.hour * 3600 + v.minute * 60 + v.second) / 86400!r}</v></c>'
    return _cell(str(v))


# Texts, days and times repeat down a column (a resident's name on each of 30 days, 30 dates,
# minutes of the day): each distinct one is written once and its XML reused, up to this many.
_MEMO_MAX = 200_000
_MEMO_TYPES = (str, dt.date, dt.time, dt.datetime)  # kinds whose equal values are the same cell


def _cells(memo: dict[object, str], row: Sequence[object], text: Callable[[str], object]) -> str:
    parts = []
    for v in row:
        kind = type(v)
        if kind is int:
            parts.append(f"<c><v>{v}</v></c>")
        elif v is None:
            parts.append("<c/>")
        elif kind in _MEMO_TYPES:
            x = memo.get(v)
            if x is None:
                x = _cell(text(v) if kind is str else v)
                if len(memo) < _MEMO_MAX:
                    memo[v] = x
            parts.append(x)
        else:
            parts.append(_cell(v))
    return "".join(parts)


def _same(v: str) -> object:
    return v


def write(
    out: IO[bytes],
    sheet: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    widths: Sequence[int] | None = None,
    text: Callable[[str], object] = _same,
) -> int:
    """Write the workbook; returns the number of data rows. ``widths``: column widths in
    characters (default: the header's, at least 12). ``text``: applied to each text cell first
    (the exports quote what could be read as a formula: ``spreadsheet.safe``)."""
    widths = widths or [max(12, len(h) + 2) for h in header]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{min(_MAX_WIDTH, w)}" customWidth="1"/>'
        for i, w in enumerate(widths, start=1)
    )
    n = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _workbook(sheet))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(
                (
                    f'{_XML}<worksheet xmlns="{_MAIN}">'
                    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                    f"<cols>{cols}</cols><sheetData>"
                ).encode()
            )
            head = "".join(
                f'<c t="inlineStr" s="{_HEAD}"><is><t>{escape(clean(h))}</t></is></c>'
                for h in header
            )
            f.write(f"<row>{head}</row>".encode())
            batch: list[str] = []
            memo: dict[object, str] = {}
            for row in rows:
                batch.append("<row>" + _cells(memo, row, text) + "</row>")
                n += 1
                if len(batch) >= 1000:
                    f.write("".join(batch).encode())
                    batch.clear()
            f.write("".join(batch).encode())
            f.write(b"</sheetData></worksheet>")
    return n
