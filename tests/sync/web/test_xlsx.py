# The XLSX writer (sync/web/xlsx.py) and the export cells (sync/service/spreadsheet.py):
# a name holding a character XML 1.0 forbids still gives a file openpyxl opens; no formula cells.
# SPDX-License-Identifier: MIT
import csv
import datetime as dt
import io

import openpyxl
import pytest

from sync.service.spreadsheet import clean
from sync.web import exports, xlsx

# Every kind XML 1.0 forbids: C0 controls (but tab, LF, CR), lone surrogates, U+FFFE, U+FFFF.
FORBIDDEN = [*map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)]), "\ud800", "\udfff",
             "\ufffe", "\uffff"]  # fmt: skip
KEPT = ["\t", "\n", "\r", "\x7f", "\x85", "\u00e9", "\U0001f600", "\ufffd"]


def _read(data: bytes, sheet: str) -> list[tuple]:
    wb = openpyxl.load_workbook(io.BytesIO(data))  # not read-only: it checks every cell
    return [tuple(c for c in row) for row in wb[sheet].iter_rows()]


def test_every_forbidden_character_is_replaced_and_the_file_opens():
    rows = [[f"Siti{ch}Aminah", ch, 1] for ch in FORBIDDEN]
    out = io.BytesIO()
    assert xlsx.write(out, "names\x01", ["Nama\x02", "char", "n"], rows) == len(FORBIDDEN)
    got = _read(out.getvalue(), "names\ufffd")
    assert got[0][0].value == "Nama\ufffd"
    for ch, (name, alone, n) in zip(FORBIDDEN, got[1:], strict=True):
        assert (name.value, alone.value, n.value) == ("Siti\ufffdAminah", "\ufffd", 1), repr(ch)


@pytest.mark.parametrize("ch", KEPT, ids=[f"U+{ord(c):04X}" for c in KEPT])
def test_characters_xml_allows_are_kept(ch):
    out = io.BytesIO()
    xlsx.write(out, "s", ["h"], [[f"a{ch}b"]])
    assert _read(out.getvalue(), "s")[1][0].value == f"a{ch}b".replace("\r", "\n")  # XML: CR->LF
    assert clean(f"a{ch}b") == f"a{ch}b"


def test_presence_export_with_a_bad_name_opens_in_both_formats_without_formulas():
    rows = [
        {"day": 17000, "rusun": "Marunda", "unit": "=HYPERLINK(\"http://x\")",
         "resident_id": "R1", "name": "Budi\x00\ud83d", "taps": 2, "first": 1_486_880_000,
         "last": 1_486_900_000},
    ]  # fmt: skip
    data = exports.to_xlsx(exports.presence_table(rows, "id"), "presence")
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cells = list(wb["presence"].iter_rows(min_row=2))[0]
    assert cells[4].value == "Budi\ufffd\ufffd"
    assert cells[2].value == '\'=HYPERLINK("http://x")' and cells[2].data_type == "s"
    assert all(c.data_type != "f" for c in cells)  # a typed text, never a formula
    assert isinstance(cells[0].value, dt.datetime) and cells[5].value == 2
    text = exports.to_csv(exports.presence_table(rows, "en")).decode("utf-8")  # no surrogate
    row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
    assert row[4] == "Budi\ufffd\ufffd" and row[2].startswith("'=")


def test_repeated_cells_keep_their_types():
    """Equal values of different types (True == 1 == 1.0, a date and a midnight datetime) are
    each written as their own type, however often they repeat."""
    day = dt.date(2017, 2, 12)
    row = [True, 1, 1.0, 0, False, day, dt.datetime(2017, 2, 12), dt.time(7, 5), "1", None]
    out = io.BytesIO()
    xlsx.write(out, "s", [str(i) for i in range(len(row))], [row, list(reversed(row)), row])
    got = [[c.value for c in r] for r in _read(out.getvalue(), "s")[1:]]
    # openpyxl reads a date cell back as a datetime at midnight
    want = [True, 1, 1.0, 0, False, dt.datetime(2017, 2, 12), dt.datetime(2017, 2, 12),
            dt.time(7, 5), "1", None]  # fmt: skip
    assert got == [want, list(reversed(want)), want]
    assert [type(v) for v in got[0][:5]] == [bool, int, float, int, bool]
    assert got[0][6] == got[0][5] and isinstance(got[0][7], dt.time)
