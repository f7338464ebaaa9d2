# bench/tools: what the technician tools move over the USB cable, and littlefs blocks they need.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/tools.py [--json FILE]``.

Runs the real CLI with the real mpremote against the device double (``tools/sim/device``) and
counts the bytes that cross the pty in each direction and the raw-REPL executions. Wire time is
modelled for the ESP32's USB-serial bridge at 115200 baud, 8N1 (10 bits a byte); it excludes the
device's own compile and flash-write time. Firmware size in littlefs blocks is measured with
littlefs-python in the ESP32 geometry (4096-byte blocks, cache 128 bytes: small files inlined).
"""

import argparse
import json
import pathlib
import posixpath
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import littlefs  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from tests.kit.technician import K0, RUN_A_DAY, write_bundle  # noqa: E402
from tools import build, deploy, image  # noqa: E402
from tools.cli import app  # noqa: E402
from tools.sim.device import Config, DeviceDouble  # noqa: E402

BAUD = 115200
BITS_PER_BYTE = 10


def blocks_of(files):
    g = image.geometry(1024)
    g["cache_size"] = 128
    fs = littlefs.LittleFS(**g)
    for d in sorted({posixpath.dirname(p) for p in files}):
        if d != "/":
            fs.makedirs(d, exist_ok=True)
    for p, data in files.items():
        with fs.open(p, "wb") as f:
            f.write(data)
    return fs.used_block_count


def measure(double, argv):
    r0, s0, e0 = double.received, double.sent, double.execs
    t0 = time.perf_counter()
    result = CliRunner().invoke(app, ["--port", double.path, *argv], catch_exceptions=False)
    dt = time.perf_counter() - t0
    assert result.exit_code == 0, result.output + result.stderr
    to_dev, from_dev = double.received - r0, double.sent - s0
    return {
        "to_device_B": to_dev,
        "from_device_B": from_dev,
        "execs": double.execs - e0,
        "wire_s_115200": round((to_dev + from_dev) * BITS_PER_BYTE / BAUD, 1),
        "pty_s": round(dt, 2),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    src = build.firmware_files(compile_mpy=False)
    mpy = deploy.release()
    sizes = {
        "files": len(mpy),
        "source_B": sum(map(len, src.values())),
        "mpy_B": sum(map(len, mpy.values())),
        "littlefs_blocks_mpy": blocks_of(mpy),
        "littlefs_blocks_source": blocks_of(src),
    }
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        double = DeviceDouble(tmp / "dev", tmp / "hlog", Config(fs_blocks=64))
        double.start()
        try:
            bundle = write_bundle(tmp / "b.json")
            rows["provision (blank device)"] = measure(
                double, ["provision", "--bundle", str(bundle)]
            )
            rows["deploy, nothing changed"] = measure(double, ["deploy"])
            rows["doctor"] = measure(double, ["doctor"])
            err = double.runtime.execute(
                RUN_A_DAY.format(tid=7, k0=K0, wall=850_000_000, taps=1000)
            )
            assert err == "", err
            out = str(tmp / "p.json")
            rows["pull, 1,003 slots"] = measure(double, ["pull", "--out", out])
        finally:
            double.stop()
    print("firmware:", sizes)
    print(
        f"{'operation':28} {'to dev B':>9} {'from dev B':>10} {'execs':>6} {'wire s':>7}"
        f" {'pty s':>6}"
    )
    for name, r in rows.items():
        print(f"{name:28} {r['to_device_B']:>9} {r['from_device_B']:>10} {r['execs']:>6} "
              f"{r['wire_s_115200']:>7} {r['pty_s']:>6}")  # fmt: skip
    if args.json:
        pathlib.Path(args.json).write_text(
            json.dumps({"firmware": sizes, "operations": rows}, indent=1)
        )


if __name__ == "__main__":
    main()
