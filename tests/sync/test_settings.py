# Terminal settings are checked where they are set, with the terminal's own rule: the collector
# accepts exactly what firmware/config.py would take, capped in size (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import json
import os
import subprocess
import sys

import pytest

from firmware import config as fwconfig
from firmware import wire
from sync.service import accounts, admin
from sync.service.admin import AdminError
from sync.service.scope import OPERATOR
from sync.store import terminals
from tests.kit.collector_calls import kc, post, register
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

ADMIN = ("kepala", "rahasia-kepala-1")
HOSTILE = [None, True, False, 0, -1, 5, 9, 10, 11, 299, 300, 3600, 3601, 86400, 86401, -720,
           -721, 840, 841, 2**31, 2**70, 1.5, "300", "id", "en", "ID", "", "x" * 70_000, [],
           ["id"], {"v": 1}]  # fmt: skip
BASE = {"terminal_id": 7, "rusun": "Marunda", "door": 1, "wifi_ssid": "rusun",
        "collector_url": "http://10.0.0.5:8000"}  # fmt: skip


def _terminal_takes(settings):
    """Whether firmware/config.py takes a config carrying ``settings`` (the terminal's rule)."""
    try:
        fwconfig.validate_config(dict(BASE, **settings))
    except fwconfig.ConfigError:
        return False
    return True


def _stored(collector, tid):
    with collector.db.read() as tx:
        t = terminals.terminal(tx, tid)
    assert t is not None
    return t["config_version"], t["config_json"]


@pytest.mark.parametrize("name", wire.COLLECTOR_MAY_SET)
def test_the_collector_takes_exactly_what_the_terminal_takes(collector, name):
    term = register(collector)
    for value in HOSTILE:
        before = _stored(collector, term.terminal_id)
        try:
            admin.set_config(collector, term.terminal_id, {name: value}, scope=OPERATOR)
            taken = True
        except AdminError as exc:
            taken = False
            assert name in str(exc) and "\n" not in str(exc)
            assert _stored(collector, term.terminal_id) == before  # nothing changed
        assert taken == _terminal_takes({name: value}), (name, value)


def test_settings_the_collector_may_not_change_or_too_long_are_refused(collector, client):
    term = register(collector)
    accounts.add_user(collector, *ADMIN, "admin", [])
    before = _stored(collector, term.terminal_id)
    # collector_url may be set remotely now (on trial, docs/protocol.md), but only to a value
    # the terminal's rule takes; door and terminal_id never.
    for settings in ({"terminal_id": 9}, {"door": 3}, {"collector_url": "ftp://evil"},
                     {"x" * 5000: 1}, [1, 2], "debounce_s"):  # fmt: skip
        r = client.put(f"/api/terminals/{term.terminal_id}/config", json=settings, auth=ADMIN)
        assert r.status_code in (400, 422), settings
    assert _stored(collector, term.terminal_id) == before
    r = client.put(f"/api/terminals/{term.terminal_id}/config",
                   json={"sync_interval_s": 5}, auth=ADMIN)  # fmt: skip
    assert r.status_code == 400 and r.json()["detail"].startswith("sync_interval_s: ")
    r = client.put(f"/api/terminals/{term.terminal_id}/config",
                   json={"sync_interval_s": 60, "language": "en"}, auth=ADMIN)  # fmt: skip
    assert r.status_code == 200
    version, tid, text = wire.decode_config(
        kc(term), post(client, term.batch(), "/v1/config").content
    )
    assert (version, tid) == (2, term.terminal_id)
    assert _terminal_takes(json.loads(text)) and len(text.encode()) <= wire.CONFIG_MAX_BYTES


def test_a_bad_setting_stored_before_the_check_is_not_sent(collector, client):
    term = register(collector)
    with collector.db.write() as tx:  # what an older collector let an admin store
        terminals.set_terminal_config(
            tx,
            term.terminal_id,
            json.dumps(
                {"sync_interval_s": 5, "language": "x" * 70_000, "debounce_s": 20}
            ),  # fmt: skip
        )
    data = post(client, term.batch(), "/v1/config").content
    _version, _tid, text = wire.decode_config(kc(term), data)
    assert json.loads(text) == {"debounce_s": 20}  # the terminal keeps its own for the others


def test_the_command_line_refuses_a_bad_setting_in_one_line(collector, settings):
    term = register(collector)
    env = dict(os.environ, HADIR_DB=settings.db, HADIR_MASTER_KEY=MASTER_KEY.hex())
    run = subprocess.run(
        [sys.executable, "-m", "sync", "terminals", "config", str(term.terminal_id),
         '{"sync_interval_s": 5}'],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "hadir: sync_interval_s: harus bilangan bulat 10..86400 / must be an integer 10..86400"
    ]
