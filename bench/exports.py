# exports: the presence export on a kept fleet database, and the XLSX writer against openpyxl.
# SPDX-License-Identifier: MIT
"""Two measurements:

``--kept DIR`` (a database kept by ``python -m tools.sim.fleet demo --keep DIR``): the
dashboard's presence export of the whole fleet for ``--days`` days up to the data's last day,
stage by stage as the route runs it -- the period's taps grouped per resident and day
(``dashboard.presence_rows``), then the XLSX and the CSV of those rows (``sync.web.exports``);
each figure the median of ``--repeat`` runs, with a digest of each file's content (the XLSX's
unzipped parts) so two versions of the code can be shown to write the same bytes.

    .venv/bin/python -m bench.exports --kept DIR [--days 30] [--repeat 3] [--json FILE]

Without ``--kept``: one row per resident and day, as the presence export writes them (a date,
five texts and counts, two times of day): ``sync.web.xlsx.write`` (the export's writer) and
openpyxl's write-only workbook on the same typed rows; both files are read back with openpyxl.

    .venv/bin/python -m bench.exports [--rows 69412] [--json exports.json]

69,412 rows are a week of the whole fleet's 9,916 registered residents; ``--rows 297480`` is a
month, the largest export the dashboard allows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import statistics
import time
import zipfile

import openpyxl

from sync.app import create_app
from sync.service import asof, dashboard
from sync.settings import Settings
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


def _digest(body: bytes, zipped: bool) -> str:
    if zipped:  # the parts, not the zip (its entries carry the time they were written)
        z = zipfile.ZipFile(io.BytesIO(body))
        body = b"".join(z.read(name) for name in z.namelist())
    return hashlib.sha256(body).hexdigest()[:16]


def kept(folder: str, days: int, repeat: int) -> dict:
    key = bytes.fromhex(open(os.path.join(folder, "master.key"), encoding="ascii").read().strip())
    app = create_app(Settings(db=os.path.join(folder, "collector.sqlite"), master_key=key))
    c = app.state.collector
    at = asof.resolve(c).at
    times: dict[str, list[float]] = {"rows": [], "xlsx": [], "csv": []}
    for _ in range(repeat):
        t0 = time.perf_counter()
        rows = dashboard.presence_rows(c, at, None, days)
        t1 = time.perf_counter()
        body_x = exports.to_xlsx(exports.presence_table(rows, "id"), "presence")
        t2 = time.perf_counter()
        body_c = exports.to_csv(exports.presence_table(rows, "id"), "id")
        t3 = time.perf_counter()
        for name, dt_s in (("rows", t1 - t0), ("xlsx", t2 - t1), ("csv", t3 - t2)):
            times[name].append(dt_s)
    c.db.close()
    med = {k: round(statistics.median(v), 2) for k, v in times.items()}
    return {
        "days": days, "rows": len(rows), "as_of": asof.local_day(at).isoformat(),
        "rows_s": med["rows"], "xlsx_s": med["xlsx"], "csv_s": med["csv"],
        "xlsx_total_s": round(med["rows"] + med["xlsx"], 2),
        "csv_total_s": round(med["rows"] + med["csv"], 2),
        "xlsx_bytes": len(body_x), "csv_bytes": len(body_c),
        "xlsx_digest": _digest(body_x, True), "csv_digest": _digest(body_c, False),
        "load": os.getloadavg()[0],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=69412)
    ap.add_argument("--kept", help="a folder kept by `python -m tools.sim.fleet demo --keep`")
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    if args.kept:
        r = kept(args.kept, args.days, args.repeat)
        print(f"presence export, whole fleet, {r['days']} days to {r['as_of']}: {r['rows']:,} "
              f"rows (median of {args.repeat}; load average {r['load']:.1f})")  # fmt: skip
        print(f"{'stage':28s} {'s':>7s} {'bytes':>12s}  digest")
        print(f"{'rows (query and grouping)':28s} {r['rows_s']:7.2f}")
        print(f"{'XLSX of the rows':28s} {r['xlsx_s']:7.2f} {r['xlsx_bytes']:12,d}  "
              f"{r['xlsx_digest']}")  # fmt: skip
        print(
            f"{'CSV of the rows':28s} {r['csv_s']:7.2f} {r['csv_bytes']:12,d}  {r['csv_digest']}"
        )
        print(f"{'XLSX export in all':28s} {r['xlsx_total_s']:7.2f}")
        print(f"{'CSV export in all':28s} {r['csv_total_s']:7.2f}")
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(r, f, indent=1)
        return
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
