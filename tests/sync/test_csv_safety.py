# Every CSV export quotes a text a spreadsheet would run as a formula (sync/service/
# spreadsheet.py): the admin API's and the command line's, as the dashboard's. Both backends.
# SPDX-License-Identifier: MIT
import csv
import io
import os
import subprocess
import sys

from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from sync.service.spreadsheet import safe
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

ADMIN = ("kepala", "rahasia-admin-1")
UNITS = ['=HYPERLINK("http://x")', "+62 812", "-1+1", "@SUM(A1)", "\uff1dSUM(1)"]


def _seed(collector) -> None:
    rows = "".join(
        f"R{i},Penghuni {i},{unit},Marunda,04A1B2C3D4E5{i:02X}\n" for i, unit in enumerate(UNITS)
    )
    report = admin.import_residents(
        collector, io.StringIO("resident_id,name,unit,rusun,card_uid\n" + rows), scope=OPERATOR
    )
    assert not report.refused


def _cells(text: str) -> set[str]:
    return {cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row}


def _quoted(cells: set[str]) -> None:
    for unit in UNITS:
        assert "'" + unit in cells, unit
        assert unit not in cells, unit


def test_the_api_csv_quotes_formulas(client, collector):
    _seed(collector)
    accounts.add_user(collector, *ADMIN, "admin", [])
    params = {"format": "csv", "as_of": "2099-01-01"}
    r = client.get("/api/reports/review", params=params, auth=ADMIN)
    assert r.status_code == 200
    _quoted(_cells(r.text))


def test_the_command_line_export_quotes_formulas(collector, db_url, tmp_path):
    _seed(collector)
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=db_url)
    out = tmp_path / "review.csv"
    r = subprocess.run([sys.executable, "-m", "sync", "export", "review", str(out),
                        "--as-of", "2099-01-01"], capture_output=True, text=True, env=env,
                       cwd=ROOT, timeout=60)  # fmt: skip
    assert r.returncode == 0, r.stderr
    _quoted(_cells(out.read_text(encoding="utf-8")))


def test_control_characters_that_start_a_formula_are_quoted_too():
    for text in ("\tTAB", "\r=1+1", "\n=1"):
        assert safe(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone():
    assert safe(-5) == -5
    assert safe("Siti") == "Siti"
    assert safe("A-101") == "A-101"
    assert safe("") == ""
