# fsroom: littlefs blocks the vfs uses after provision, deploys, updates and with /data.
# SPDX-License-Identifier: MIT
"""``.venv/bin/python bench/fsroom.py [--json FILE] [--blocks N]`` (default: the ``vfs`` of
``tools/partitions.csv``, 128 blocks)

Replays, on a real littlefs (littlefs-python) with ESP32 MicroPython's geometry, what the tools
and the firmware write to a terminal's ``vfs`` partition, and prints the blocks in use
(``lfs_fs_size``) after each situation and at its peak:

1. ``provision``: the firmware written in place (and, for comparison, staged in ``/.stage`` and
   swapped in by ``firmware.ota_swap``, as provision did before), ``/data``, ``/release.pub``,
   ``config.json``, ``secrets.json``;
2. a second ``deploy`` (one module changed; every module changed), the old files in ``/.prev``;
3. a network update (``firmware/ota.py``): ``/.prev`` dropped, manifest + chunks in
   ``/.ota``, the changed files copied to ``/.stage``, swapped; one module, then the whole set;
4. ``/data`` at its steady state (log state pair, last_time, status.json, remote.json, ota
   done.json).

Geometry (MicroPython ``extmod/vfs_lfsx.c``, ``VfsLfs2`` defaults readsize=32, progsize=32,
lookahead=32, mtime=True; ``cache_size = 4 * max(read, prog)`` = 128, ``block_cycles`` = 100):
files up to 128 bytes are inlined in their directory's metadata pair, every other file takes
whole 4 KiB blocks, every directory a metadata pair (2 blocks). Each file written gets the 8-byte
``t`` (mtime) attribute MicroPython adds.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import posixpath
import struct
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
for entry in (ROOT / "lib", ROOT):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import littlefs  # noqa: E402

from firmware import blocks, ota_fetch, ota_swap, wire  # noqa: E402
from tools import deploy, image  # noqa: E402

LFS = dict(block_size=4096, read_size=32, prog_size=32, lookahead_size=32, cache_size=128,
           block_cycles=100, name_max=255)  # fmt: skip
LMS_SIG = 1452  # LMS_SHA256_M32_H10 + LMOTS_SHA256_N32_W8 signature (RFC 8554)
ALLOW_CARDS = 1000  # residents with a card at one door (the board suite's site)


class Volume:
    """A littlefs volume with the ``os``/``open`` subset ``firmware.ota_swap`` uses."""

    def __init__(self, blocks: int) -> None:
        self.fs = littlefs.LittleFS(block_count=blocks, **LFS)
        self.peak = 0
        self.start = 0  # blocks in use when the situation's update began
        self.weighed = 0  # blocks the update's room check asks for (deploy / firmware)

    def used(self) -> int:
        return self.fs.used_block_count

    def _mark(self) -> None:
        self.peak = max(self.peak, self.used())

    # os
    def stat(self, path):
        try:
            st = self.fs.stat(path)
        except littlefs.LittleFSError as exc:
            if exc.code == littlefs.LittleFSError.Error.LFS_ERR_NOENT:
                raise OSError(2, "ENOENT") from None  # as MicroPython raises it
            raise
        return (0x4000 if st.type == 2 else 0x8000, 0, 0, 0, 0, 0, st.size, 0, 0, 0)

    def listdir(self, path):
        return self.fs.listdir(path)

    def mkdir(self, path):
        self.fs.mkdir(path)
        self._mark()

    def rmdir(self, path):
        self.fs.rmdir(path)

    def remove(self, path):
        self.fs.remove(path)

    def rename(self, a, b):
        self.fs.rename(a, b)
        self._mark()

    # open
    def open(self, path, mode="r"):
        vol = self

        class _File:
            def __init__(self):
                self.f = vol.fs.open(path, mode)

            def __enter__(self):
                return self.f

            def __exit__(self, *exc):
                self.f.close()
                if any(c in mode for c in "wa+"):
                    vol.fs.setattr(path, "t", struct.pack("<Q", time.time_ns()))  # mtime
                vol._mark()

        return _File()

    def write(self, path: str, data: bytes) -> None:
        parent = posixpath.dirname(path)
        if parent != "/":
            self.fs.makedirs(parent, exist_ok=True)
        with self.open(path, "wb") as f:
            f.write(data)

    def rmtree(self, path: str) -> None:
        ota_swap.rmtree(path)


def bind(vol: Volume) -> None:
    """``firmware.ota_swap`` runs its own code against the volume."""
    ota_swap.os = vol  # type: ignore[attr-defined]
    ota_swap.open = vol.open  # type: ignore[attr-defined]


def changed(files: dict[str, bytes], which: list[str]) -> dict[str, bytes]:
    out = dict(files)
    for p in which:
        out[p] = files[p] + b"\x00"  # another build of that module
    return out


def deploy_to(vol: Volume, live: dict[str, bytes], files: dict[str, bytes]) -> None:
    """``tools/deploy.install``: only the changed files staged, then swapped (old to /.prev)."""
    send = sorted(p for p in files if live.get(p) != files[p])
    removed = sorted(p for p in live if p not in files)
    sizes = [len(files[p]) for p in send]  # tools/deploy.install's room check
    vol.weighed = blocks.swap_blocks([p[1:] for p in send], sizes) + blocks.RESERVE
    vol.rmtree("/.stage")
    for p in send:
        vol.write("/.stage" + p, files[p])
    ota_swap.swap("/.stage", "/.prev", [p[1:] for p in send], [p[1:] for p in removed])


def ota_to(vol: Volume, live: dict[str, bytes], files: dict[str, bytes]) -> None:
    """``firmware/ota.py``: /.prev dropped, manifest and the needed chunks to /.ota, the changed
    files copied to /.stage, the blob removed, swapped."""
    order = sorted(files)
    unsigned, blob = wire.encode_manifest(9, "v", [(p[1:], files[p]) for p in order])
    manifest = wire.sign_manifest(unsigned, bytes(LMS_SIG))
    need: list[int] = []
    at = 0
    size = wire.RELEASE_CHUNK
    send = [p for p in order if live.get(p) != files[p]]
    for p in order:
        n = len(files[p])
        if p in send and n:
            need += [c for c in range(at // size, (at + n - 1) // size + 1) if c not in need]
        at += n
    m = wire.Manifest(manifest)  # firmware/ota_fetch.py's room check, on this release
    changed_at = [i for i, p in enumerate(order) if p in send]
    vol.weighed = ota_fetch.blocks_needed(m, changed_at, len(need), len(manifest), 4096)
    if not ota_swap._exists("/.ota"):
        vol.mkdir("/.ota")
    vol.rmtree("/.prev")
    vol.write("/.ota/manifest", manifest)
    vol.write("/.ota/state.json", json.dumps({"release": 9, "need": need, "done": 0}).encode())
    with vol.open("/.ota/blob", "wb") as f:
        for c in need:
            f.write(blob[c * size : (c + 1) * size])
    vol.rmtree("/.stage")
    for p in send:
        vol.write("/.stage" + p, files[p])
    vol.rmtree("/.ota/blob")
    vol.rmtree("/.ota/state.json")
    vol.write("/.ota/trial.json", b'{"release": 9, "version": "abcdef012345", "boots": 0}')
    ota_swap.swap("/.stage", "/.prev", [p[1:] for p in send], [])


def steady_data(vol: Volume) -> None:
    """What a running terminal keeps in /data (and /.ota) between rounds."""
    vol.write("/data/log.state", bytes(30))
    vol.write("/data/log.state.b", bytes(30))
    vol.write("/data/last_time", b"849571200")
    status = {"t": 849571200, "ok": 1, "seq": 123456, "sent": 123400, "rssi": -67, "err": "",
              "heap": 61234, "fw": "abcdef012345", "round_ms": 1234, "batches": 12}  # fmt: skip
    vol.write("/data/status.json", json.dumps(status).encode())
    vol.write("/data/remote.json", json.dumps({"seq": 17, "applied": [15, 16, 17]}).encode())
    vol.write("/.ota/done.json", b'{"installed": 9, "refused": [], "reports": []}')
    vol.write("/allow.bin", bytes(16 + 6 * ALLOW_CARDS + 8))  # signed allow-list (wire.py)


def provision(vol: Volume, files: dict[str, bytes], staged: bool = False) -> None:
    """``tools provision``: the firmware in place (``tools/deploy._in_place``, version.json
    last); ``staged``: as it was before, staged and swapped like any deploy."""
    if staged:
        deploy_to(vol, {}, files)
    else:
        for p in sorted(files, key=lambda p: p == "/version.json"):
            vol.write(p, files[p])
    vol.fs.makedirs("/data", exist_ok=True)
    vol.write("/release.pub", bytes(56))
    vol.write("/secrets.json.new", b'{"kc": "' + b"0" * 64 + b'", "card_key": "' + b"0" * 32
              + b'", "wifi_password": "rusun-marunda-1"}')  # fmt: skip
    vol.write("/config.json.new", bytes(375))
    ota_swap.rename([("/secrets.json.new", "/secrets.json"), ("/config.json.new", "/config.json")])


def run(blocks: int) -> list[dict[str, object]]:
    files = deploy.release()
    mods = sorted(p for p in files if p.endswith(".mpy"))
    one = changed(files, ["/firmware/app.mpy"])
    every = changed(files, mods)
    rows: list[dict[str, object]] = []

    def case(name: str, steps) -> None:
        vol = Volume(blocks)
        bind(vol)
        try:

            def reset() -> None:
                vol.peak = vol.start = vol.used()

            steps(vol, reset)
            rows.append({"situation": name, "used": vol.used(), "peak": vol.peak, "ok": True})
        except littlefs.LittleFSError as exc:
            rows.append({"situation": name, "used": vol.used(), "peak": vol.peak,
                         "ok": False, "error": str(exc)})  # fmt: skip
        rows[-1]["total"] = blocks
        # growth of the update past what was in use, and what its room check weighed (0: none)
        rows[-1]["grew"] = vol.peak - vol.start if vol.weighed else 0
        rows[-1]["weighed"] = vol.weighed

    case("1 provision, staged (before)", lambda v, reset: provision(v, files, staged=True))
    case("1 provision", lambda v, reset: provision(v, files))
    case("4 provision + steady /data", lambda v, reset: (provision(v, files), steady_data(v)))

    def deploy_one(v, reset):
        provision(v, files), steady_data(v), reset(), deploy_to(v, files, one)

    def deploy_all(v, reset):
        provision(v, files), steady_data(v), reset(), deploy_to(v, files, every)

    def ota_one(v, reset):
        provision(v, files), steady_data(v), reset(), ota_to(v, files, one)

    def ota_all(v, reset):
        provision(v, files), steady_data(v), reset(), ota_to(v, files, every)

    case("2 deploy, 1 module changed", deploy_one)
    case("2 deploy, every module changed", deploy_all)
    case("3 OTA, 1 module changed", ota_one)
    case("3 OTA, every module changed", ota_all)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--blocks", type=int, default=image.vfs_blocks())
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    files = deploy.release()
    big = sum(1 for d in files.values() if len(d) > LFS["cache_size"])
    print(f"firmware: {len(files)} files, {sum(map(len, files.values()))} B, {big} over the "
          f"{LFS['cache_size']} B inline limit; vfs {args.blocks} x 4 KiB")  # fmt: skip
    rows = run(args.blocks)
    print(f"{'situation':34} {'used':>5} {'peak':>5} {'of':>4} {'grew':>5} {'weighed':>7}")
    for r in rows:
        flag = "" if r["ok"] else f"  FULL ({r['error']})"
        print(f"{r['situation']:34} {r['used']:>5} {r['peak']:>5} {r['total']:>4} "
              f"{r['grew']:>5} {r['weighed']:>7}{flag}")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
