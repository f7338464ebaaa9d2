# deploy: replace a terminal's firmware files, staged and hash-checked, keeping one for rollback.
# SPDX-License-Identifier: MIT
"""Only code moves: ``/boot.py``, ``/main.py``, ``/lib``, ``/firmware`` and ``/version.json``.
``/config.json``, ``/secrets.json``, ``/allow.bin``, ``/data`` and the raw log are never touched.

1. A swap left half-done (power cut, cable pulled) is finished first (``fsops.resume``).
2. Every file goes to ``/.stage``; files whose hash matches the live copy are copied on the device,
   the rest cross the cable with a progress bar.
3. The device hashes ``/.stage``; unless every file is there with the right SHA-256, nothing
   changes (the old firmware keeps running; the next deploy starts the stage again).
4. ``fsops.swap`` moves the live version to ``/.prev`` and the staged one into place, journaled.
``--rollback`` swaps ``/.prev`` back in.
"""

from __future__ import annotations

import json
import pathlib
import posixpath
from typing import Any

from tools import build, ui
from tools.errors import HadirError
from tools.link import State

NAMES = ("boot.py", "main.py", "lib", "firmware", "version.json")
STAGE = "/.stage"


def release(compile_mpy: bool = True, tree: str | None = None) -> dict[str, bytes]:
    root = pathlib.Path(tree) if tree else build.ROOT
    files = build.firmware_files(root, compile_mpy=compile_mpy)
    meta = {"version": build.version_of(files), "files": len(files)}
    files["/version.json"] = json.dumps(meta).encode()
    return files


def install(state: State, files: dict[str, bytes], dry_run: bool = False) -> dict[str, Any]:
    """Stage, verify and swap in ``files``; returns a summary."""
    pending = state.call("fsops", "state")
    if pending["journal"] and not dry_run:
        ui.console.print("[yellow]melanjutkan pertukaran yang terputus / resuming a cut swap")
        state.call("fsops", "resume")
    live = state.call("fsops", "hashes", top="/", names=list(NAMES))
    want = {path: build.digest(data) for path, data in files.items()}
    same = sorted(p for p in files if live.get(p) == want[p])
    send = sorted(p for p in files if p not in same)
    total = sum(len(files[p]) for p in send)
    to = json.loads(files["/version.json"])["version"]
    summary = {"files": len(files), "sent": len(send), "bytes": total, "unchanged": len(same),
               "from": pending.get("version"), "to": to}  # fmt: skip
    if dry_run:
        return summary
    state.call("fsops", "rmtree", path=STAGE)
    dirs = sorted({posixpath.dirname(STAGE + p) for p in files})
    state.call("fsops", "makedirs", paths=dirs)
    if same:
        state.call("fsops", "copy", pairs=[(p, STAGE + p) for p in same])
    with ui.transfer("salin / copy", total) as step:
        for path in send:
            state.write_file(STAGE + path, files[path], lambda d, n, p=path: step(p, d, n))
    got = state.call("fsops", "hashes", top=STAGE, names=list(NAMES))
    if got != want:
        bad = sorted(p for p in set(want) | set(got) if got.get(p) != want.get(p))
        detail = f"{', '.join(bad[:5])}; firmware lama tetap / old firmware kept"
        raise HadirError("hash berkas tidak cocok", "file hashes do not match", detail)
    names = sorted({p.split("/")[1] for p in files})
    state.call("fsops", "swap", src=STAGE, keep="/.prev", names=names)
    return summary


def rollback(state: State) -> dict[str, Any]:
    pending = state.call("fsops", "state")
    if not pending["prev"]:
        raise HadirError("tidak ada versi sebelumnya", "no previous version to roll back to")
    state.call("fsops", "swap", src="/.prev", keep="/.next", names=list(NAMES))
    state.call("fsops", "rename", pairs=[("/.next", "/.prev")])
    return {"from": pending["version"], "to": pending["prev_version"]}


def do_deploy(state: State, args: Any) -> int:
    state.ensure_connected()
    ident = state.ident or {}
    if ident.get("terminal_id") is None and not args.force:
        raise HadirError("terminal belum diprovisi", "terminal not provisioned",
                         "jalankan / run: python -m tools provision")  # fmt: skip
    if args.rollback:
        if args.dry_run:
            ui.console.print(
                "dry-run: rollback ke / to", state.call("fsops", "state")["prev_version"]
            )
            return 0
        done = rollback(state)
        ui.console.print(f"[green]rollback selesai / done: {done['from']} -> {done['to']}")
        return 0
    files = release(compile_mpy=not args.source, tree=args.tree)
    summary = install(state, files, dry_run=args.dry_run)
    word = (
        "dry-run, tidak ada yang ditulis / nothing written"
        if args.dry_run
        else "terpasang / installed"
    )
    ui.console.print(
        f"[green]firmware {summary['to']}[/] {word}: {summary['files']} berkas / files, "
        f"{summary['sent']} dikirim / sent ({summary['bytes']} B), {summary['unchanged']} sama / "
        f"unchanged; sebelumnya / previous: {summary['from']}"
    )
    return 0
