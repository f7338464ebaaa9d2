# Alerts that reach people: a local SMTP server (aiosmtpd) and a local webhook receiver.
# SPDX-License-Identifier: MIT
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from firmware import wire
from sync.notify import Smtp, Webhook, verify_signature
from sync.service import admin, alerts
from sync.service.scope import OPERATOR, Scope
from tests.kit.collector_calls import post, register
from tests.kit.mailbox import free_port, mailbox

SECRET = b"webhook-secret-0123456789"
MIDNIGHT = 1_796_947_200 - 7 * 3600  # 2026-12-11 00:00 in Asia/Jakarta (UTC+7)


def at(day, hh, mm=0):
    """Unix time of local (WIB) ``hh:mm`` on 2026-12-(11 + day)."""
    return MIDNIGHT + day * 86400 + hh * 3600 + mm * 60


@pytest.fixture
def smtp():
    with mailbox() as inbox:
        yield inbox


class Received(list):
    url = ""


@pytest.fixture
def hook():
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verify_signature(
                SECRET, self.headers["X-Hadir-Timestamp"], body, self.headers["X-Hadir-Signature"]
            )
            got.append((ok, json.loads(body)))
            self.send_response(204 if ok else 401)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hadir"
    yield got
    server.shutdown()


def _upload(client, term, health=None, events=()):
    """A boot, its clock (the collector's own time: no clock trouble), ``events``, one batch."""
    term.boot()
    term.clock(int(client.app.state.collector.now()) - wire.HOST_EPOCH_OFFSET - 5)
    for kind, flags in events:
        term.event(kind, flags, 1)
    body = term.batch(health or {"clock_quality": 1, "storage_per_mille": 100})
    assert post(client, body).status_code == 200


def _text(msg):
    return msg.get_payload(decode=True).decode()


def _texts(inbox):
    return [_text(m) for _, m in inbox.messages]


def test_troubles_reach_email_and_webhook_once_then_again_with_their_count(
    collector, client, clock, smtp, hook
):
    senders = [smtp.sender, Webhook()]
    clock.now = at(0, 10)
    a = register(collector)
    b = register(collector, rusun="Pulogebang")
    alerts.add_recipient(collector, "email", "kepala@marunda.test", rusun="Marunda",
                         digest=False, scope=OPERATOR)  # fmt: skip
    alerts.add_recipient(collector, "webhook", hook.url, secret=SECRET, digest=False,
                         scope=OPERATOR)  # fmt: skip
    _upload(
        client,
        a,
        {"clock_quality": 1, "storage_per_mille": 850},
        [(wire.TAMPER, 1), (wire.READER_FAULT, 4), (wire.STORAGE, wire.STORAGE_FULL)],
    )
    _upload(client, b)
    clock.now += 60
    counts = alerts.run(collector, senders)
    assert counts["sent"] == 2 and counts["failed"] == 0, counts
    ((rcpt, msg),) = smtp.messages
    assert rcpt == ["kepala@marunda.test"] and "terminal troubles" in msg["Subject"]
    text = _text(msg)
    for words in ("log above its warning level", "tamper", "card reader faulty", "taps refused"):
        assert words in text, text
    assert f"terminal {b.terminal_id}" not in text  # another rusun's terminal
    ((ok, payload),) = hook
    assert ok and {n["category"] for n in payload["notices"]} == {
        "storage", "tamper", "reader", "refused_taps"}  # fmt: skip
    # Again at once, and an hour later with the same trouble: told already.
    clock.now += 60
    assert alerts.run(collector, senders)["sent"] == 0
    clock.now += 3600
    _upload(client, a, {"clock_quality": 1, "storage_per_mille": 860}, [(wire.TAMPER, 1)])
    _upload(client, b)  # not silent
    assert alerts.run(collector, senders)["sent"] == 0
    assert len(smtp.messages) == 1 and len(hook) == 1
    # Six hours after it was told, seen again: told again, with the count.
    clock.now += 6 * 3600
    _upload(client, a, {"clock_quality": 1, "storage_per_mille": 870}, [(wire.TAMPER, 1)])
    _upload(client, b)
    assert alerts.run(collector, senders)["sent"] == 2
    assert "tamper or copied key (x" in _texts(smtp)[-1]


def test_a_silent_terminal_is_told_and_a_revoked_one_is_not(collector, client, clock, smtp):
    clock.now = at(0, 9)
    a, b = register(collector), register(collector, door=2)
    _upload(client, a)
    _upload(client, b)
    admin.revoke_terminal(collector, b.terminal_id, scope=OPERATOR)
    alerts.add_recipient(collector, "email", "ops@dinas.test", digest=False, scope=OPERATOR)
    clock.now += alerts.SILENT_S - 60
    alerts.run(collector, [smtp.sender])
    assert not any("silent" in t for t in _texts(smtp))
    clock.now += 120
    alerts.run(collector, [smtp.sender])
    (text,) = [t for t in _texts(smtp) if "terminal silent" in t]
    assert f"terminal {a.terminal_id} (Marunda)" in text
    assert f"terminal {b.terminal_id} " not in text


def test_quiet_hours_hold_messages_until_they_end(collector, client, clock, smtp):
    clock.now = at(0, 21, 50)
    a = register(collector)
    alerts.add_recipient(collector, "email", "malam@marunda.test", rusun="Marunda",
                         quiet_hours="22:00-06:00", digest=False, scope=OPERATOR)  # fmt: skip
    clock.now = at(0, 23)
    _upload(client, a, events=[(wire.TAMPER, 1)])
    clock.now += 60  # a pass reads what was received before it
    counts = alerts.run(collector, [smtp.sender])
    assert counts["held"] == 1 and not smtp.messages
    clock.now = at(1, 5, 59)
    assert alerts.run(collector, [smtp.sender])["held"] == 1 and not smtp.messages
    clock.now = at(1, 6, 0)
    assert alerts.run(collector, [smtp.sender])["sent"] == 1
    assert "tamper" in _texts(smtp)[0]


def test_the_daily_digest_comes_once_a_day_after_seven(collector, client, clock, smtp, hook):
    clock.now = at(0, 6, 30)
    a = register(collector)
    alerts.add_recipient(collector, "email", "kepala@marunda.test", rusun="Marunda",
                         scope=OPERATOR)  # fmt: skip
    alerts.add_recipient(collector, "webhook", hook.url, secret=SECRET, scope=OPERATOR)
    senders = [smtp.sender, Webhook()]
    assert alerts.run(collector, senders)["digests"] == 0  # before 07:00
    clock.now = at(0, 7, 5)
    assert alerts.run(collector, senders)["digests"] == 2
    digest = smtp.messages[-1][1]
    assert "daily digest (0)" in digest["Subject"] and "no trouble" in _text(digest)
    assert hook[-1][1]["digest"] is True
    clock.now = at(0, 12)
    _upload(client, a, events=[(wire.READER_FAULT, 4)])
    alerts.run(collector, senders)
    assert alerts.run(collector, senders)["digests"] == 0  # one a day
    clock.now = at(1, 7, 1)
    assert alerts.run(collector, senders)["digests"] == 2
    assert "card reader faulty" in _text(smtp.messages[-1][1])


def test_a_message_that_did_not_go_out_is_sent_next_time(collector, client, clock, smtp):
    clock.now = at(0, 10)
    a = register(collector)
    alerts.add_recipient(collector, "email", "kepala@marunda.test", digest=False, scope=OPERATOR)
    _upload(client, a, events=[(wire.TAMPER, 1)])
    clock.now += 60
    down = Smtp("127.0.0.1", free_port())  # nobody listens there
    assert alerts.run(collector, [down])["failed"] == 1
    clock.now += 60
    assert alerts.run(collector, [smtp.sender])["sent"] == 1
    assert "tamper" in _texts(smtp)[0]


def test_a_webhook_answer_other_than_2xx_is_a_failure(collector, client, clock, hook):
    clock.now = at(0, 10)
    a = register(collector)
    alerts.add_recipient(collector, "webhook", hook.url, secret=b"not-the-receivers-secret",
                         digest=False, scope=OPERATOR)  # fmt: skip
    _upload(client, a, events=[(wire.TAMPER, 1)])
    clock.now += 60
    assert alerts.run(collector, [Webhook()])["failed"] == 1
    assert hook[0][0] is False  # the receiver refused the signature


def test_recipients_are_checked_and_scoped(collector):
    register(collector)
    register(collector, rusun="Pulogebang")
    for bad in ("not-an-address", "a@b.test\nBcc: c@d.test", "a@b.test, c@d.test", "@b.test"):
        with pytest.raises(admin.AdminError):
            alerts.add_recipient(collector, "email", bad, scope=OPERATOR)
    with pytest.raises(admin.AdminError):
        alerts.add_recipient(collector, "webhook", "http://x.test/h", secret=b"short",
                             scope=OPERATOR)  # fmt: skip
    with pytest.raises(admin.AdminError):
        alerts.add_recipient(collector, "email", "a@b.test", quiet_hours="25:00-06:00",
                             scope=OPERATOR)  # fmt: skip
    with collector.db.read() as tx:
        other = tx.value("SELECT id FROM rusun WHERE name = 'Pulogebang'")
    scoped = Scope.of([other])
    with pytest.raises(admin.AdminError):
        alerts.add_recipient(collector, "email", "a@b.test", rusun="Marunda", scope=scoped)
    with pytest.raises(admin.AdminError):  # every rusun: an unscoped admin only
        alerts.add_recipient(collector, "email", "a@b.test", scope=scoped)
    alerts.add_recipient(collector, "webhook", "https://x.test/h", secret=SECRET,
                         rusun="Pulogebang", scope=scoped)  # fmt: skip
    (row,) = alerts.list_recipients(collector, scope=scoped)
    assert "secret_enc" not in row and row["channel"] == "webhook"
    every = alerts.add_recipient(collector, "email", "ops@dinas.test", scope=OPERATOR)
    with pytest.raises(admin.AdminError):  # not its rusun's: as if it did not exist
        alerts.remove_recipient(collector, every, scope=scoped)
    alerts.remove_recipient(collector, row["id"], scope=scoped)
    assert alerts.list_recipients(collector, scope=scoped) == []
    assert [r["id"] for r in alerts.list_recipients(collector, scope=OPERATOR)] == [every]


def test_the_cli_adds_lists_and_runs(tmp_path, smtp):
    import os
    import subprocess
    import sys

    from tests.kit.paths import ROOT

    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"),
               HADIR_SMTP_HOST="127.0.0.1", HADIR_SMTP_PORT=str(smtp.sender.port))  # fmt: skip

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip

    assert cli("init").returncode == 0
    secret = tmp_path / "hook.secret"
    secret.write_bytes(SECRET)
    r = cli("alerts", "add", "webhook", "https://hooks.test/hadir", "--secret-file", str(secret),
            "--quiet", "22:00-06:00")  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = cli("alerts", "add", "email", "kepala@marunda.test", "--no-digest")
    assert r.returncode == 0, r.stderr
    r = cli("alerts", "add", "email", "x@y.test", "--quiet", "9-5")
    assert r.returncode != 0 and "HH:MM" in r.stderr
    r = cli("alerts", "list")
    assert r.returncode == 0 and "hooks.test" in r.stdout and SECRET.decode() not in r.stdout
    r = cli("alerts", "run")
    assert r.returncode == 0 and "sent 0" in r.stdout, r.stdout + r.stderr
    from sync.app import open_collector
    from sync.settings import Settings
    from sync.store import notices

    held = open_collector(Settings(db=env["HADIR_DB"], master_key=bytes.fromhex("11" * 32)))
    with held.db.write() as tx:  # a server's pass under way
        notices.take_lease(tx, alerts.LEASE, "serve:1", int(held.now()), int(held.now()) + 300)
    held.db.close()
    r = cli("alerts", "run")
    assert r.returncode == 0 and "another pass is running" in r.stdout, r.stdout + r.stderr
    r = cli("alerts", "remove", "2")
    assert r.returncode == 0, r.stderr
    assert "kepala@marunda.test" not in cli("alerts", "list").stdout
    r = cli("alerts", "remove", "2")
    assert (
        r.returncode != 0 and r.stderr.strip().count("\n") == 0 and "no such recipient" in r.stderr
    )


@pytest.mark.parametrize(("state", "room"), [("rolled_back", {}),
                                            ("no_room", {"need": 40, "free": 10})])  # fmt: skip
def test_an_update_that_failed_on_a_terminal_reaches_people(collector, client, clock, smtp,
                                                             tmp_path, state, room):  # fmt: skip
    from sync.service import releases

    clock.now = at(0, 10)
    a = register(collector)
    alerts.add_recipient(collector, "email", "kepala@marunda.test", digest=False, scope=OPERATOR)
    key = str(tmp_path / "release.key")
    releases.trust(collector, releases.keygen(key, lms_type=5).hex())
    rid = releases.publish(collector, {"lib/x.py": b"# x\n"}, key, "test")
    _upload(client, a)
    # The terminal's word, as it reports it (POST /v1/release/{rid}/report/{state}): rolled back,
    # or no room for it.
    code = wire.OTA_STATES.index(state)
    assert releases.report(collector, a.batch(), rid, code, **room).http == 200
    clock.now += 60
    assert alerts.run(collector, [smtp.sender])["sent"] == 1
    text = _texts(smtp)[0]
    assert "pembaruan gagal / update failed" in text and f"release_{state}: release {rid}" in text


def test_an_address_the_mail_header_refuses_fails_its_message_only(collector, client, clock, smtp):
    clock.now = at(0, 10)
    a = register(collector)
    alerts.add_recipient(collector, "email", "kepala@marunda.test", digest=False, scope=OPERATOR)
    with collector.db.write() as tx:  # a row older checks let in: a line break in the address
        tx.run("INSERT INTO alert_recipients (channel, address, digest, digest_day, created_at)"
               " VALUES ('email', ?, 0, 0, 0)", ("x@y.test\nBcc: z@w.test",))  # fmt: skip
    _upload(client, a, events=[(wire.TAMPER, 1)])
    clock.now += 60
    failures = []
    counts = alerts.run(collector, [smtp.sender], failures=failures)
    assert (counts["sent"], counts["failed"]) == (1, 1), counts
    assert failures == ["email: smtp: address refused: ValueError"]
    ((rcpt, _),) = smtp.messages
    assert rcpt == ["kepala@marunda.test"]
