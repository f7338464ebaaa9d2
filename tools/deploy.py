# deploy: replace a terminal's firmware files, staged and hash-checked, keeping one for rollback.
# SPDX-License-Identifier: MIT
"""Only code moves: ``/boot.py``, ``/main.py``, ``/lib``, ``/firmware`` and ``/version.json``.
``/config.json``, ``/secrets.json``, ``/allow.bin``, ``/data`` and the raw log are never touched.

1. A swap left half-done (power cut, cable pulled) is finished first (``fsops.resume``).
2. Only files whose SHA-256 differs from the live copy go to ``/.stage`` (progress bar): a
   terminal's littlefs cannot hold two whole firmwares. Before anything is written the
   blocks the stage and the swap need (``firmware.blocks.swap_blocks`` + ``RESERVE`` for
   ``/data``) are weighed against the device's ``statvfs``, counting what ``/.prev`` holds as
   free: when they do not fit, nothing changes (one clear error with the blocks needed and
   free); when they fit only without ``/.prev``, the previous version is dropped first.
3. The device hashes ``/.stage``; unless every file is there with the right SHA-256, nothing
   changes (the old firmware keeps running; the next deploy starts the stage again).
4. ``fsops.swap`` moves each replaced (and each removed) live file to ``/.prev`` and the staged
   one into place, journaled. ``--rollback`` swaps ``/.prev`` back in.

A blank terminal (no ``/version.json``: ``provision``) gets the files in place instead, hashes
checked after, and no ``/.prev``: there is no running firmware to protect or to roll back to,
and on its 64-block littlefs the staged tree beside the live one does not fit (bench/fsroom.py).
"""

from __future__ import annotations

import json
import pathlib
import posixpath
from typing import Any

from firmware import blocks, ota_swap
from tools import build, ui
from tools.errors import HadirError
from tools.link import State

NAMES = ota_swap.CODE
STAGE = "/.stage"


def release(compile_mpy: bool = True, tree: str | None = None) -> dict[str, bytes]:
    root = pathlib.Path(tree) if tree else build.ROOT
    files = build.firmware_files(root, compile_mpy=compile_mpy)
    meta = {"version": build.version_of(files), "files": len(files)}
    files["/version.json"] = json.dumps(meta).encode()
    return files


def install(state: State, files: dict[str, bytes], dry_run: bool = False) -> dict[str, Any]:
    """Stage the changed files, verify them on the device, swap them in; returns a summary."""
    pending = state.call("fsops", "state")
    if pending["journal"] and not dry_run:
        ui.console.print("[yellow]melanjutkan pertukaran yang terputus / resuming a cut swap")
        state.call("fsops", "resume")
    live = state.call("fsops", "hashes", top="/", names=list(NAMES))
    want = {path: build.digest(data) for path, data in files.items()}
    send = sorted(p for p in files if live.get(p) != want[p])
    removed = sorted(p for p in live if p not in files)
    total = sum(len(files[p]) for p in send)
    to = json.loads(files["/version.json"])["version"]
    summary = {
        "files": len(files),
        "sent": len(send),
        "bytes": total,
        "removed": len(removed),
        "unchanged": len(files) - len(send),
        "from": pending.get("version"),
        "to": to,
    }
    if dry_run or not send and not removed:
        return summary
    if "/version.json" not in live:  # no hadir firmware runs here: nothing to keep or protect
        return _in_place(state, files, send, removed, want, summary)
    block, free = state.call("fsops", "room")
    sizes = [len(files[p]) for p in send]
    need = blocks.swap_blocks([p[1:] for p in send], sizes, block) + blocks.RESERVE
    prev = state.call("fsops", "held", path="/.prev", block=block) if pending["prev"] else 0
    if free + prev < need:
        raise HadirError(
            "ruang penyimpanan tidak cukup",
            "not enough space to stage the update",
            f"perlu {need} blok, kosong {free + prev} / need {need} blocks of {block} B, "
            f"{free + prev} free; firmware lama tetap / old firmware kept",
        )
    if free < need:
        ui.console.print(
            "[yellow]ruang sempit: versi sebelumnya dihapus / low space: the previous "
            "version is dropped"
        )
        state.call("fsops", "rmtree", path="/.prev")
    state.call("fsops", "rmtree", path=STAGE)
    dirs = sorted({posixpath.dirname(STAGE + p) for p in send})
    state.call("fsops", "makedirs", paths=dirs)
    with ui.transfer("salin / copy", total) as step:
        for path in send:
            state.write_file(STAGE + path, files[path], lambda d, n, p=path: step(p, d, n))
    tops = sorted({p.split("/")[1] for p in send})
    got = state.call("fsops", "hashes", top=STAGE, names=tops)
    expected = {p: want[p] for p in send}
    if got != expected:
        bad = sorted(p for p in set(expected) | set(got) if got.get(p) != expected.get(p))
        detail = f"{', '.join(bad[:5])}; firmware lama tetap / old firmware kept"
        raise HadirError("hash berkas tidak cocok", "file hashes do not match", detail)
    state.call(
        "fsops",
        "swap",
        src=STAGE,
        keep="/.prev",
        names=[p[1:] for p in send],
        removed=[p[1:] for p in removed],
    )
    return summary


def _in_place(state: State, files: dict[str, bytes], send: list[str], removed: list[str],
              want: dict[str, str], summary: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """A blank terminal (provision): the files go straight to their places, ``/version.json``
    last, so that a cut install is still blank and the next one sends what is missing. Staging
    beside live code would cost a second directory tree (a metadata pair, 2 blocks, each) and
    a ``/.prev`` of "no firmware" that ``--rollback`` would swap in (bench/fsroom.py)."""
    send = sorted(send, key=lambda p: p == "/version.json")
    block, free = state.call("fsops", "room")
    need = sum(blocks.file_blocks(len(files[p]), block) for p in send)
    if free < need:
        raise HadirError("ruang penyimpanan tidak cukup", "not enough space for the firmware",
                         f"perlu {need} blok, kosong {free} / need {need} blocks of {block} B, "
                         f"{free} free")  # fmt: skip
    for path in removed:
        state.call("fsops", "rmtree", path=path)
    state.call("fsops", "makedirs", paths=sorted({posixpath.dirname(p) for p in send} - {"/"}))
    with ui.transfer("salin / copy", summary["bytes"]) as step:
        for path in send:
            state.write_file(path, files[path], lambda d, n, p=path: step(p, d, n))
    got = state.call("fsops", "hashes", top="/", names=list(NAMES))
    bad = sorted(p for p in set(want) | set(got) if got.get(p) != want.get(p))
    if bad:
        raise HadirError("hash berkas tidak cocok", "file hashes do not match", ", ".join(bad[:5]))
    return summary


def rollback(state: State) -> dict[str, Any]:
    """Swap ``/.prev`` back in; the replaced (newer) firmware becomes ``/.prev``, then marked
    ``.rolledback``: a second rollback changes nothing instead of switching back to the newer
    firmware. The next deploy replaces ``/.prev`` and its mark."""
    pending = state.call("fsops", "state")
    if pending["rolled_back"]:
        return {"from": pending["version"], "to": pending["version"], "again": True}
    if not pending["prev"]:
        raise HadirError("tidak ada versi sebelumnya", "no previous version to roll back to")
    state.call("fsops", "rollback")
    state.call("fsops", "touch", path="/.prev/.rolledback")
    return {"from": pending["version"], "to": pending["prev_version"], "again": False}


def do_deploy(state: State, args: Any) -> int:
    state.ensure_connected()
    ident = state.ident or {}
    if ident.get("terminal_id") is None and not args.force:
        raise HadirError(
            "terminal belum diprovisi",
            "terminal not provisioned",
            "jalankan / run: python -m tools provision",
        )
    if args.rollback:
        if args.dry_run:
            ui.console.print(
                "dry-run: rollback ke / to", state.call("fsops", "state")["prev_version"]
            )
            return 0
        done = rollback(state)
        if done["again"]:
            ui.console.print(f"sudah dikembalikan / already rolled back: firmware {done['to']}; "
                             "tidak ada yang berubah / nothing changed")  # fmt: skip
        else:
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
