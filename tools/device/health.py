# health: device-side snippet for doctor; reads the terminal's files and log state, writes nothing.
# SPDX-License-Identifier: MIT
"""``/data/status.json`` (written by the application, if it does) is read as it is; the log's
counters come from ``firmware.log`` itself, on the raw ``hlog`` partition."""

import json
import os
import time


def _json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def log_state(terminal_id):
    try:
        import esp32

        from firmware.log import Log

        parts = esp32.Partition.find(esp32.Partition.TYPE_DATA, label="hlog")
        if not parts:
            return {"error": "no hlog partition"}
        log = Log(parts[0], "/data", terminal_id)
        return {
            "has_key": log.has_key(),
            "next_seq": log.next_seq,
            "acked": log.acked,
            "backlog": log.backlog,
            "used_per_mille": log.used_per_mille,
            "capacity": log.capacity,
            "boot_counter": log.boot_counter,
            "epoch": log.epoch,
            "corrupt_found": len(log.reports),
        }
    except Exception as exc:  # noqa: BLE001 - doctor reports whatever is wrong, it never stops
        return {"error": repr(exc)}


def _dirs(path):
    n = 0
    for entry in os.ilistdir(path or "/"):
        if entry[1] == 0x4000:
            n += 1 + _dirs(path + "/" + entry[0])
    return n


def fs_room(root=""):
    """Total and free bytes of the littlefs at ``root``. MicroPython's ``statvfs`` counts used
    blocks with ``lfs_fs_traverse`` (``extmod/vfs_lfsx.c``), which visits every directory's
    metadata pair twice -- from the list of pairs and again from its parent's entry -- so its
    free count is short by 2 blocks per directory below the root, and goes below zero on a
    nearly full file system. Counted back here."""
    st = os.statvfs(root or "/")
    return {"total": st[0] * st[2], "free": st[0] * (st[3] + 2 * _dirs(root))}


def main():
    cfg = _json("/config.json") or {}
    return {
        "config": {
            k: cfg.get(k)
            for k in (
                "terminal_id",
                "rusun",
                "door",
                "reader",
                "wifi_ssid",
                "collector_url",
                "sync_interval_s",
            )
        },  # fmt: skip
        "pins": cfg.get("pins"),
        "version": _json("/version.json"),
        "status": _json("/data/status.json"),
        "log": log_state(cfg.get("terminal_id") or 0) if cfg else {"error": "no config.json"},
        "fs": fs_room(),
        "now": time.time(),
        "secrets": _json("/secrets.json") is not None,
        "allow": _size("/allow.bin"),
    }


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return None
