# provision: make a blank ESP32 a hadir terminal from the collector's provisioning bundle.
# SPDX-License-Identifier: MIT
"""``python -m tools provision --bundle t7.json --wifi-ssid RUSUN --wifi-password-file pw``

1. Reads the bundle (``python -m sync terminals add --bundle FILE``; format ``hadir-provision-1``)
   and builds ``/config.json`` and ``/secrets.json`` (``kc`` derived from K0; no K0 in it).
2. Refuses a device that already holds an identity (config, secrets or log state) unless
   ``--force``, which first wipes that identity and erases the raw log.
3. Installs the firmware as ``deploy`` does (compiled with mpy-cross, staged, hash-checked).
4. Installs K0 into the raw ``hlog`` log partition (``tools/device/logkey.py``): K0 never touches
   littlefs, whose stale copy-on-write blocks would keep it. Then writes config and secrets to
   ``*.new`` and renames them into place (secrets first).
5. Sets the device clock from the laptop and runs the self-test (PN532, clock, storage, files).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import time
from typing import Any

from rich.table import Table

from firmware import config as fconfig
from firmware import wire
from tools import deploy, flash, parttable, ui
from tools.errors import HadirError
from tools.link import State

FORMAT = "hadir-provision-1"

_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")


def bad_bundle(detail: str) -> HadirError:
    return HadirError("bundle provisi tidak sah", "invalid provisioning bundle", detail)


def load_bundle(path: pathlib.Path) -> dict[str, Any]:
    try:
        bundle = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise bad_bundle(f"{path}: {exc}") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise bad_bundle(f"format is not {FORMAT}")
    tid = bundle.get("terminal_id")
    if not isinstance(tid, int) or tid <= 0:
        raise bad_bundle("terminal_id")
    if not _HEX64.match(str(bundle.get("k0", ""))):
        raise bad_bundle("k0 must be 64 hex digits")
    if not _HEX32.match(str(bundle.get("card_key", ""))):
        raise bad_bundle("card_key must be 32 hex digits")
    if not str(bundle.get("collector_url", "")).startswith(("http://", "https://")):
        raise bad_bundle("collector_url")
    if not bundle.get("rusun") or not isinstance(bundle.get("door"), int):
        raise bad_bundle("rusun, door")
    if bundle.get("release_pub") is not None and not re.fullmatch(
        "[0-9a-f]{112}", str(bundle["release_pub"])
    ):
        raise bad_bundle("release_pub must be 112 hex digits")
    return bundle


def make_config(
    bundle: dict[str, Any],
    wifi_ssid: str,
    reader: str = fconfig.DEFAULTS["reader"],
    language: str = fconfig.DEFAULTS["language"],
) -> dict[str, Any]:
    d = fconfig.DEFAULTS
    return {
        "terminal_id": bundle["terminal_id"],
        "rusun": bundle["rusun"],
        "door": bundle["door"],
        "wifi_ssid": wifi_ssid,
        "collector_url": bundle["collector_url"],
        "ca_pin": bundle.get("ca_pin"),
        "reader": reader,
        "pins": dict(fconfig.PINS),
        "display": d["display"],
        "rtc": d["rtc"],
        "debounce_s": d["debounce_s"],
        "language": language,
        "utc_offset_min": d["utc_offset_min"],
        "sync_interval_s": d["sync_interval_s"],
    }


def make_secrets(bundle: dict[str, Any], wifi_password: str) -> dict[str, str]:
    """secrets.json: Kc, the card key, the Wi-Fi password. Never K0 (it goes into the log)."""
    secrets = {
        "kc": wire.config_key(bytes.fromhex(bundle["k0"])),
        "card_key": bytes.fromhex(bundle["card_key"]),
        "wifi_password": wifi_password,
    }
    return fconfig.secrets_json(secrets)


def check_table(state: State, ident: dict[str, Any]) -> None:
    """A device without hadir's partition table cannot keep a log: stop before anything is
    written, with the one command that fixes it (``tools flash``)."""
    wrong = parttable.diagnose(ident.get("parts") or [])
    if wrong is not None:
        raise HadirError("tabel partisi bukan milik hadir", "not hadir's partition table",
                         f"{parttable.WHY[wrong]}; perbaiki / fix: "
                         f"{flash.fix_command(state.port)}")  # fmt: skip


def has_identity(ident: dict[str, Any]) -> bool:
    return ident.get("terminal_id") is not None or bool(
        ident.get("secrets") or ident.get("data") or ident.get("wiping")
    )


def wipe(state: State) -> int:
    """``wipe.main`` with its progress streamed (``W done total`` lines): up to minutes of
    erases, and never a silence that mpremote would take for a dead device."""
    seen = {"done": 0, "total": 448, "text": b""}
    with ui.counting("hapus log / erasing the log", seen["total"]) as step:

        def consume(data: bytes) -> None:
            seen["text"] += data
            *lines, seen["text"] = seen["text"].split(b"\n")
            for line in lines:
                parts = line.split()
                if len(parts) == 3 and parts[0] == b"W":
                    seen["done"], seen["total"] = int(parts[1]), int(parts[2])
                    step(seen["done"], seen["total"])

        state.stream("wipe", "main", consume)
    return seen["done"]


def register(args: Any) -> dict[str, Any]:
    """``POST /api/terminals`` (an admin user): the collector answers the new terminal's bundle."""
    from tools import collector_client

    password = pathlib.Path(args.password_file).read_text().strip()
    body = {"rusun": args.rusun, "door": args.door, "collector_url": args.collector}
    with collector_client.client(args.collector, (args.user, password)) as http:
        bundle = collector_client.check(http.post("/api/terminals", json=body), "register").json()
    if args.save_bundle:  # the only copy of K0 outside the collector: owner-only
        fd = os.open(args.save_bundle, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(bundle, f)
    return bundle


def _bundle_of(args: Any) -> dict[str, Any] | None:
    if args.bundle:
        return load_bundle(pathlib.Path(args.bundle))
    if not (
        args.rusun
        and args.door is not None
        and args.collector
        and args.user
        and args.password_file
    ):
        raise HadirError(
            "bundle atau registrasi diperlukan",
            "a bundle or a registration is needed",
            "--bundle FILE, or --rusun --door --collector --user --password-file",
        )
    return None


def do_provision(state: State, args: Any) -> int:
    for name in ("rusun", "door", "collector", "user", "password_file", "save_bundle"):
        if not hasattr(args, name):
            setattr(args, name, None)
    bundle = _bundle_of(args)
    password = ""
    if args.wifi_password_file:
        password = pathlib.Path(args.wifi_password_file).read_text().strip()
    state.ensure_connected()
    ident = state.ident or {}
    check_table(state, ident)
    if has_identity(ident) and not args.force:
        raise HadirError(
            "perangkat sudah punya identitas terminal",
            "device already holds a terminal identity",
            f"terminal {ident.get('terminal_id')}; --force menghapusnya / wipes it (pull first)",
        )
    files = deploy.release(compile_mpy=not args.source, tree=args.tree)
    if args.dry_run:
        summary = deploy.install(state, files, dry_run=True)
        who = (
            f"terminal {bundle['terminal_id']} ({bundle['rusun']}, door {bundle['door']})"
            if bundle
            else f"a new terminal at {args.rusun}, door {args.door}"
        )
        ui.console.print(
            f"dry-run: {who}, {summary['files']} files, {summary['bytes']} B; "
            "tidak ada yang ditulis / nothing written"
        )
        return 0
    if bundle is None:  # only now: a device that would be refused is never registered
        bundle = register(args)
        ui.console.print(
            f"terdaftar / registered at the collector: terminal {bundle['terminal_id']}"
        )
    config = make_config(bundle, args.wifi_ssid or "", args.reader, args.language)
    secrets = make_secrets(bundle, password)
    if has_identity(ident) or args.force:  # --force: also a log key left by a cut provision
        erased = wipe(state)
        ui.console.print(f"[yellow]identitas lama dihapus / old identity wiped ({erased} blocks)")
    summary = deploy.install(state, files)
    state.call("fsops", "makedirs", paths=["/data"])
    key = state.call("logkey", "install", terminal_id=bundle["terminal_id"], k0=bundle["k0"])
    if not key.get("ok"):
        raise HadirError(
            "kunci log tidak terpasang",
            "log key not installed",
            f"{key.get('error')}; --force menghapus log / wipes the log (pull first)",
        )
    docs = {
        name: json.dumps(doc).encode() for name, doc in (("secrets", secrets), ("config", config))
    }
    if bundle.get("release_pub"):  # the key signed network updates must verify under
        state.write_file("/release.pub", bytes.fromhex(bundle["release_pub"]), lambda d, n: None)
    with ui.transfer("konfigurasi / config", sum(map(len, docs.values()))) as step:
        for name, data in docs.items():
            state.write_file(f"/{name}.json.new", data, lambda d, n, m=name: step(m, d, n))
    state.call(
        "fsops",
        "rename",
        pairs=[("/secrets.json.new", "/secrets.json"), ("/config.json.new", "/config.json")],
    )
    now = int(time.time()) - wire.HOST_EPOCH_OFFSET
    report = state.call("selftest", "main", set_to=now)
    ok = show_selftest(bundle, summary, report)
    if not ok:
        raise HadirError("uji mandiri gagal", "self-test failed", "lihat tabel / see the table")
    return 0


def show_selftest(bundle: dict[str, Any], summary: dict[str, Any], report: dict[str, Any]) -> bool:
    table = Table(
        title=f"terminal {bundle['terminal_id']} · {bundle['rusun']} · pintu/door "
        f"{bundle['door']} · firmware {summary['to']}"
    )
    table.add_column("uji / check")
    table.add_column("hasil / result")
    table.add_column("")
    r = report["reader"]
    fw = r.get("firmware")
    table.add_row(
        "PN532", f"v{fw[1]}.{fw[2]}" if r["ok"] and fw else r.get("error", "?"), _mark(r["ok"])
    )
    c = report["clock"]
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(c["now"] + wire.HOST_EPOCH_OFFSET))
    table.add_row("jam / clock", when, _mark(c["ok"]))
    s = report["storage"]
    table.add_row(
        "penyimpanan / storage",
        f"fs {s['fs_free'] // 1024}/{s['fs_total'] // 1024} "
        f"KiB free, hlog {s['hlog'] // 1024} KiB",
        _mark(s["ok"]),
    )
    f = report["files"]
    table.add_row(
        "berkas / files", ", ".join(f["missing"]) or "lengkap / complete", _mark(f["ok"])
    )
    ui.console.print(table)
    return all(report[k]["ok"] for k in ("reader", "clock", "storage", "files"))


def _mark(ok: bool) -> str:
    return "[green]OK" if ok else "[red]GAGAL / FAILED"
