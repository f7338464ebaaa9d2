# doctor: one screen on a terminal's health over USB: reader, clock, storage, backlog, faults.
# SPDX-License-Identifier: MIT
"""Two device snippets: ``health.main`` (files, log counters from ``firmware.log``, file system)
and ``selftest.reader`` (a live GetFirmwareVersion). What only the running application knows
(last sync, Wi-Fi signal, reader recoveries, recent faults) comes from ``/data/status.json`` when
the application writes it (format in docs/tools.md); otherwise doctor says it is unknown."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.table import Table

import cliframe
from firmware import wire
from tools import flash, parttable, ui
from tools.link import State

CLOCK = {0: "belum diatur / unset", 1: "NTP", 2: "collector", 3: "RTC"}
UNKNOWN = "[dim]tidak diketahui / unknown[/]"
NOT_PROVISIONED = "belum diprovisi / not provisioned (python -m tools provision)"
NO_FIRMWARE = "firmware belum dipasang / no firmware yet"


def collect(state: State) -> dict[str, Any]:
    state.ensure_connected()
    report = state.call("health", "main")
    report["table"] = parttable.diagnose((state.ident or {}).get("parts") or [])
    report["fix"] = flash.fix_command(state.port)
    kind = (report.get("config") or {}).get("reader")  # None: the firmware's defaults
    report["reader"] = state.call("selftest", "reader", kind=kind, pins=report.get("pins"))
    report["laptop_now"] = int(time.time()) - wire.HOST_EPOCH_OFFSET
    return report


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return UNKNOWN
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    if s < 172800:
        return f"{s // 3600} h"
    return f"{s // 86400} hari / days"


def rows(r: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(item, value, ok) — ok None when there is nothing to judge."""
    cfg, st, log = r.get("config") or {}, r.get("status") or {}, r.get("log") or {}
    out: list[tuple[str, str, bool | None]] = []
    wrong = r.get("table")
    out.append(
        (
            "partisi / partitions",
            "hadir (tools/partitions.csv)"
            if wrong is None
            else f"{parttable.WHY[wrong]}; perbaiki / fix: {r.get('fix')}",
            wrong is None,
        )
    )
    ver = (r.get("version") or {}).get("version")
    firmware = f"firmware {ver}" if ver is not None else NO_FIRMWARE
    out.append(
        (
            "terminal",
            f"{cfg['terminal_id']} · {cfg.get('rusun')} · pintu/door {cfg.get('door')}"
            f" · {firmware}"
            if cfg.get("terminal_id") is not None
            else f"{NOT_PROVISIONED} · {firmware}",
            cfg.get("terminal_id") is not None,
        )
    )
    rd = r["reader"]
    fw = rd.get("firmware")
    rec = st.get("reader_recoveries")
    extra = f"; pemulihan / recoveries {rec}, galat baca / read errors {st.get('read_errors', 0)}"
    error = str(rd.get("error", "?"))
    if error.startswith("ImportError"):  # the driver is not on the device: nothing to ask yet
        error = f"tidak diuji / not tested: {NO_FIRMWARE}"
    out.append(
        (
            "PN532",
            (f"v{fw[1]}.{fw[2]}" if rd["ok"] and fw else error)
            + (extra if rec is not None else ""),
            rd["ok"],
        )
    )
    offset = r["now"] - r["laptop_now"]
    quality = CLOCK.get(st.get("clock_quality"), UNKNOWN) if st else UNKNOWN
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(r["now"] + wire.HOST_EPOCH_OFFSET))
    out.append(
        (
            "jam / clock",
            f"{when} UTC, selisih / offset {offset:+d} s, sumber / source {quality}",
            abs(offset) <= wire.CLOCK_JUMP_S,
        )
    )
    fs = r["fs"]
    used = fs["total"] - fs["free"]
    out.append(
        (
            "berkas / files",
            f"{used // 1024} / {fs['total'] // 1024} KiB terpakai / used",
            fs["free"] > 16 * 1024,
        )
    )
    if "error" in log:
        blank = cfg.get("terminal_id") is None and log["error"] == "no config.json"
        out.append(("log", NOT_PROVISIONED if blank else log["error"], False))
    else:
        pm = log["used_per_mille"]
        wear = st.get("erases")
        out.append(
            (
                "log",
                f"{pm / 10:.1f} % dari / of {log['capacity']} slot, seq "
                f"{log['next_seq']}, boot {log['boot_counter']}, epoch {log['epoch']}"
                + (f", hapus / erases {wear}" if wear is not None else "")
                + (
                    f", [red]{log['corrupt_found']} rusak / corrupt"
                    if log["corrupt_found"]
                    else ""
                ),
                pm < wire.STORAGE_WARN_PER_MILLE and not log["corrupt_found"],
            )
        )
        oldest = st.get("oldest_unsynced_s")
        out.append(
            (
                "antrean / backlog",
                f"{log['backlog']} slot belum terkirim / unsynced"
                + (f", tertua / oldest {_ago(oldest)}" if oldest is not None else ""),
                log["backlog"] < wire.MAX_BATCH_SLOTS,
            )
        )
    last = st.get("last_sync")
    out.append(
        (
            "sinkron / last sync",
            (f"{_ago(r['now'] - last)} lalu / ago, {st.get('last_sync_result', '?')}")
            if last
            else UNKNOWN,
            None if not last else r["now"] - last < 86400,
        )
    )
    rssi = st.get("wifi_rssi")
    out.append(
        (
            "Wi-Fi",
            f"{cfg.get('wifi_ssid') or '-'}, RSSI "
            + (f"{rssi} dBm" if rssi is not None else UNKNOWN),
            None if rssi is None else rssi > -80,
        )
    )
    faults = st.get("faults") or []
    text = "; ".join(
        f"{_ago(r['now'] - f[0]) if f[0] is not None else '?'} lalu: {f[1]}" for f in faults[-5:]
    ) or ("tidak ada / none" if st else UNKNOWN)
    out.append(("gangguan / faults", text, None if not st else not faults))
    out.append(
        (
            "rahasia / secrets",
            "ada / present" if r["secrets"] else "TIDAK ADA / missing",
            r["secrets"],
        )
    )
    return out


def do_doctor(state: State, args: Any) -> int:
    report = collect(state)
    if args.json:
        ui.console.print_json(json.dumps(report))
        return attention(report)
    table = Table(title="hadir doctor", show_header=False, expand=False)
    table.add_column("", style="bold")
    table.add_column("")
    table.add_column("")
    for item, value, ok in rows(report):
        mark = "" if ok is None else ("[green]OK" if ok else "[red]PERIKSA / CHECK")
        table.add_row(item, value, mark)
    ui.console.print(table)
    if report.get("table") is not None:  # the one command, on a line of its own to copy
        ui.console.print(f"[red]tabel partisi / partition table:[/] {report['fix']}")
        return cliframe.ATTENTION
    return attention(report)


def attention(report: dict[str, Any]) -> int:
    """The exit code: ``cliframe.ATTENTION`` (2) when a row says PERIKSA / CHECK, so that a
    script or a technician's checklist sees it; 0 when every judged row is OK."""
    return cliframe.ATTENTION if any(ok is False for _, _, ok in rows(report)) else cliframe.OK
