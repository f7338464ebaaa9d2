# The server's own alert loop: alerts reach people with no timer installed, one pass at a time.
# SPDX-License-Identifier: MIT
import logging
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from firmware import wire
from sync.alert_loop import AlertLoop
from sync.app import create_app, open_collector
from sync.notify import Smtp
from sync.service import alerts
from sync.service.scope import OPERATOR
from sync.settings import Settings, SettingsError, alerts_every
from sync.store import notices
from tests.kit.collector_calls import post, register
from tests.kit.liveserver import MASTER_KEY
from tests.kit.liveserver import Collector as LiveCollector
from tests.kit.mailbox import free_port, mailbox
from tests.kit.paths import ROOT

EVERY_S = 0.05  # the loop's interval here: many passes while a test waits


def _tamper(client, collector, term):
    """One batch with a TAMPER record (clock from the collector's own time: no clock trouble)."""
    term.boot()
    term.clock(int(collector.now()) - wire.HOST_EPOCH_OFFSET - 5)
    term.event(wire.TAMPER, 1, 1)
    body = term.batch({"clock_quality": 1, "storage_per_mille": 100})
    assert post(client, body).status_code == 200


def _wait(predicate, what, limit_s=30.0):
    """Polls until ``predicate()``; a deadline so a broken loop fails instead of hanging (the
    assertion is on what arrived, never on how long it took)."""
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def _passes_after(loops, n):
    """Waits until each loop has finished ``n`` more passes than now."""
    marks = [lp.passes for lp in loops]
    _wait(lambda: all(lp.passes >= m + n for lp, m in zip(loops, marks)), f"{n} more passes")


def test_a_live_server_tells_people_by_itself(tmp_path):
    with (
        mailbox() as inbox,
        LiveCollector(tmp_path, alerts_every_s=EVERY_S, smtp=inbox.sender) as live,
    ):
        term = register(live.collector)
        alerts.add_recipient(live.collector, "email", "kepala@marunda.test", rusun="Marunda",
                             digest=False, scope=OPERATOR)  # fmt: skip
        with httpx.Client(base_url=live.url) as http:
            _tamper(http, live.collector, term)
        _wait(lambda: inbox.messages, "an e-mail")  # nobody called `alerts run`
        loop = live.app.state.alert_loop
        _passes_after([loop], 3)
        ((rcpt, _),) = inbox.messages
        assert rcpt == ["kepala@marunda.test"]
        assert f"terminal {term.terminal_id} (Marunda)" in inbox.texts()[0]
        assert "tamper" in inbox.texts()[0]
    assert not loop.running()  # stopped with the server


def test_python_m_sync_serve_runs_the_loop_and_stops_it_cleanly(tmp_path):
    key = "11" * 32
    db = str(tmp_path / "h.db")
    port = free_port()
    with mailbox() as inbox:
        env = dict(os.environ, HADIR_MASTER_KEY=key, HADIR_DB=db, HADIR_ALERTS_EVERY="0.2",
                   HADIR_SMTP_HOST="127.0.0.1",
                   HADIR_SMTP_PORT=str(inbox.sender.port))  # fmt: skip
        c = open_collector(Settings(db=db, master_key=bytes.fromhex(key)))
        term = register(c)
        alerts.add_recipient(c, "email", "kepala@marunda.test", digest=False, scope=OPERATOR)
        server = subprocess.Popen([sys.executable, "-m", "sync", "serve", "--port", str(port)],
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
                _wait(lambda: _answers(http), "the server up")
                _tamper(http, c, term)
            _wait(lambda: inbox.messages, "an e-mail from the server's own loop")
            assert "tamper" in inbox.texts()[0]
        finally:
            server.terminate()
            _, err = server.communicate(timeout=60)
            c.db.close()
    # uvicorn ends by re-raising the SIGTERM it handled; the lifespan's shut-down (the loop's
    # stop, then the database closed) ran before.
    assert server.returncode in (0, -signal.SIGTERM), err
    assert "Application shutdown complete." in err, err
    assert "Traceback" not in err, err


def _answers(http):
    try:
        return http.get("/healthz").status_code == 200
    except httpx.TransportError:
        return False


def test_two_collectors_on_one_database_send_it_once(db_url):
    # A slow mail server keeps each send open a while: without the lease both processes would
    # read "not told yet" and both send.
    with mailbox(delay_s=0.3) as inbox:
        apps = [
            create_app(
                Settings(
                    db=db_url, master_key=MASTER_KEY, alerts_every_s=EVERY_S, smtp=inbox.sender
                )
            )  # fmt: skip
            for _ in range(2)
        ]
        first = apps[0].state.collector
        term = register(first)
        alerts.add_recipient(first, "email", "ops@dinas.test", digest=False, scope=OPERATOR)
        with TestClient(apps[0]) as one, TestClient(apps[1]):
            _tamper(one, first, term)
            _wait(lambda: inbox.messages, "an e-mail")
            _passes_after([a.state.alert_loop for a in apps], 5)
            assert len(inbox.messages) == 1, inbox.texts()
            with first.db.read() as tx:
                assert tx.value("SELECT COUNT(*) FROM alert_sends") == 1
        for a in apps:
            a.state.collector.db.close()


def test_one_pass_at_a_time(collector, clock):
    now = int(clock.now)
    with collector.db.write() as tx:
        assert notices.take_lease(tx, "delivery", "other:1", now, now + 300)
    assert alerts.run(collector, []) == {"busy": 1}  # held by another process: nothing done
    with collector.db.write() as tx:
        assert not notices.take_lease(tx, "delivery", "me:2", now + 299, now + 599)
        assert notices.take_lease(tx, "delivery", "other:1", now + 10, now + 310)  # renewed
    clock.now = now + 311  # its holder died: the lease runs out
    assert alerts.run(collector, [])["busy"] == 0
    with collector.db.write() as tx:  # and is given back at the end of the pass
        assert notices.take_lease(tx, "delivery", "other:1", now + 312, now + 612)


def test_a_failing_mail_server_is_logged_once_then_the_message_goes_out(
    collector, client, clock, caplog
):
    term = register(collector)
    alerts.add_recipient(collector, "email", "kepala@marunda.test", digest=False, scope=OPERATOR)
    _tamper(client, collector, term)
    clock.now += 60
    down = Smtp("127.0.0.1", free_port())  # nobody listens there
    loop = AlertLoop(collector, [down], every_s=3600)
    caplog.set_level(logging.INFO, logger="hadir.alerts")
    for _ in range(3):
        loop.run_once()
        clock.now += 60
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in caplog.records]
    assert "ConnectionRefusedError" in warnings[0].getMessage()
    assert "kepala@marunda.test" not in caplog.text
    with mailbox() as inbox:
        loop.senders = [inbox.sender]
        loop.run_once()
        assert len(inbox.messages) == 1 and "tamper" in inbox.texts()[0]
    assert "go out again" in caplog.records[-1].getMessage()


def test_the_loop_stops_before_its_next_message(collector, client, clock):
    term = register(collector)
    for n in range(3):
        alerts.add_recipient(collector, "email", f"r{n}@dinas.test", digest=False,
                             scope=OPERATOR)  # fmt: skip
    _tamper(client, collector, term)
    clock.now += 60
    with mailbox() as inbox:
        loop = AlertLoop(collector, [inbox.sender], every_s=3600)

        class StopAfterOne(Smtp):
            def send(self, *args):
                inbox.sender.send(*args)
                loop._stop.set()  # the server shuts down during the first send

        loop.senders = [StopAfterOne("127.0.0.1")]
        loop.run_once()
        assert len(inbox.messages) == 1  # the other two wait for the next pass
        clock.now += 60
        assert alerts.run(collector, [inbox.sender])["sent"] == 2
        assert len(inbox.messages) == 3


@pytest.mark.parametrize("text", ["-1", "soon", "nan", "1e9"])
def test_a_bad_interval_is_one_line(text):
    with pytest.raises(SettingsError, match="HADIR_ALERTS_EVERY"):
        alerts_every(text)


def test_the_interval_defaults_to_a_minute_and_zero_turns_it_off():
    assert alerts_every(None) == 60 and alerts_every("0") == 0 and alerts_every("15") == 15


def test_a_pass_finds_new_event_records_by_an_index_not_a_scan(collector):
    # Without it each pass reads every record, in a write transaction (SQLite: the writer's lock).
    with collector.db.write() as tx:
        if tx.kind == "sqlite":
            plan = tx.all("EXPLAIN QUERY PLAN " + notices.EVENTS_SQL, (0, 1))
        else:
            tx.run("SET LOCAL enable_seqscan = off")  # a tiny table: make it show what it can use
            plan = tx.all("EXPLAIN " + notices.EVENTS_SQL, (0, 1))
    assert "records_events" in " ".join(str(cell) for row in plan for cell in row), plan
