# ident: device-side snippet; which MicroPython runs, and which terminal identity the device holds.
# SPDX-License-Identifier: MIT
import json
import os
import sys


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def partitions():
    """[label, type, subtype, offset, size] of every app and data partition (tools doctor and
    provision compare them with hadir's table)."""
    try:
        import esp32
    except ImportError:
        return []
    out = []
    for kind in (0, 1):  # Partition.TYPE_APP, Partition.TYPE_DATA
        for p in esp32.Partition.find(kind):
            t, sub, addr, size, label, _ = p.info()
            out.append([label, t, sub, addr, size])
    return out


def main():
    impl = sys.implementation
    out = {
        "name": impl.name,
        "version": tuple(impl.version[:3]),
        "mpy": getattr(impl, "_mpy", 0),
        "machine": getattr(impl, "_machine", ""),
        "terminal_id": None,
        "rusun": None,
        "secrets": _exists("/secrets.json"),
        "data": False,
        "collector_url": None,
        "parts": partitions(),
        "wiping": _exists("/.wipe"),  # a wipe cut halfway (tools/device/wipe.py)
    }
    try:
        with open("/config.json") as f:
            cfg = json.load(f)
        out["terminal_id"] = cfg.get("terminal_id")
        out["rusun"] = cfg.get("rusun")
        out["collector_url"] = cfg.get("collector_url")
    except (OSError, ValueError):
        pass
    try:
        out["data"] = len(os.listdir("/data")) > 0
    except OSError:
        pass
    return out
