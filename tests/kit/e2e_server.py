# e2e_server: a real collector for the MicroPython end-to-end test, driven over stdin/stdout.
# SPDX-License-Identifier: MIT
"""Started by tests/firmware/test_terminal_e2e_bridge.bridge.mjs:
``python -m tests.kit.e2e_server``.
Prints one JSON line ``{"url": …, "bundle": {…}}`` (a registered terminal of a rusun with one
enrolled card), then answers ``records TID`` lines with the terminal's records as one JSON line;
stops (server, database, temporary folder) when stdin closes."""

from __future__ import annotations

import json
import pathlib
import sys
import tempfile

from tests.kit.collector_thread import Running


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hadir-e2e-") as tmp, Running(pathlib.Path(tmp)) as c:
        c.enroll([("R1", "Siti", "A-101", "04A1B2C3")])
        bundle = c.register()
        print(json.dumps({"url": c.url, "bundle": bundle}), flush=True)
        for line in sys.stdin:
            cmd = line.split()
            if cmd[:1] == ["records"]:
                rows = c.records(int(cmd[1]))
                print(json.dumps(rows, default=str), flush=True)


if __name__ == "__main__":
    main()
