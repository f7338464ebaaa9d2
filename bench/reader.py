# bench/reader: PN532 driver figures: bytes on the wire per UID read, modelled wire time, allocs.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/reader.py [--json FILE]``.

Bytes are counted on the recording fake transports of the device tests while the real driver
runs a poll (command, ACK, answer; HSU wake-up excluded: it is sent once after power-up or
power-down). Wire time is modelled for HSU at 115200 baud, 8N1 (10 bits a byte). Allocations per
poll come from the real MicroPython interpreter (``node tests/runner/mpy.mjs
tests/lib/pn532/test_pn532_alloc.py``, its ALLOC lines).
Targets: <= 64 bytes per UID read, 0 allocs.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
for entry in (ROOT / "lib", ROOT):
    sys.path.insert(0, str(entry))

import pn532  # noqa: E402
from tests.kit.pn532fake import ACK, CMD, RSP, WAKE, FakeI2C, FakeUART  # noqa: E402

BAUD = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop
I2C_WINDOW = 64  # pn532.i2c._WINDOW
ILPT = CMD("4A 01 00")
CASES = {
    "no card": RSP("4B 00"),
    "Classic 1K, 4-byte UID": RSP("4B 01 01 00 04 08 04 DE AD BE EF"),
    "NTAG, 7-byte UID": RSP("4B 01 01 00 44 00 07 04 A1 B2 C3 D4 E5 80"),
    "DESFire, 7-byte UID + ATS": RSP(
        "4B 01 01 03 44 20 07 04 11 22 33 44 55 66 06 75 77 81 02 80"
    ),
}


def uart_bytes(answer):
    fake = FakeUART([(WAKE, []), (ILPT, [ACK(), answer])])
    reader = pn532.PN532UART(fake)
    reader.read_passive_target()
    assert fake.done(), fake.mismatch
    return fake.bytes_out() - len(WAKE) + fake.bytes_in


def i2c_bytes(answer):
    fake = FakeI2C([(ILPT, [ACK(), answer])])
    pn532.PN532I2C(fake).read_passive_target()
    assert fake.done(), fake.mismatch
    # written frame + one status byte per ready poll + status and window per frame read
    return sum(len(w) for w in fake.written) + fake.status_reads + 2 * (1 + I2C_WINDOW)


def allocations():
    out = subprocess.run(
        ["node", "tests/runner/mpy.mjs", "tests/lib/pn532/test_pn532_alloc.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return {m[1]: int(m[2]) for m in re.finditer(r"^ALLOC (\S+) (\d+)$", out, re.M)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    rows = []
    for name, answer in CASES.items():
        n = uart_bytes(answer)
        rows.append(
            {
                "case": name,
                "uart_bytes": n,
                "uart_wire_ms": round(n * BITS_PER_BYTE * 1000 / BAUD, 2),
                "i2c_bytes": i2c_bytes(answer),
            }
        )
    allocs = allocations()
    print(f"{'poll':28} {'HSU bytes':>9} {'HSU ms @115200':>14} {'I2C bytes':>9}")
    for r in rows:
        print(f"{r['case']:28} {r['uart_bytes']:>9} {r['uart_wire_ms']:>14} {r['i2c_bytes']:>9}")
    print()
    print("allocations per poll after warm-up, MicroPython 1.27 (WebAssembly port):")
    for name, n in allocs.items():
        print(f"  {name:16} {n} bytes")
    uid_reads = [r["uart_bytes"] for r in rows if r["case"] != "no card"]
    result = {
        "baud": BAUD,
        "polls": rows,
        "max_uart_bytes_per_uid_read": max(uid_reads),
        "target_bytes_per_uid_read": 64,
        "allocated_bytes_per_poll": allocs,
        "target_allocated_bytes": 0,
    }
    ok = max(uid_reads) <= 64 and allocs and all(v == 0 for v in allocs.values())
    print()
    print("targets met" if ok else "TARGETS NOT MET")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
