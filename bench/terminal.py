# bench/terminal: modelled tap → feedback time, heap high-water and allocations per tap.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/terminal.py [--json FILE]``.

Every figure comes from the real MicroPython interpreter (the WebAssembly port), through the
device tests that print them:

- interpreter work of one tap (``reader_step`` from the card's answer to the feedback, incl.
  token, allow-list search over 1,000 cards, ``log.append``): ``test_terminal_timing.py``, 200
  taps (TAPUS lines: CPU µs of the interpreter process, flash pages programmed, erases). The
  ESP32 runs bytecode slower than this x86 machine: the model multiplies by ``--esp32-factor``
  (default 30, an assumption, not a measurement: docs/benchmarks.md gives p99 for 10-50) after
  replacing the pure-Python AES (AESUS) by ESP32 cryptolib's C AES (``_AES_ESP32_US``);
- wire time: InListPassiveTarget + ACK + answer for a 4-byte UID, 36 bytes at 115200 baud 8N1;
- flash: per tap, pages programmed x tPP and erases x tSE of a W25Q32JV (typical and maximum,
  data sheet §9.6: tPP 0.4 / 3 ms, tSE 45 / 400 ms);
- waiting for the next poll: the reader task polls every 20 ms + a poll, spread evenly;
- heap: ``test_terminal_heap.py`` (10,000 taps, 20 syncs, 1,000-card list): live heap after
  collections + the most allocated in one stretch with the GC off (see that test's docstring);
- allocations per tap: ``test_terminal_alloc.py``.
Targets: p99 <= 100 ms modelled, heap <= 64 KB, 0 bytes allocated per tap.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
BAUD = 115200
POLL_BYTES = 36  # bench/reader.py: Classic 1K, 4-byte UID over HSU
POLL_PERIOD_MS = 20 + 36 * 10 * 1000 / BAUD  # reader task sleep + one poll on the wire
_AES_ESP32_US = 20  # cryptolib.aes (mbedTLS) one block, ESP32 240 MHz: order of magnitude
T_PP = (0.4, 3.0)  # ms, typical / max
T_SE = (45.0, 400.0)


def run(module):
    return subprocess.run(
        ["node", "tests/runner/mpy.mjs", "tests/device/" + module],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def _pair(d):
    return "%s / %s" % (d["p50"], d["p99"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--esp32-factor", type=float, default=30.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = run("test_terminal_timing.py")
    samples = [
        tuple(map(int, m.groups())) for m in re.finditer(r"^TAPUS (\d+) (\d+) (\d+)$", out, re.M)
    ]
    aes = float(re.search(r"^AESUS ([\d.]+)$", out, re.M)[1])
    if not samples:
        print(out)
        return 1
    wire_ms = POLL_BYTES * 10 * 1000 / BAUD
    typ, worst, measured = [], [], []
    n = len(samples)
    for i, (us, pages, erases) in enumerate(samples):
        wait = POLL_PERIOD_MS * i / n
        interp = max(0.0, us - aes) * args.esp32_factor / 1000 + _AES_ESP32_US / 1000
        measured.append(us / 1000)
        typ.append(wait + wire_ms + interp + pages * T_PP[0] + erases * T_SE[0])
        worst.append(wait + wire_ms + interp + pages * T_PP[1] + erases * T_SE[1])

    def p99_for(factor):
        vals = []
        for i, (us, pages, erases) in enumerate(samples):
            interp = max(0.0, us - aes) * factor / 1000 + _AES_ESP32_US / 1000
            vals.append(
                POLL_PERIOD_MS * i / n + wire_ms + interp + pages * T_PP[1] + erases * T_SE[1]
            )
        return round(pct(vals, 99), 1)

    sensitivity = {str(int(f)): p99_for(f) for f in (10, 20, 30, 50)}
    heap_out = run("test_terminal_heap.py")
    heap = re.search(r"^HEAP need (\d+) live-high (\d+) stretch-high (\d+)$", heap_out, re.M)
    alloc_out = run("test_terminal_alloc.py")
    allocs = {m[1]: int(m[2]) for m in re.finditer(r"^ALLOC (\S+) (\d+)$", alloc_out, re.M)}
    result = {
        "taps_measured": n,
        "runs": args.runs,
        "interpreter_us_wasm": {
            "p50": pct([s[0] for s in samples], 50),
            "p99": pct([s[0] for s in samples], 99),
        },  # fmt: skip
        "aes_us_wasm": aes,
        "esp32_factor": args.esp32_factor,
        "wire_ms": round(wire_ms, 2),
        "flash_pages_per_tap": max(s[1] for s in samples),
        "flash_erases_per_tap": max(s[2] for s in samples),
        "tap_to_feedback_ms_typical": {
            "p50": round(pct(typ, 50), 1),
            "p99": round(pct(typ, 99), 1),
        },
        "tap_to_feedback_ms_worst_flash": {
            "p50": round(pct(worst, 50), 1),
            "p99": round(pct(worst, 99), 1),
        },  # fmt: skip
        "p99_ms_max_flash_by_esp32_factor": sensitivity,
        "heap_need_bytes": int(heap[1]) if heap else None,
        "heap_live_high_bytes": int(heap[2]) if heap else None,
        "heap_stretch_high_bytes": int(heap[3]) if heap else None,
        "heap_limit_bytes": 65536,
        "allocated_bytes_per_tap": allocs,
        "targets": {"p99_ms": 100, "heap_bytes": 65536, "allocated_bytes_per_tap": 0},
    }
    print(f"{'figure':44} {'value':>12}")
    rows = [
        ("taps measured (MicroPython 1.27 wasm)", n),
        ("interpreter CPU p50 / p99, wasm µs", _pair(result["interpreter_us_wasm"])),
        ("pure-Python AES per token, wasm µs", round(aes)),
        ("wire time per poll, ms", result["wire_ms"]),
        ("flash pages / erases per tap (max)", "%d / %d" % (result["flash_pages_per_tap"],
                                                          result["flash_erases_per_tap"])),
        ("tap→feedback p50 / p99, ms (typ. flash)", _pair(result["tap_to_feedback_ms_typical"])),
        ("tap→feedback p50 / p99, ms (max fl.)", _pair(result["tap_to_feedback_ms_worst_flash"])),
        ("p99 (max fl.) for factor 10/20/30/50, ms", " / ".join(map(str, sensitivity.values()))),
        ("heap needed (live + stretch, GC off), bytes", result["heap_need_bytes"]),
        ("live heap high-water (after GC), bytes", result["heap_live_high_bytes"]),
        ("largest stretch without GC, bytes", result["heap_stretch_high_bytes"]),
        ("allocated bytes per tap", ", ".join(f"{k} {v}" for k, v in allocs.items())),
    ]  # fmt: skip
    for name, value in rows:
        print(f"{name:44} {value!s:>12}")
    ok = (
        result["tap_to_feedback_ms_worst_flash"]["p99"] <= 100
        and heap is not None
        and int(heap[1]) <= 65536
        and allocs
        and all(v == 0 for v in allocs.values())
    )
    print("targets met" if ok else "TARGETS NOT MET")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
