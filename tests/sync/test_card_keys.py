# The rusun card key can be rotated (API and CLI): every card re-tokenised, allow-lists renewed,
# each door on the key it holds until re-provisioned, and `terminals rotate` never hands out the
# card key the terminal held (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import os
import subprocess
import sys

from firmware import wire
from sync.service import accounts, admin, reports
from sync.service.scope import OPERATOR
from sync.vault import card_tokens
from tests.kit.collector_calls import kc, post, register, reply
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT
from tests.kit.wirekit import PaperTerminal

ADMIN = ("kepala", "rahasia-kepala-1")
UIDS = {"R1": "04A1B2C3D4E5F6", "R2": "04C0FFEE000001"}
NEW_UID = "04C0FFEE0000AA"


def _enroll(collector, *rows):
    text = "resident_id,name,unit,rusun,card_uid\n" + "".join(r + "\n" for r in rows)
    assert admin.import_residents(collector, text.splitlines(), scope=OPERATOR).refused == []


def _allowlist(client, term):
    """(version, sorted tokens) of the allow-list the terminal fetches."""
    data = post(client, term.batch(), "/v1/allowlist").content
    version, tid, count = wire.allowlist_header(kc(term), data)
    assert tid == term.terminal_id
    return version, sorted(int.from_bytes(data[16 + 6 * i : 20 + 6 * i], "big")
                           for i in range(count))  # fmt: skip


def _tokens(bundle, *uids):
    return sorted(card_tokens(bytes.fromhex(bundle["card_key"]), [bytes.fromhex(u) for u in uids]))


def _reprovisioned(bundle):
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    term.bundle = bundle
    return term


def test_rotating_the_card_key_renews_every_list_and_no_door_is_locked(collector, client):
    older = register(collector)  # stays on the old key: its door must keep working
    rotated = register(collector, door=2)
    _enroll(
        collector, f"R1,Siti,MRD-1,Marunda,{UIDS['R1']}", f"R2,Budi,MRD-2,Marunda,{UIDS['R2']}"
    )
    v0, old_tokens = _allowlist(client, older)
    assert old_tokens == _tokens(older.bundle, *UIDS.values())
    accounts.add_user(collector, *ADMIN, "admin", [])
    r = client.post("/api/rusun/card-key/rotate", json={"rusun": "Marunda"}, auth=ADMIN)
    assert r.status_code == 200
    stale = [older.terminal_id, rotated.terminal_id]
    assert r.json() == {"rusun": "Marunda", "card_key_generation": 1,
                        "terminals_on_older_keys": stale}  # fmt: skip
    v1, still = _allowlist(client, older)
    assert v1 > v0 and still == old_tokens  # a newer list, under the key the door holds
    bundle = admin.rotate_terminal(collector, rotated.terminal_id, scope=OPERATOR)
    assert bundle["card_key"] not in (older.bundle["card_key"], rotated.bundle["card_key"])
    fresh = _reprovisioned(bundle)
    _, new_tokens = _allowlist(client, fresh)
    assert new_tokens == _tokens(bundle, *UIDS.values()) and new_tokens != old_tokens
    terms = admin.list_terminals(collector, scope=OPERATOR)
    listed = {t["id"]: t["card_key_current"] for t in terms}
    assert listed == {older.terminal_id: False, rotated.terminal_id: True}
    # A card enrolled now is on both lists, each under its door's key.
    _enroll(collector, f"R3,Ani,MRD-3,Marunda,{NEW_UID}")
    assert _allowlist(client, older)[1] == _tokens(older.bundle, *UIDS.values(), NEW_UID)
    assert _allowlist(client, fresh)[1] == _tokens(bundle, *UIDS.values(), NEW_UID)
    # Taps under either key are R1's.
    now = collector.now() - wire.HOST_EPOCH_OFFSET
    for term, b in ((older, older.bundle), (fresh, bundle)):
        term.boot()
        term.clock(now - 600)
        token = card_tokens(bytes.fromhex(b["card_key"]), [bytes.fromhex(UIDS["R1"])])[0]
        term.tap(token.to_bytes(4, "big"))
        body = term.batch()
        reply(term, body, post(client, body))
    rows = reports.presence(collector, days=1)
    assert [(r["rusun"], r["residents"], r["taps"]) for r in rows] == [("Marunda", 1, 2)]


def test_terminals_rotate_never_hands_out_the_card_key_the_terminal_held(collector):
    a = register(collector)
    b = register(collector, door=2)
    first = admin.rotate_terminal(collector, a.terminal_id, scope=OPERATOR)
    assert first["card_key"] != a.bundle["card_key"]
    second = admin.rotate_terminal(collector, a.terminal_id, scope=OPERATOR)
    assert second["card_key"] not in (first["card_key"], a.bundle["card_key"])
    # b still holds the first key: the rusun's current one is new to it, so it is not rotated
    # again (the doors of a rusun end on one key when each is re-provisioned once).
    other = admin.rotate_terminal(collector, b.terminal_id, scope=OPERATOR)
    assert other["card_key"] == second["card_key"]


def test_the_command_line_rotates_a_rusun_card_key(collector, settings):
    register(collector)
    env = dict(os.environ, HADIR_DB=settings.db, HADIR_MASTER_KEY=MASTER_KEY.hex())
    run = subprocess.run([sys.executable, "-m", "sync", "rusun", "rotate-card-key", "Marunda"],
                         capture_output=True, text=True, env=env, cwd=ROOT)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "card key generation 1" in run.stdout and "terminals rotate" in run.stdout
    run = subprocess.run([sys.executable, "-m", "sync", "rusun", "rotate-card-key", "Atlantis"],
                         capture_output=True, text=True, env=env, cwd=ROOT)  # fmt: skip
    assert (
        run.returncode == 1
        and run.stderr.strip() == "hadir: rusun tidak dikenal / unknown rusun: Atlantis"
    )
