# bench/security: the collector under unauthenticated attack: memory, connections, honest latency.
# SPDX-License-Identifier: MIT
"""python bench/security.py [--json FILE] [--quick]

Runs ``python -m sync serve`` as deployed (SQLite, 127.0.0.1, its default limits) in its own
process and samples its resident memory (``/proc/PID/status`` VmRSS, every 5 ms) while:

1. **Unauthenticated bodies**: 40 clients at once stream bodies nobody signed in for: 10 a
   300 MB JSON to ``/api/residents/import`` (Content-Length given), 10 a 300 MB chunked JSON
   (no length: only sign-in can stop it) to ``/api/terminals``, 10 a 500 MB multipart to
   ``/dashboard/login``, 10 a never-ending chunked body to ``/v1/batches``. Reported: the
   answers, the most any client pushed before it was cut (loopback socket buffers included),
   peak RSS over the collector's RSS at rest.
2. **Slow loris**: 800 connections from one address, each sending its request head one header
   line every 2 s, plus 4 connections sending one never-ending header line as fast as they can,
   for 15 s. Reported: connections refused at once (503), kept, still open after the head
   deadline; bytes the never-ending headers pushed; an honest upload from another address
   during the attack (answer and time); peak RSS.
3. **Honest uploads while 60 forged requests run**: one terminal uploads batches of 50 taps one
   after the other from 127.0.0.2, first alone, then while 60 clients keep one forged request each
   in flight (a captured full batch of another terminal, 4,093 taps, with a request MAC of their
   own: the collector must search later keys for it): (a) 60 clients on 60 addresses, each
   claiming its own terminal; (b) 60 clients on one address, all claiming the honest terminal.
   Reported: honest p50/p95/max, forged answers by status.

Peak RSS and latencies depend on the machine (figures in docs/benchmarks.md); the limits they
exercise are ``sync/server.py`` and ``sync/gate.py``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pathlib
import select
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "lib")]

import httpx  # noqa: E402

from bench.collector import MASTER, WALL, Server, _terminal  # noqa: E402
from firmware import wire  # noqa: E402
from sync.app import open_collector  # noqa: E402
from sync.settings import Settings  # noqa: E402

MB = 1024 * 1024
HONEST = "127.0.0.2"
_OCTETS = {"content-type": "application/octet-stream"}


class PeakRss:
    """Samples a process's VmRSS (kB) in a thread until ``stop()``, which returns the peak."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_kb(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_kb(self.pid))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _connect(port: int, source: str = "127.0.0.1", timeout: float = 10) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
    return s


def _status(s: socket.socket) -> str:
    try:
        s.settimeout(5)
        line = s.recv(64).split(b"\r\n", 1)[0].decode("latin-1")
        return line.split(" ")[1] if line.startswith("HTTP/") else "closed"
    except OSError:
        return "closed"


def _stream(port: int, head: bytes, total: int, chunked: bool) -> tuple[str, int]:
    """Send ``head`` then up to ``total`` body bytes as fast as the server takes them; returns
    (the answer's status, bytes pushed before the connection was cut)."""
    s = _connect(port)
    sent = 0
    piece = (b"10000\r\n" + b"x" * 0x10000 + b"\r\n") if chunked else b"{" + b"x" * (0x10000 - 1)
    try:
        s.sendall(head)
        while sent < total and not select.select([s], [], [], 0)[0]:  # until it answers
            s.sendall(piece)
            sent += len(piece)
    except OSError:
        pass
    status = _status(s)
    s.close()
    return status, sent


def bodies_attack(server: Server, quick: bool) -> dict:
    port = server.port
    scale = 10 if quick else 1
    kinds = {
        "json_300MB_api_import": (
            b"POST /api/residents/import HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (300 * MB),
            300 * MB // scale,
            False,
        ),
        "json_chunked_300MB_api": (
            b"POST /api/terminals HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            300 * MB // scale,
            True,
        ),
        "multipart_500MB_login": (
            b"POST /dashboard/login HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; "
            b"boundary=x\r\nContent-Length: %d\r\n\r\n" % (500 * MB),
            500 * MB // scale,
            False,
        ),
        "chunked_endless_batch": (
            b"POST /v1/batches HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n",
            300 * MB // scale,
            True,
        ),
    }
    results: dict[str, list[tuple[str, int]]] = {k: [] for k in kinds}
    lock = threading.Lock()

    def run(kind: str) -> None:
        head, total, chunked = kinds[kind]
        out = _stream(port, head, total, chunked)
        with lock:
            results[kind].append(out)

    rest = rss_kb(server.proc.pid)
    peak = PeakRss(server.proc.pid)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in kinds for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    top = peak.stop()
    return {
        "clients": len(threads),
        "answers": {k: dict(Counter(s for s, _ in v)) for k, v in results.items()},
        "max_pushed_kB": {k: max(n for _, n in v) // 1024 for k, v in results.items()},
        "seconds": round(wall, 2),
        "rss_rest_MB": round(rest / 1024, 1),
        "rss_peak_MB": round(top / 1024, 1),
    }


def _honest_batches(c, door: int, n: int, taps: int = 50) -> list[bytes]:
    term = _terminal(c, "Honest", door)
    term.boot()
    term.clock(WALL)
    out = []
    for r in range(n):
        for k in range(taps):
            term.tap(((r * taps + k) | 1 << 30).to_bytes(4, "big"), advance_ms=20_000)
        out.append(term.batch())
    return out


def _post_from(source: str, port: int, body: bytes) -> tuple[int, float]:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=60) as client:
        t = time.perf_counter()
        r = client.post(f"http://127.0.0.1:{port}/v1/batches", content=bytes(body),
                        headers={"content-type": "application/octet-stream"})  # fmt: skip
        return r.status_code, time.perf_counter() - t


def slow_loris(server: Server, honest: bytes, seconds: float) -> dict:
    port = server.port
    rest = rss_kb(server.proc.pid)
    peak = PeakRss(server.proc.pid)
    conns: list[socket.socket] = []
    refused = 0
    for _ in range(800):
        s = _connect(port)
        s.setblocking(False)
        try:
            s.send(b"POST /v1/batches HTTP/1.1\r\nHost: a\r\n")
        except OSError:
            pass
        conns.append(s)
    time.sleep(0.5)
    open_now = []
    for s in conns:
        if _closed(s):
            refused += 1
            s.close()
        else:
            open_now.append(s)
    kept = len(open_now)
    long_pushed = [0, 0, 0, 0]

    def never_ending(i: int) -> None:
        s = _connect(port)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Long: ")
            while long_pushed[i] < 1024 * MB:
                s.sendall(b"a" * 4096)
                long_pushed[i] += 4096
        except OSError:
            pass
        s.close()

    longs = [threading.Thread(target=never_ending, args=(i,)) for i in range(4)]
    for t in longs:
        t.start()
    honest_status, honest_s = _post_from(HONEST, port, honest)
    t0 = time.monotonic()
    still_open = []
    while time.monotonic() - t0 < seconds:
        still = []
        for s in open_now:
            try:
                s.send(b"X-a: b\r\n")
                still.append(s)
            except OSError:
                s.close()
        open_now = [s for s in still if not _closed(s)]
        still_open.append((round(time.monotonic() - t0, 1), len(open_now)))
        time.sleep(2)
    for t in longs:
        t.join()
    for s in open_now:
        s.close()
    top = peak.stop()
    return {
        "connections": 800,
        "refused_at_once": refused,
        "kept": kept,
        "open_over_time": still_open,
        "never_ending_header_max_pushed_kB": max(long_pushed) // 1024,
        "honest_upload": {"status": honest_status, "ms": round(honest_s * 1000, 1)},
        "rss_rest_MB": round(rest / 1024, 1),
        "rss_peak_MB": round(top / 1024, 1),
    }


def _closed(s: socket.socket) -> bool:
    try:
        data = s.recv(4096, socket.MSG_PEEK)
        return data == b"" or data.startswith(b"HTTP/")
    except BlockingIOError:
        return False
    except OSError:
        return True


def _forged(body: bytes) -> bytes:
    return body[: -wire.REQUEST_MAC_LEN] + os.urandom(wire.REQUEST_MAC_LEN)


def _full_batch(term) -> bytes:
    term.boot()
    term.clock(WALL)
    for i in range(wire.MAX_BATCH_SLOTS - 3):
        term.tap(i.to_bytes(4, "big"), advance_ms=1000)
    return term.batch()


def _latencies(port: int, bodies: list[bytes]) -> list[float]:
    out = []
    transport = httpx.HTTPTransport(local_address=HONEST)
    with httpx.Client(transport=transport, timeout=120) as client:
        for body in bodies:
            t = time.perf_counter()
            r = client.post(f"http://127.0.0.1:{port}/v1/batches", content=bytes(body),
                            headers={"content-type": "application/octet-stream"})  # fmt: skip
            out.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    return out


def _summary(times: list[float]) -> dict:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return {"uploads": len(times), "p50_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(p95 * 1000, 1), "max_ms": round(times[-1] * 1000, 1)}  # fmt: skip


def _forgers(url: str, forged: list[tuple[str, bytes]], ready, stop, out) -> None:
    """In its own process (the honest client's timings must not include the forgers' Python
    work): each of ``forged`` (source address, body) sent again and again with a fresh random
    request MAC, one request in flight per client; the answers' counts go to ``out``."""
    answers: Counter[int] = Counter()
    lock = threading.Lock()
    started = threading.Barrier(len(forged) + 1)

    def forger(source: str, body: bytes) -> None:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, timeout=120) as client:
            started.wait()
            while not stop.is_set():
                try:
                    code = client.post(url, content=_forged(body), headers=_OCTETS).status_code
                except httpx.HTTPError:
                    code = 0
                with lock:
                    answers[code] += 1

    threads = [threading.Thread(target=forger, args=f) for f in forged]
    for t in threads:
        t.start()
    started.wait()
    ready.set()
    for t in threads:
        t.join()
    out.put(dict(answers))


def forged_attack(server: Server, honest: list[bytes], forged: list[tuple[str, bytes]]) -> dict:
    """Honest uploads (this process) while 60 forgers (another process) keep sending."""
    mp = multiprocessing.get_context("spawn")
    ready, stop, out = mp.Event(), mp.Event(), mp.Queue()
    url = f"http://127.0.0.1:{server.port}/v1/batches"
    proc = mp.Process(target=_forgers, args=(url, forged, ready, stop, out))
    proc.start()
    try:
        ready.wait(120)
        time.sleep(1.0)  # every forger has a request in flight
        peak = PeakRss(server.proc.pid)
        times = _latencies(server.port, honest)
    finally:
        stop.set()
    answers = out.get(timeout=300)
    proc.join(60)
    return {**_summary(times), "forged_answers": answers,
            "rss_peak_MB": round(peak.stop() / 1024, 1)}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="smaller attacks (a smoke run)")
    args = ap.parse_args()
    uploads = 10 if args.quick else 40
    with tempfile.TemporaryDirectory(prefix="hadir-bench-sec-") as tmp:
        db = os.path.join(tmp, "collector.db")
        c = open_collector(Settings(db=db, master_key=MASTER))
        alone = _honest_batches(c, 1, uploads)
        under_a = _honest_batches(c, 2, uploads)
        # (b): the last batch is captured before the terminal sends it; forgers claim its id
        under_b = _honest_batches(c, 3, uploads + 1)
        loris = _honest_batches(c, 4, 1)
        decoys = [_full_batch(_terminal(c, "Decoy", 1 + i)) for i in range(60)]
        c.db.close()
        server = Server(db)
        try:
            results = {"bodies": bodies_attack(server, args.quick)}
            results["slow_loris"] = slow_loris(server, loris[0], 6 if args.quick else 15)
            results["honest_alone"] = _summary(_latencies(server.port, alone))
            results["forged_60_addresses"] = forged_attack(
                server, under_a, [(f"127.0.1.{i + 1}", d) for i, d in enumerate(decoys)]
            )
            results["forged_60_one_address"] = forged_attack(
                server, under_b[:-1], [("127.0.2.1", under_b[-1])] * 60
            )
            results["rss_end_MB"] = round(rss_kb(server.proc.pid) / 1024, 1)
        finally:
            server.stop()
    _print(results)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


def _print(r: dict) -> None:
    b, s = r["bodies"], r["slow_loris"]
    print(f"{'attack':<44} {'result':<60}")
    print(f"{'unauthenticated bodies (40 clients)':<44} peak RSS {b['rss_peak_MB']} MB "
          f"(at rest {b['rss_rest_MB']} MB), {b['seconds']} s")  # fmt: skip
    for kind, answers in b["answers"].items():
        print(f"{'  ' + kind:<44} answers {answers}, most pushed {b['max_pushed_kB'][kind]} kB")
    print(f"{'slow loris (800 conns, one address)':<44} kept {s['kept']}, refused at once "
          f"{s['refused_at_once']}, peak RSS {s['rss_peak_MB']} MB")  # fmt: skip
    print(f"{'  open over time (s, conns)':<44} {s['open_over_time']}")
    print(f"{'  never-ending header':<44} cut after {s['never_ending_header_max_pushed_kB']} kB")
    print(f"{'  honest upload from another address':<44} {s['honest_upload']}")
    for key in ("honest_alone", "forged_60_addresses", "forged_60_one_address"):
        x = r[key]
        extra = f", forged answers {x['forged_answers']}" if "forged_answers" in x else ""
        print(f"{key:<44} p50 {x['p50_ms']} ms, p95 {x['p95_ms']} ms, max {x['max_ms']} ms"
              f"{extra}")  # fmt: skip


if __name__ == "__main__":
    main()
