# register_file: read the housing office's tenant register from CSV or XLSX into plain rows.
# SPDX-License-Identifier: MIT
"""``read(data, filename)`` -> ``Sheet``: the rows of the first sheet (XLSX) or the CSV text,
each with its line number as the office sees it in a spreadsheet (the header is line 1) and
its cells under the register's own column names (``COLUMNS``). Headers are matched without
regard to case, spaces or punctuation, in Bahasa Indonesia or English (``No. Unit``,
``no_unit`` and ``Unit`` are the same column). Columns the register does not use (NIK, No KK,
telephone...) are listed as ignored and never stored. docs/cases.md, "Tenant register", shows a
file."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sync.service.admin import AdminError

MAX_BYTES = 20 * 1024 * 1024  # the 2017 register (13,731 people) is about 1.5 MB as CSV
MAX_ROWS = 100_000

# The register's column -> the headers offices use for it (normalised: lower case, words
# joined by "_").
COLUMNS: dict[str, tuple[str, ...]] = {
    "district": ("wilayah", "kota", "kota_administrasi", "district"),
    "rusun": ("rusun", "nama_rusun", "lokasi"),
    "block": ("blok", "block", "tower", "gedung"),
    "unit": ("unit", "no_unit", "nomor_unit", "flat", "no_flat"),
    "lease_no": ("no_sps", "nomor_sps", "no_perjanjian", "lease_no"),
    "lease_start": ("mulai_sewa", "tanggal_sps", "tgl_sps", "lease_start"),
    "resident_id": ("id_penghuni", "no_penghuni", "resident_id"),
    "name": ("nama", "nama_penghuni", "name"),
    "relation": ("hubungan", "hubungan_keluarga", "status_keluarga", "relation"),
    "lease_holder": ("pemegang_sewa", "penyewa", "lease_holder"),
    "card_uid": ("uid_kartu", "uid", "card_uid"),
    "atqa": ("atqa",),
    "sak": ("sak",),
    "ats": ("ats",),
}
REQUIRED = ("rusun", "block", "unit")
_ALIAS = {alias: col for col, aliases in COLUMNS.items() for alias in aliases}


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, cells)
    columns: list[str] = field(default_factory=list)  # the register columns found
    ignored: list[str] = field(default_factory=list)  # headers not used (as written)


def normal(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def _cell(value: object) -> str:
    """A cell as text: spreadsheet numbers without ``.0``, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(raw_rows: list[list[object]], first_line: int = 1) -> Sheet:
    sheet = Sheet()
    if not raw_rows:
        raise AdminError("berkas kosong / the file is empty")
    heads = [_cell(h) for h in raw_rows[0]]
    index: dict[str, int] = {}
    for i, head in enumerate(heads):
        col = _ALIAS.get(normal(head))
        if col is None:
            if head:
                sheet.ignored.append(head)
        elif col in index:
            raise AdminError(f"kolom ganda / column given twice: {head}")
        else:
            index[col] = i
    missing = [col for col in REQUIRED if col not in index]
    if missing:
        names = ", ".join(f"{COLUMNS[m][0]} ({m})" for m in missing)
        raise AdminError(f"kolom wajib hilang / missing required columns: {names}")
    sheet.columns = sorted(index, key=index.__getitem__)
    for n, raw in enumerate(raw_rows[1:], start=first_line + 1):
        cells = {col: _cell(raw[i]) if i < len(raw) else "" for col, i in index.items()}
        if any(cells.values()):
            sheet.rows.append((n, cells))
    if len(sheet.rows) > MAX_ROWS:
        raise AdminError(f"lebih dari {MAX_ROWS} baris / more than {MAX_ROWS} rows")
    return sheet


def read_csv(text: str) -> Sheet:
    """A register sheet from CSV text. Line ends are CR, LF or CRLF (``newline=""``, as the csv
    module asks); what the csv module cannot read (a NUL, a field over its limit) is one
    ``AdminError`` naming the line, never a server error."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","  # Excel in id-ID uses ;
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = [list(r) for r in reader]
    except csv.Error as exc:
        raise AdminError(
            f"CSV rusak di baris {reader.line_num} / malformed CSV at line {reader.line_num}: "
            f"{str(exc)[:80]}"
        ) from None
    return _table(rows)


def read_xlsx(data: bytes) -> Sheet:
    import zipfile

    from openpyxl import load_workbook

    bad = AdminError("bukan berkas XLSX yang sah / not a valid XLSX file")
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError):
        raise bad from None
    rows = []
    try:
        for row in wb.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                raise AdminError(f"lebih dari {MAX_ROWS} baris / more than {MAX_ROWS} rows")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError):
        raise bad from None  # a damaged sheet inside a valid zip
    finally:
        wb.close()
    return _table(rows)


def read(data: bytes, filename: str = "") -> Sheet:
    """A register file: XLSX when it is a zip (or named .xlsx), else CSV in UTF-8 (a BOM is
    fine). Refused whole, with one line, when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise AdminError(
            f"berkas lebih dari {MAX_BYTES // 2**20} MB / file larger than {MAX_BYTES // 2**20} MB"
        )
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AdminError("CSV bukan UTF-8 / CSV is not UTF-8") from None
    if "\x00" in text:
        raise AdminError("karakter NUL di berkas / NUL character in the file")
    return read_csv(text)
