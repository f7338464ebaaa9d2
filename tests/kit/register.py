# register: a small tenant register (CSV and XLSX) and the users that act on it, for the tests.
# SPDX-License-Identifier: MIT
"""Two rusun in two districts, five flats, six people, as a housing office writes it:
Indonesian headers, a column hadir does not keep (NIK), day-first dates, one flat on its own
line (nobody living there yet)."""

from __future__ import annotations

import io

from openpyxl import Workbook

from sync.service import register, register_file
from sync.service.accounts import User

ADMIN = User("kepala", "admin", ())
MARUNDA_ADMIN = User("pengelola-mrd", "admin", ("Marunda",))
PULO_ADMIN = User("pengelola-plg", "admin", ("Pulo Gebang",))
VIEWER = User("pantau", "viewer", ())

HEAD = ["Wilayah", "Rusun", "Blok", "No. Unit", "No SPS", "Mulai Sewa", "ID Penghuni", "Nama",
        "Hubungan", "Pemegang Sewa", "NIK"]  # fmt: skip
ROWS = [
    ["Jakarta Utara", "Marunda", "A", "MRD-A101", "SPS-101", "01-02-2017", "P1", "Siti Aminah",
     "Kepala Keluarga", "ya", "3172010101800001"],
    ["Jakarta Utara", "Marunda", "A", "MRD-A101", "SPS-101", "", "P2", "Budi Santoso", "Suami",
     "", "3172010101800002"],
    ["Jakarta Utara", "Marunda", "A", "MRD-A101", "", "", "P3", "Rina", "Anak", "", ""],
    ["Jakarta Utara", "Marunda", "A", "MRD-A102", "SPS-102", "2019-07-15", "P4", "Dewi Lestari",
     "kepala", "Y", ""],
    ["Jakarta Utara", "Marunda", "B", "MRD-B101", "", "", "", "", "", "", ""],
    ["Jakarta Timur", "Pulo Gebang", "C", "PLG-C301", "SPS-301", "", "P5", "Ahmad Fauzi",
     "kepala keluarga", "ya", ""],
    ["Jakarta Timur", "Pulo Gebang", "C", "PLG-C302", "", "", "P6", "Wati", "kepala keluarga",
     "ya", ""],
]  # fmt: skip


def csv_text(rows: list[list[str]] | None = None, head: list[str] | None = None) -> str:
    import csv

    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head or HEAD)
    for r in ROWS if rows is None else rows:
        w.writerow(r)
    return out.getvalue()


def xlsx_bytes(rows: list[list[object]] | None = None, head: list[str] | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(head or HEAD)
    for r in ROWS if rows is None else rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def load(c, text: str | None = None, user: User = ADMIN) -> register.RegisterDiff:
    """Import (and apply) a register CSV; the import must succeed."""
    sheet = register_file.read((text or csv_text()).encode())
    diff = register.import_register(c, sheet, user, apply=True)
    assert diff.applied and not diff.errors, diff.errors
    return diff
