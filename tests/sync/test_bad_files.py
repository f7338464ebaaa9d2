# Bad residents files are a one-line error, never a 500 or a traceback, and import nothing
# (admin.import_residents): a 200 kB field, bytes that are not UTF-8, a NUL, an over-long name;
# on the command line and over the admin API. Both backends.
# SPDX-License-Identifier: MIT
import os
import subprocess
import sys

import pytest

from sync.service import accounts, admin
from sync.service.scope import OPERATOR
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

HEADER = b"resident_id,name,unit,rusun,card_uid\n"
GOOD = b"R1,Siti,A-101,Marunda,04A1B2C3D4E5F6\n"
ADMIN = ("kepala", "rahasia-admin-1")
BAD = {
    "field_200kB": HEADER + GOOD + b'R2,"' + b"x" * 200_000 + b'",A-102,Marunda,04A1B2C3D4E5F7\n',
    "latin1": HEADER + GOOD + "R2,Sít\xed,A-102,Marunda,04A1B2C3D4E5F7\n".encode("latin-1"),
    "utf16": "\ufeff".encode("utf-16-le") + (HEADER + GOOD).decode().encode("utf-16-le"),
    "binary": os.urandom(4096),
}


def _cli(db_url, *args):
    env = dict(os.environ, HADIR_MASTER_KEY=MASTER_KEY.hex(), HADIR_DB=db_url)
    return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip


def _nothing_imported(collector):
    assert admin.list_residents(collector, scope=OPERATOR) == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_command_line_says_one_line_and_imports_nothing(collector, db_url, tmp_path, kind):
    path = tmp_path / "residents.csv"
    path.write_bytes(BAD[kind])
    r = _cli(db_url, "residents", "import", str(path))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hadir: ") and " / " in lines[0], r.stderr
    _nothing_imported(collector)


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_api_says_400_with_one_line_and_imports_nothing(client, collector, kind):
    accounts.add_user(collector, *ADMIN, "admin", [])
    r = client.post("/api/residents/import", content=BAD[kind], auth=ADMIN,
                    headers={"content-type": "text/csv"})  # fmt: skip
    assert r.status_code == 400, r.text
    assert "\n" not in r.json()["detail"] and " / " in r.json()["detail"]
    _nothing_imported(collector)


def test_an_over_long_field_or_a_nul_refuses_its_row_only(collector):
    rows = (HEADER + GOOD).decode() + "R2," + "n" * 201 + ",A-102,Marunda,04A1B2C3D4E5F7\n"
    rows += "R3,Bu\x00di,A-103,Marunda,04A1B2C3D4E5F8\n"
    report = admin.import_residents(collector, rows.splitlines(), scope=OPERATOR)
    assert report.residents == 1 and len(report.refused) == 2, report
    assert report.refused[0].startswith("baris/line 3: ") and "200" in report.refused[0]
    assert report.refused[1].startswith("baris/line 4: ")
