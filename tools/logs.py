# logs: pull the signed log over USB into a file; upload that file to the collector later.
# SPDX-License-Identifier: MIT
"""``pull --out t7.hadir`` writes JSON ``{"format": "hadir-pull-1", "terminal_id", "rusun",
"collector_url", "pulled_at", "batches": [hex…]}``. The batches are the log's own
(``Log.batch``), byte for byte what the terminal would POST: every block is sealed by a MAC under
a key the laptop never sees, chained to the block before. The laptop is not trusted: ``upload``
sends each batch to ``POST /v1/batches`` and the collector verifies it exactly as a network
batch, so an edited, reordered, truncated or spliced file is refused (401, or a signed ``tamper``
or ``damaged`` reply) and stores nothing. Uploading twice stores nothing twice.
"""

from __future__ import annotations

import json
import os
import pathlib
import struct
import time
from typing import Any

from rich.table import Table

from firmware import wire
from tools import collector_client, ui
from tools.errors import HadirError

FORMAT = "hadir-pull-1"
STORED_HEADER = "X-Hadir-Stored"  # sync/http.py: the batch's records that were new
STATUS = {0: "ok", 1: "gap (celah)", 2: "TAMPER (dimanipulasi)", 3: "DAMAGED (rusak)"}


def parse_pull_output(text: str) -> tuple[list[bytes], int]:
    batches: list[bytes] = []
    current: list[str] | None = None
    done = -1
    for line in text.splitlines():
        line = line.strip()
        if line == "B":
            current = []
        elif line == "E" and current is not None:
            batches.append(bytes.fromhex("".join(current)))
            current = None
        elif line.startswith("DONE "):
            done = int(line[5:])
        elif current is not None and line:
            current.append(line)
    if done != len(batches):
        raise HadirError(
            "salinan log tidak lengkap", "log copy incomplete", f"{len(batches)} of {done} batches"
        )
    return batches, done


def do_pull(state: Any, args: Any) -> int:
    state.ensure_connected()
    ident = state.ident or {}
    if ident.get("terminal_id") is None:
        raise HadirError("terminal belum diprovisi", "terminal not provisioned")
    health = state.call("health", "main")
    log = health["log"]
    if "error" in log:
        raise HadirError("log tidak terbaca", "log unreadable", log["error"])
    if args.dry_run:
        ui.console.print(
            f"dry-run: terminal {ident['terminal_id']}: {log['backlog']} slot belum "
            f"terkirim / unsynced slots; tidak ada yang ditulis / nothing written"
        )
        return 0
    out = bytearray()
    with ui.console.status("menyalin log / copying the log…"):
        state.stream("pull", "main", out.extend, health=_health(health))
    batches, _ = parse_pull_output(out.decode())
    for body in batches:
        b = wire.decode_batch(body)  # well-formed, and the terminal's own
        if b.terminal_id != ident["terminal_id"]:
            raise HadirError(
                "batch terminal lain", "batch of another terminal", str(b.terminal_id)
            )
    doc = {
        "format": FORMAT,
        "terminal_id": ident["terminal_id"],
        "rusun": ident.get("rusun"),
        "collector_url": ident.get("collector_url"),
        "pulled_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "batches": [b.hex() for b in batches],
    }
    path = pathlib.Path(args.out)
    tmp = path.with_name(path.name + ".tmp")  # whole or not at all: a cut pull leaves no file
    tmp.write_text(json.dumps(doc, indent=1))
    os.replace(tmp, path)
    slots = sum(wire.decode_batch(b).count for b in batches)
    ui.console.print(
        f"[green]log disalin / pulled[/]: terminal {ident['terminal_id']}, "
        f"{len(batches)} batch, {slots} slot -> {path}"
    )
    return 0


def _health(report: dict[str, Any]) -> dict[str, int]:
    log = report["log"]
    st = report.get("status") or {}
    h = {name: int(st.get(name) or 0) for name in wire.HEALTH_FIELDS}
    h["backlog_slots"] = log.get("backlog", 0)
    h["storage_per_mille"] = log.get("used_per_mille", 0)
    h["boot_counter"] = log.get("boot_counter", 0)
    return h


def load_pull(path: pathlib.Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT}")
        doc["bodies"] = [bytes.fromhex(b) for b in doc["batches"]]
        for body in doc["bodies"]:
            wire.decode_batch(body)  # the shape only: the collector checks the MACs
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise HadirError("berkas log tidak sah", "invalid log file", f"{path}: {exc}") from None
    return doc


def _reply(data: bytes, batch: int) -> tuple[int, ...]:
    """The fields of the collector's 200 reply (docs/protocol.md, "Reply": ``HDA1``, or ``HDA2``
    with a release, command or settings waiting), read by the terminal's own decoder; its MAC
    is the terminal's to check (the laptop has no Kc). Anything else ends the upload."""
    try:
        return wire.reply_fields(data)
    except (wire.WireError, ValueError) as exc:
        raise HadirError(
            "balasan collector tidak sah",
            "the collector's reply is malformed",
            f"batch {batch}: {len(data)} bytes {bytes(data[:4])!r}: {exc}; is the URL a hadir "
            "collector?",
        ) from None


def do_upload(state: Any, args: Any) -> int:
    doc = load_pull(pathlib.Path(args.file))
    url = args.collector or doc.get("collector_url")
    if not url:
        raise HadirError("alamat collector tidak ada", "no collector URL", "use --collector")
    if args.dry_run:
        ui.console.print(
            f"dry-run: {len(doc['bodies'])} batch -> {url}/v1/batches; "
            "tidak ada yang dikirim / nothing sent"
        )
        return 0
    table = Table(title=f"unggah / upload: terminal {doc['terminal_id']} -> {url}")
    for col in ("batch", "seq", "slot", "HTTP", "status", "acked", "baru / new"):
        table.add_column(col)
    failed = 0
    new: int | None = 0  # records the collector had not stored yet (None: it did not say)
    with collector_client.client(url) as http:
        for i, body in enumerate(doc["bodies"]):
            first, count = struct.unpack_from(">IH", body, 8)
            r = http.post(
                "/v1/batches", content=body, headers={"content-type": "application/octet-stream"}
            )
            if r.status_code == 200:
                status, acked = _reply(r.content, i + 1)[:2]
                stored = r.headers.get(STORED_HEADER)
                new = None if new is None or stored is None else new + int(stored)
                table.add_row(str(i + 1), str(first), str(count), "200",
                              STATUS.get(status, "?"), str(acked), stored or "?")  # fmt: skip
                failed += status >= wire.REPLY_TAMPER
            else:
                table.add_row(
                    str(i + 1),
                    str(first),
                    str(count),
                    str(r.status_code),
                    collector_client.detail(r)[:60],
                    "-",
                    "0",
                )
                failed += 1
    ui.console.print(table)
    if new is not None:
        already = " (semua sudah tersimpan / all were already stored)" if new == 0 else ""
        ui.console.print(f"{new} catatan baru tersimpan / new records stored{already}")
    if failed:
        raise HadirError(
            "collector menolak log",
            "the collector refused the log",
            f"{failed} of {len(doc['bodies'])} batches; nothing of those was stored",
        )
    return 0
