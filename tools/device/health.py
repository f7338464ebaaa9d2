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


def main():
    cfg = _json("/config.json") or {}
    st = os.statvfs("/")
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
        "fs": {"total": st[0] * st[2], "free": st[0] * st[3]},
        "now": time.time(),
        "secrets": _json("/secrets.json") is not None,
        "allow": _size("/allow.bin"),
    }


def _size(path):
    try:
        return os.stat(path)[6]
    except OSError:
        return None
