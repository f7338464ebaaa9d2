# Remote settings (per terminal, per rusun, sealed password) and remote commands with audit rows.
# SPDX-License-Identifier: MIT
import json
import os
import subprocess
import sys

import pytest

from firmware import wire
from sync.service import admin, remote
from sync.service.scope import OPERATOR, Scope
from sync.store import alert_log
from sync.store import remote as remote_store
from tests.kit.collector_calls import kc, post, register
from tests.kit.paths import ROOT

V2 = {"firmware_version": 2}


def _config(client, term):
    r = post(client, term.batch(V2), "/v1/config")
    assert r.status_code == 200, r.text
    version, tid, text = wire.decode_config(kc(term), r.content)
    assert tid == term.terminal_id
    return version, json.loads(text)


def _reply(client, term, health=V2):
    body = term.batch(health)
    r = post(client, body)
    assert r.status_code == 200, r.text
    wire.decode_reply(kc(term), body[-16:], r.content)
    return r.content


def _report(client, term, cid, result, doc):
    status = term.batch(V2)
    part = wire.report_part(cid, result, json.dumps(doc))
    return post(
        client, wire.encode_report(status[: wire.HEADER_LEN], part, term.key), "/v1/report"
    )


def test_settings_for_a_rusun_reach_every_terminal_and_the_password_travels_sealed(
    collector, client, db_url
):
    a, b = register(collector), register(collector, door=2)
    other = register(collector, rusun="Pulogebang")
    done = remote.set_settings(collector, {"wifi_ssid": "rusun-baru", "trial_s": 300},
                               rusun="Marunda", password="kata-sandi-baru",
                               scope=OPERATOR, user="kepala")  # fmt: skip
    assert sorted(tid for tid, _ in done) == sorted([a.terminal_id, b.terminal_id])
    for term in (a, b):
        version, settings = _config(client, term)
        assert settings["wifi_ssid"] == "rusun-baru" and settings["trial_s"] == 300
        sealed = settings[wire.SEALED_PASSWORD]
        assert "kata" not in sealed
        assert wire.open_secret(kc(term), version, term.terminal_id, sealed) == "kata-sandi-baru"
    assert wire.SEALED_PASSWORD not in _config(client, other)[1]
    with collector.db.read() as tx:
        stored = [tx.value("SELECT config_json FROM terminals WHERE id = ?", (a.terminal_id,))]
        stored += [str(r) for r in tx.all("SELECT * FROM alerts")]
        stored += [str(r) for r in tx.all("SELECT * FROM access_audit")]
        enc = remote_store.password(tx, a.terminal_id)
    assert enc is not None and b"kata-sandi-baru" not in enc
    assert not any("kata-sandi" in s for s in stored)  # never in config_json, alerts
    for term in (a, b):
        (row,) = remote.audit_rows(collector, term.terminal_id)
        assert row["user"] == "kepala" and row["action"] == "terminal.settings"
        assert "wifi_password" in row["detail"]["settings"]  # what changed, never its value
        assert "kata-sandi" not in json.dumps(row)
    if not db_url.startswith("postgres"):  # the SQLite file itself: no plaintext anywhere
        with open(db_url, "rb") as f:
            assert b"kata-sandi-baru" not in f.read()


def test_a_setting_the_terminal_would_refuse_is_refused_here(collector):
    term = register(collector)
    for bad in ({"trial_s": 5}, {"reader": "spi"}, {"wifi_ssid": "x" * 33},
                {"collector_url": "ftp://x"}, {"terminal_id": 9}):  # fmt: skip
        with pytest.raises(admin.AdminError):
            remote.set_settings(collector, bad, terminal=term.terminal_id, scope=OPERATOR)
    with pytest.raises(admin.AdminError, match="wifi_password"):
        remote.set_settings(collector, {}, terminal=term.terminal_id, password="short",
                            scope=OPERATOR)  # fmt: skip
    with pytest.raises(admin.AdminError):  # the password never travels as a plain setting
        remote.set_settings(collector, {"wifi_password": "long-enough"},
                            terminal=term.terminal_id, scope=OPERATOR)  # fmt: skip


def test_a_scoped_admin_reaches_only_its_rusun(collector):
    term = register(collector)
    register(collector, rusun="Pulogebang")
    with collector.db.read() as tx:
        other_id = tx.value("SELECT id FROM rusun WHERE name = 'Pulogebang'")
    scope = Scope.of([other_id])
    with pytest.raises(admin.AdminError):
        remote.set_settings(collector, {"debounce_s": 5}, terminal=term.terminal_id, scope=scope)
    with pytest.raises(admin.AdminError):
        remote.queue_command(collector, "reboot", rusun="Marunda", scope=scope)
    assert remote.queue_command(collector, "reboot", rusun="Pulogebang", scope=scope)


def test_a_command_is_offered_until_its_report_and_stored_once_with_its_audit_row(
    collector, client
):
    term = register(collector)
    (cid,) = remote.queue_command(collector, "selftest", terminal=term.terminal_id,
                                  scope=OPERATOR, user="kepala")  # fmt: skip
    old = _reply(client, term, {"firmware_version": 1})
    assert old[:4] == b"HDA1"  # firmware 1 reads HDA1 only: nothing offered
    for _ in range(2):  # offered again while no report came
        reply = _reply(client, term)
        assert reply[:4] == b"HDA2" and wire.reply_offer(reply) == (0, cid, wire.CMD_SELFTEST)
    status = term.batch(V2)
    part = wire.report_part(cid, wire.RESULT_OK, '{"ok": 1}')
    forged = bytearray(wire.encode_report(status[: wire.HEADER_LEN], part, term.key))
    forged[wire.HEADER_LEN] ^= 1  # the request MAC
    assert post(client, bytes(forged), "/v1/report").status_code == 401
    forged = wire.encode_report(status[: wire.HEADER_LEN], part, term.key)[:-2] + b"0}"
    assert post(client, forged, "/v1/report").status_code == 401  # another report, same MAC
    assert _report(client, term, cid, wire.RESULT_FAILED, {"ok": False}).status_code == 200
    # A second answer to the same command (a replay, a resend) changes nothing: stored once.
    assert _report(client, term, cid, wire.RESULT_OK, {"ok": True}).status_code == 200
    (row,) = remote.list_commands(collector, term.terminal_id, scope=OPERATOR)
    assert row["queued_by"] == "kepala" and row["sent_at"] is not None
    assert row["done_at"] is not None and row["command"] == "selftest"
    assert row["result"] == "failed" and json.loads(row["detail"]) == {"ok": False}
    assert wire.reply_offer(_reply(client, term)) == (0, 0, 0)
    with collector.db.read() as tx:
        kinds = [r["kind"] for r in alert_log.recent(tx, term.terminal_id)]
    assert kinds.count("command_failed") == 1
    sent, done = remote.audit_rows(collector, term.terminal_id)  # who, when, which, result
    assert (sent["user"], sent["action"], sent["detail"]["command"]) == (
        "kepala", "command.send", "selftest")  # fmt: skip
    assert (done["via"], done["action"], done["detail"]) == (
        "terminal", "command.done", {"command_id": cid, "result": "failed"})  # fmt: skip


def test_settings_gone_back_are_an_alert_and_wear_is_kept(collector, client):
    term = register(collector)
    doc = {"settings": 4, "fell_back": True, "why": "no sync within 600 s"}
    assert _report(client, term, 0, wire.RESULT_FAILED, doc).status_code == 200
    assert _report(client, term, 0, wire.RESULT_OK, {"wear": [3, 12, 446]}).status_code == 200
    with collector.db.read() as tx:
        alerts = alert_log.recent(tx, term.terminal_id)
        wear = remote_store.reports(tx, term.terminal_id, "wear")
        settings = remote_store.reports(tx, term.terminal_id, "settings")
    assert alerts[0]["kind"] == "settings_fell_back" and "600 s" in alerts[0]["detail"]
    assert json.loads(wear[0]["detail"]) == {"wear": [3, 12, 446]}
    assert settings[0]["result"] == "fell_back"


def test_a_malformed_report_is_refused(collector, client):
    term = register(collector)
    status = term.batch(V2)
    assert post(client, status, "/v1/report").status_code == 400
    part = wire.report_part(0, 0, "[1, 2]")  # JSON, not an object
    body = wire.encode_report(status[: wire.HEADER_LEN], part, term.key)
    assert post(client, body, "/v1/report").status_code == 400


def _cli(tmp_path, *args, input=None):
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"))
    return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, input=input, timeout=60)  # fmt: skip


def test_the_cli_sets_settings_queues_commands_and_never_shows_the_password(tmp_path):
    r = _cli(tmp_path, "terminals", "add", "--rusun", "Marunda", "--door", "1",
             "--bundle", str(tmp_path / "t1.json"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    r = _cli(tmp_path, "terminals", "set", "--rusun", "Marunda", "wifi_ssid=rusun-baru",
             "trial_s=900", "--wifi-password", input="rahasia-sekali\n")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "terminal 1: config version 2" in r.stdout
    assert "rahasia" not in r.stdout + r.stderr
    r = _cli(tmp_path, "terminals", "set", "--terminal", "1", "trial_s=5")
    assert r.returncode != 0 and "trial_s" in r.stderr
    r = _cli(tmp_path, "terminals", "command", "reboot", "--terminal", "1")
    assert r.returncode == 0 and "1 command(s) queued" in r.stdout, r.stderr
    r = _cli(tmp_path, "terminals", "command", "format", "--terminal", "1")
    assert r.returncode != 0 and "reboot" in r.stderr
    r = _cli(tmp_path, "terminals", "commands")
    assert r.returncode == 0 and "reboot" in r.stdout and "operator" in r.stdout


def test_wear_in_fleet_health_and_on_the_terminals_page(collector, client, clock):
    import re

    from sync.service import accounts, reports, wear

    term = register(collector)
    fresh = register(collector, door=2)
    start = clock.now
    clock.now = start + 10 * 86400
    assert _report(client, term, 0, 0, {"wear": [3, 12, 446]}).status_code == 200
    (row,) = [h for h in reports.health(collector) if h["terminal_id"] == term.terminal_id]
    # one report: the rate over its life (11 erases beyond the first, in 10 days)
    assert row["wear_erases"] == 12
    assert row["wear_years"] == round((100_000 - 12) / (11 / 10) / 365.25, 1)
    clock.now = start + 40 * 86400
    assert _report(client, term, 0, 0, {"wear": [4, 15, 446]}).status_code == 200
    rows = {h["terminal_id"]: h for h in reports.health(collector)}
    assert rows[term.terminal_id]["wear_erases"] == 15  # the most-worn sector: the key sectors
    assert rows[term.terminal_id]["wear_years"] == round((100_000 - 15) / 0.1 / 365.25, 1)
    assert rows[fresh.terminal_id]["wear_erases"] is None
    assert wear.ENDURANCE_CYCLES == 100_000
    accounts.add_user(collector, "kepala", "kata-sandi-benar", "admin", [])
    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "username": "kepala", "password": "kata-sandi-benar",
            "next": "/dashboard/terminals"}  # fmt: skip
    assert client.post("/dashboard/login", data=form, follow_redirects=False).status_code == 303
    html = client.get("/dashboard/terminals").text
    cell = re.search(rf'id="t{term.terminal_id}".*?<td class="num wear">(.*?)</td>', html, re.S)
    assert cell and "15" in cell.group(1) and "2737" in cell.group(1), cell
    assert "100" in html and "Aus flash" in html
