# Collector reliability: a crash between commit and reply, concurrent uploads (1 and 32 terminals).
# SPDX-License-Identifier: MIT
import subprocess
import sys
import threading
import time

import httpx

from firmware import wire
from sync.service import admin
from sync.service.scope import OPERATOR
from sync.store import records
from tests.kit.collector_calls import TOKEN_A, TOKEN_B, kc, register, resend
from tests.kit.liveserver import serve
from tests.kit.paths import ROOT


def _upload(base, body):
    return httpx.post(base + "/v1/batches", content=bytes(body), timeout=30,
                      headers={"content-type": "application/octet-stream"})  # fmt: skip


def _start(db, tmp_path, crash):
    port_file = tmp_path / ("port-crash" if crash else "port")
    args = [sys.executable, "-m", "tests.kit.liveserver", "crashing", db, str(port_file)]
    proc = subprocess.Popen(args + (["--crash"] if crash else []), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 30
    while not port_file.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port_file.read_text()}"


def test_crash_between_commit_and_reply_then_retry_is_a_noop(collector, settings, tmp_path):
    term = register(collector)
    term.boot()
    for i in range(50):
        term.tap(TOKEN_A if i % 2 else TOKEN_B)
    body = term.batch()
    proc, base = _start(settings.db, tmp_path, crash=True)
    try:
        try:
            _upload(base, body)
            raise AssertionError("the server should have died before replying")
        except httpx.HTTPError:
            pass
        assert proc.wait(timeout=30) == 9
    finally:
        if proc.poll() is None:
            proc.kill()
    with collector.db.read() as tx:
        assert records.count_records(tx, term.terminal_id) == 51  # committed before the crash
    proc, base = _start(settings.db, tmp_path, crash=False)
    try:
        response = _upload(base, body)  # the terminal retries the same batch
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    status, acked, *_ = wire.decode_reply(kc(term), body[-16:], response.content)
    assert (status, acked) == (wire.REPLY_OK, 52)
    with collector.db.read() as tx:
        assert records.count_records(tx, term.terminal_id) == 51


def test_concurrent_uploads_from_one_terminal(app, collector):
    term = register(collector)
    bodies = []
    for _ in range(6):
        term.boot()
        term.tap(TOKEN_A)
        bodies.append(term.batch())
    # The terminal retries: the same bodies and the whole backlog, all at once.
    last = resend(term, *bodies)
    uploads = bodies * 2 + [last] * 4
    results = []
    with serve(app) as base:
        threads = [threading.Thread(target=lambda b=b: results.append(_upload(base, b)))
                   for b in uploads]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = _upload(base, last)
    assert all(r.status_code in (200, 401) for r in results)  # 401: replay of an older key
    status, acked, *_ = wire.decode_reply(kc(term), last[-16:], final.content)
    assert (status, acked) == (wire.REPLY_OK, term.next_seq)
    with collector.db.read() as tx:
        seqs = [r["seq"] for r in records.records_of(tx, term.terminal_id)]
    assert seqs == [s for s in range(term.next_seq) if s % 3 != 2]  # boot, tap, seal per batch


def test_concurrent_uploads_from_32_terminals(app, collector):
    terms = [register(collector, f"Rusun{i % 23}", i // 23 + 1) for i in range(32)]
    bodies = []
    for term in terms:
        term.boot()
        term.clock(850_000_000)
        for i in range(40):
            term.tap(TOKEN_A if i % 2 else TOKEN_B)
        bodies.append((term, term.batch()))
    results = {}
    with serve(app) as base:

        def send(term, body):
            results[term.terminal_id] = [_upload(base, body), _upload(base, body)]

        threads = [threading.Thread(target=send, args=tb) for tb in bodies]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for term, body in bodies:
        for response in results[term.terminal_id]:
            assert wire.decode_reply(kc(term), body[-16:], response.content)[:2] == (0, 43)
    with collector.db.read() as tx:
        assert records.count_records(tx) == 32 * 42
        assert len(admin.list_terminals(collector, scope=OPERATOR)) == 32
