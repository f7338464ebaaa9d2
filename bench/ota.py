# bench/ota: network updates: bytes per update, rollout time of 32 terminals, taps meanwhile.
# SPDX-License-Identifier: MIT
"""Usage: ``.venv/bin/python bench/ota.py [--json FILE] [--terminals 32] [--taps 150]``.

1. Rollout (``tools/sim/fleet/rollout.py``): the real collector and ``--terminals`` simulated
   terminals (the real firmware) over 23 rusun, a release of the terminal's code as ``.mpy``
   (one module changed), waves with a canary per rusun, a sync every 300 s (the fleet's
   interval), a card at every terminal each minute, two terminals losing power in the middle of
   their swap. Figures: terminals, bricked (code on disk that is neither release), lost_taps,
   rollout_s (simulated: publish to the last terminal's report), update_bytes (one terminal's
   release traffic, request and answer bodies).
2. Tap latency (one run, this interpreter): the terminal's own reader task (``firmware/
   tasks.py``, a poll every 20 ms) answers cards placed at random moments; first ``--taps``
   taps while idle, then ``--taps`` more while the uplink downloads, checks and installs the
   same release from a paper collector answering each request after 250 ms. Latency is from the
   card's placing to the terminal's answer; the ratio of the p99s is the figure (target <= 1.5).
3. The manifest's signature check on MicroPython's 32-bit unix port (the ESP32's word size, a
   hard heap limit): ``lib/lms.py`` verifying a real H10/W4 signature of a 5 KB manifest; time
   (``ticks_us``, best of 5) and the least free heap (1 KB steps, the rest taken by a ballast
   block) in which the check passes.
"""

import argparse
import asyncio
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
for entry in (ROOT / "lib", ROOT):
    sys.path.insert(0, str(entry))

from firmware import taps as ftaps  # noqa: E402
from firmware import wire  # noqa: E402
from sync.service import releases  # noqa: E402
from tests.kit.paperrelease import ReleaseCollector, ReleaseKey, signed_release  # noqa: E402
from tests.kit.paths import shared  # noqa: E402
from tests.kit.termkit import K0, TID, Rig  # noqa: E402
from tools import deploy  # noqa: E402
from tools.sim.fleet.rollout import run_rollout  # noqa: E402

_ANSWERED = (ftaps.TAPPED, ftaps.DENIED, ftaps.REPEAT)


def _p(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


async def _latencies(taps):
    net = ReleaseCollector(TID, K0)
    rig = Rig(http=net, real_clock=True)
    key = ReleaseKey(bytes(range(32)))
    with open(rig.root + "/release.pub", "wb") as f:
        f.write(key.public)
    t = rig.restart()
    files = sorted((p.lstrip("/"), d) for p, d in deploy.release(compile_mpy=True).items())
    manifest, blob = signed_release(key, 1, "bench0000000", files)
    state = {"placed": None, "answered": asyncio.Event(), "lat": []}
    step = t.reader_step

    def reader_step():
        r = step()
        if r in _ANSWERED and state["placed"] is not None:
            state["lat"].append(time.perf_counter() - state["placed"])
            state["placed"] = None
            state["answered"].set()
        return r

    t.reader_step = reader_step
    runner = asyncio.create_task(t.run(names=["reader"]))
    rng = random.Random(7)

    async def resident(n, until=None):
        got = []
        k = 0
        while (until is None and k < n) or (until is not None and not until.done()):
            await asyncio.sleep(rng.uniform(0.005, 0.03))
            k += 1
            uid = "%08X" % (0x04000000 + len(state["lat"]) + 1)
            card = rig.place("classic1k:" + uid)
            state["answered"].clear()
            state["placed"] = time.perf_counter()
            await asyncio.wait_for(state["answered"].wait(), 5)
            got.append(state["lat"][-1])
            rig.remove(card)
            await asyncio.sleep(0.05)  # the card is taken away
        return got

    await t.sync_step()  # first contact
    idle = await resident(taps)
    net.delay_ms = 250
    net.publish(1, manifest, blob)
    download = asyncio.create_task(t.sync_step())
    during = await resident(0, until=download)
    await download
    runner.cancel()
    return idle, during, t.ota.restart, len(blob), net.chunk_gets


_VERIFY = """
import sys, time, gc
sys.path.insert(0, %(lib)r)
import lms
pk = %(pk)r
msg = %(msg)r
sig = %(sig)r
best = None
for _ in range(5):
    gc.collect()
    t0 = time.ticks_us()
    ok = lms.verify(pk, msg, sig)
    dt = time.ticks_diff(time.ticks_us(), t0)
    best = dt if best is None or dt < best else best
need = None
for kb in range(1, 64):
    gc.collect()
    ballast = [None] * 4096
    i = 0
    for size in (1000, 200, 40):
        try:
            while gc.mem_free() > kb * 1024 + size + 64 and i < 4096:
                ballast[i] = bytearray(size)
                i += 1
        except MemoryError:
            pass
    gc.collect()
    left = gc.mem_free()
    try:
        lms.verify(pk, msg, sig)
        need = kb
    except MemoryError:
        pass
    ballast = None
    if need:
        break
print("VERIFY", int(ok), best, need, left)
"""


def _unix_port():
    built = ROOT / "build/micropython-unix/micropython"
    if built.is_file():
        return built
    base = shared("micropython-unix")
    binary = base / "bin/micropython-1.27-i386" if base is not None else None
    return binary if binary is not None and binary.is_file() else None


def _verify_figures():
    """(ms, free heap in KB in which the check passed) on the unix port, or None."""
    binary = _unix_port()
    if binary is None:
        return None
    ident, seed = os.urandom(16), os.urandom(32)
    public, tree = wire.release_key(releases.LMS_TYPE, releases.OTS_TYPE, ident, seed)
    msg = os.urandom(5000)
    sig = wire.release_signature(releases.LMS_TYPE, releases.OTS_TYPE, ident, seed, tree, 7, msg,
                                 os.urandom(32))  # fmt: skip
    with tempfile.TemporaryDirectory() as d:
        script = pathlib.Path(d) / "verify.py"
        script.write_text(_VERIFY % {"lib": str(ROOT / "lib"), "pk": public, "msg": msg,
                                     "sig": bytes(sig)})  # fmt: skip
        r = subprocess.run([str(binary), "-X", "heapsize=160k", str(script)],
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    words = r.stdout.split()
    if "VERIFY" not in words or words[words.index("VERIFY") + 1] != "1":
        return None
    at = words.index("VERIFY")
    return int(words[at + 2]) / 1000, int(words[at + 4]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--terminals", type=int, default=32)
    parser.add_argument("--taps", type=int, default=150)
    args = parser.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        fig = run_rollout(d, terminals=args.terminals, cut=(0, args.terminals - 1))
    wall = time.perf_counter() - t0
    idle, during, installed, size, chunks = asyncio.run(_latencies(args.taps))
    ratio = _p(during, 0.99) / _p(idle, 0.99)
    verify = _verify_figures()
    result = dict(fig)
    result.update({
        "tap_p99_idle_ms": round(_p(idle, 0.99) * 1000, 2),
        "tap_p99_download_ms": round(_p(during, 0.99) * 1000, 2),
        "tap_p50_idle_ms": round(_p(idle, 0.5) * 1000, 2),
        "tap_p50_download_ms": round(_p(during, 0.5) * 1000, 2),
        "taps_idle": len(idle),
        "taps_during_download": len(during),
        "download_installed": installed,
        "download_chunks": len(chunks),
        "tap_p99_ratio_download_vs_idle": round(ratio, 2),
        "rollout_wall_s": round(wall, 1),
        "lms_verify_ms_unix_port": round(verify[0], 2) if verify else None,
        "lms_verify_free_heap_kb_unix_port": round(verify[1], 1) if verify else None,
    })  # fmt: skip
    print("%-34s %s" % ("figure", "value"))
    for k, v in result.items():
        print("%-34s %s" % (k, v))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
