# Master key custody: split among officers (Shamir k-of-n, SLIP-39) and rotated with every secret
# SPDX-License-Identifier: MIT
# re-encrypted; terminals, cards and the journal carry on under the new key (both backends).
import itertools
import os
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from firmware import wire
from sync.app import create_app
from sync.service import admin, custody
from sync.service.journal import Journal
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import secrets
from sync.vault import Vault, VaultError
from tests.kit.collector_calls import day_of_taps, post, register, reply
from tests.kit.liveserver import MASTER_KEY
from tests.kit.paths import ROOT

ROWS = ["resident_id,name,unit,rusun,card_uid", "R1,Siti,MRD-A101,Marunda,04A1B2C3D4E5F6"]


def test_any_three_of_five_shares_make_the_key_and_two_do_not():
    shares = custody.split(MASTER_KEY, 3, 5)
    assert len(shares) == 5 and all(len(s.split()) == 33 for s in shares)
    for three in itertools.combinations(shares, 3):
        assert custody.combine(list(three)) == MASTER_KEY
    with pytest.raises(VaultError, match="shares do not make a key"):
        custody.combine(shares[:2])
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"  # a mistyped word
    with pytest.raises(VaultError):
        custody.combine([" ".join(words), *shares[1:3]])
    with pytest.raises(VaultError):
        custody.split(MASTER_KEY, 1, 3)  # every share would be the key


def test_rotation_reencrypts_every_secret_and_terminals_sync_on(db_url, clock, tmp_path):
    folder = str(tmp_path / "journal")
    app = create_app(Settings(db=db_url, master_key=MASTER_KEY, clock=clock, journal=folder))
    with TestClient(app) as client:
        c = app.state.collector
        term = register(c)
        assert admin.import_residents(c, ROWS, scope=OPERATOR).refused == []
        first = day_of_taps(term)
        assert reply(term, first, post(client, first))[0] == wire.REPLY_OK
        new = custody.new_key()
        counts = custody.rotate(c, new)
    c.db.close()
    assert counts == {"terminals": 1, "card_keys": 1, "cards": 1, "journal_entries": 1}
    old = Vault(MASTER_KEY)
    app = create_app(Settings(db=db_url, master_key=new, clock=clock, journal=folder))
    with TestClient(app) as client:
        c = app.state.collector
        with c.db.read() as tx:
            tid, gen, k0_enc, _key_enc = secrets.terminal_keys(tx)[0]
        with pytest.raises(VaultError):  # the old key opens nothing any more
            old.open(b"k0:%d:%d" % (tid, gen), k0_enc)
        # The card is found by its UID under the new key's hash: the same import changes nothing.
        again = admin.import_residents(c, ROWS, scope=OPERATOR)
        assert (again.cards, again.unchanged, again.refused) == (0, 1, [])
        term.tap(b"\x01\x02\x03\x04")
        second = term.batch({"backlog_slots": 0})
        assert reply(term, second, post(client, second))[:2] == (wire.REPLY_OK, term.next_seq)
        assert len(admin.list_cards(c, None, scope=OPERATOR)) == 1
    c.db.close()
    entries = list(Journal(folder, Vault(new)).entries(0))
    assert len(entries) == 2 and entries[0][1] == first


def test_the_command_line_splits_and_combines(tmp_path):
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=60)  # fmt: skip

    r = run("masterkey", "split", str(tmp_path / "shares"), "-k", "2", "-n", "3")
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "shares").iterdir())
    assert [f.name for f in files] == [f"share-{i}-of-3.txt" for i in (1, 2, 3)]
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in files)
    assert "11" * 32 not in files[0].read_text()
    r = run("masterkey", "combine", str(files[0]), str(files[2]), "--out", str(tmp_path / "k"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "k").read_text().strip() == "11" * 32
    r = run("masterkey", "combine", str(files[0]), "--out", str(tmp_path / "k2"))
    assert r.returncode == 1 and r.stderr.startswith("hadir: ") and not (tmp_path / "k2").exists()
