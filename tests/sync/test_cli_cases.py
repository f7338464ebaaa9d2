# `python -m sync` for the register and the case work, end to end in a subprocess (SQLite):
# import with a preview, registration progress, a case to SP1, a day's visit list, precision.
# SPDX-License-Identifier: MIT
import os
import re
import subprocess
import sys

from tests.kit import register as kit
from tests.kit.paths import ROOT

DAY = "2026-11-30"


def _run(tmp_path, *args):
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"),
               COLUMNS="200")  # fmt: skip
    r = subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, timeout=120,
    )  # fmt: skip
    return r


def _ok(tmp_path, *args) -> str:
    r = _run(tmp_path, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _row(text: str, first: str) -> list[str]:
    """The cells of the table row whose first cell is ``first``."""
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃|]", line)[1:-1]]
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in\n{text}")


def test_register_import_preview_apply_and_progress(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(kit.csv_text(), encoding="utf-8")
    preview = _ok(tmp_path, "register", "import", str(path))
    assert "pratinjau / preview: " in preview and "unit baru / new flats (5)" in preview
    assert "tidak ada / none" in _ok(tmp_path, "register", "progress")  # the preview wrote nothing
    applied = _ok(tmp_path, "register", "import", str(path), "--apply")
    assert "diterapkan / applied" in applied
    again = _ok(tmp_path, "register", "import", str(path), "--apply")
    assert "applied: 0 changes" in again and "6 unchanged" in again  # idempotent
    bad = tmp_path / "bad.csv"
    bad.write_text(kit.csv_text([kit.ROWS[0], ["Jakarta Utara", "", "A", "MRD-A103"]]))
    r = _run(tmp_path, "register", "import", str(bad), "--apply")
    assert r.returncode == 2 and "line 3" in r.stderr
    progress = _ok(tmp_path, "register", "progress")
    # residents, with a card, occupied flats, of them without a card, vacant flats, percent
    assert _row(progress, "Jakarta Utara")[1:] == ["Marunda", "4", "0", "2", "2", "1", "0.0"]
    assert _row(progress, "all")[1:] == ["6", "0", "4", "4", "1", "0.0"]
    nobody = _ok(tmp_path, "register", "unregistered", "Marunda")
    assert "MRD-A101" in nobody and "MRD-A102" in nobody and "PLG-C301" not in nobody


def test_a_case_to_sp1_a_visit_list_and_field_precision(tmp_path):
    path = tmp_path / "register.csv"
    path.write_text(kit.csv_text(), encoding="utf-8")
    _ok(tmp_path, "register", "import", str(path), "--apply")
    assert _ok(tmp_path, "cases", "open", "Marunda", "MRD-A101", "--reason", "not_seen") == (
        "case 1\n"
    )
    _ok(tmp_path, "letters", "format", "{seq:03d}/{letter}/UPRS-{rusun}/{year}")
    _ok(tmp_path, "letters", "counter", "Marunda", "2026", "41")
    _ok(tmp_path, "cases", "step", "1", "visit_scheduled", "--date", DAY)
    r = _run(tmp_path, "cases", "step", "1", "visited", "--date", DAY)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1  # needs an outcome
    _ok(tmp_path, "cases", "step", "1", "visited", "--date", DAY, "--outcome", "others_found",
        "--note", "penyewa lain")  # fmt: skip
    t = _ok(tmp_path, "cases", "step", "1", "teguran", "--date", DAY)
    s1 = _ok(tmp_path, "cases", "step", "1", "sp1", "--date", DAY)
    assert "042/TEGURAN/UPRS-Marunda/2026" in t and "043/SP1/UPRS-Marunda/2026" in s1
    r = _run(tmp_path, "cases", "step", "1", "sp3", "--date", DAY)
    assert r.returncode == 1 and "not allowed" in r.stderr  # SP2 comes first
    shown = _ok(tmp_path, "cases", "show", "1")
    assert "next: visit_scheduled, sp2, cleared" in shown
    assert _row(shown, DAY)[1] == "visit_scheduled" and "penyewa lain" in shown
    listed = _ok(tmp_path, "cases", "list", "--open")
    assert _row(listed, "1")[1:4] == ["Marunda", "MRD-A101", "sp1"]
    # A day's visit list: no flag (no taps yet), so the random sample of unflagged flats.
    pdf = tmp_path / "visits.pdf"
    plan = _ok(tmp_path, "visits", "plan", "Marunda", "2026-12-01", "--sample", "1", "--seed",
               "1", "--pdf", str(pdf))  # fmt: skip
    assert pdf.read_bytes().startswith(b"%PDF")
    visit = _row(plan, "1")
    assert visit[3] == "MRD-A102" and visit[7] == "sample"  # A101's case is open: not sampled
    _ok(tmp_path, "visits", "record", visit[1], "empty", "--note", "kosong")
    made = _row(_ok(tmp_path, "visits", "list"), "1")[5]  # when the list was made, in WIB
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}\.\d{2}", made), made
    precision = _ok(tmp_path, "cases", "precision")
    # A case opened by hand is no rule's flag; the sampled flat found empty: the review missed it.
    assert _row(precision, "all flags")[1:] == ["0", "0", "0", "-", "-"]
    assert _row(precision, "random sample")[1:5] == ["1", "1", "1", "1.00"]
    pack = tmp_path / "case1.pdf"
    _ok(tmp_path, "cases", "pack", "1", str(pack))
    assert pack.read_bytes().startswith(b"%PDF")
    html = tmp_path / "case1.html"
    _ok(tmp_path, "cases", "pack", "1", str(html))
    text = html.read_text(encoding="utf-8")
    assert "MRD-A101" in text and "043/SP1/UPRS-Marunda/2026" in text
