# exports: the dashboard's XLSX writer against openpyxl's write-only mode, on presence-shaped rows.
# SPDX-License-Identifier: MIT
"""One row per resident and day, as the presence export writes them (a date, five texts and
counts, two times of day): ``sync.web.xlsx.write`` (the export's writer) and openpyxl's
write-only workbook on the same typed rows; both files are read back with openpyxl.

    .venv/bin/python -m bench.exports [--rows 69412] [--json exports.json]

69,412 rows are a week of the whole fleet's 9,916 registered residents; ``--rows 297480`` is a
month, the largest export the dashboard allows. The data's own query is timed by
``bench/dashboard.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import time

import openpyxl

from sync.web import exports, xlsx


def _rows(n: int) -> list[list[object]]:
    day0 = dt.date(2017, 2, 6)
    return [
        [day0 + dt.timedelta(days=i % 30), "Marunda", f"MRD-A{i % 500:03d}", f"R{i:06d}",
         "Siti Rahmawati", i % 5, dt.time(6, i % 60), dt.time(19, i % 60)]
        for i in range(n)
    ]  # fmt: skip


def _openpyxl(header: list[str], rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("presence")
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _ours(header: list[str], rows: list[list[object]]) -> bytes:
    buf = io.BytesIO()
    xlsx.write(buf, "presence", header, rows)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=69412)
    ap.add_argument("--json")
    args = ap.parse_args()
    header = exports._PRESENCE["id"]
    rows = _rows(args.rows)
    out = []
    for name, write in (("sync.web.xlsx", _ours), ("openpyxl write-only", _openpyxl)):
        t0 = time.perf_counter()
        body = write(header, rows)
        seconds = time.perf_counter() - t0
        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        first = next(wb["presence"].iter_rows(min_row=2, max_row=2, values_only=True))
        assert isinstance(first[0], dt.datetime) and isinstance(first[6], dt.time), first
        out.append({"writer": name, "rows": len(rows), "seconds": round(seconds, 2),
                    "bytes": len(body)})  # fmt: skip
    print(f"{'writer':22s} {'rows':>9s} {'s':>7s} {'bytes':>11s}")
    for r in out:
        print(f"{r['writer']:22s} {r['rows']:9,d} {r['seconds']:7.2f} {r['bytes']:11,d}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
