# A database of schema version 1 (tests/kit/schema_v1.py) upgrades in place when the collector
# opens it: nothing lost, scopes as rows, the dating state carried on (SQLite and PostgreSQL).
# SPDX-License-Identifier: MIT
import secrets

import pytest

from firmware import wire
from sync.app import open_collector
from sync.service import accounts, admin, reports
from sync.service.scope import OPERATOR
from sync.settings import Settings
from sync.store import records, schema
from sync.store.db import Database
from sync.vault import Vault, card_tokens
from tests.kit.collector_calls import TOKEN_A, WALL, kc, post
from tests.kit.liveserver import MASTER_KEY
from tests.kit.schema_v1 import create_v1
from tests.kit.wirekit import PaperTerminal

UNIX = WALL + wire.HOST_EPOCH_OFFSET
UID = bytes.fromhex("04A1B2C3D4E5F6")
NAMES = ("Marunda", "A,B", "B")


def _fill_v1(url):
    """What a version-1 collector stored: three rusun (one named with a comma), a resident with a
    card, users bound by comma-joined names, and a terminal that uploaded one block (boot, clock,
    tap) and keeps its dating state in ``terminals.st_*``. Returns (terminal, card keys)."""
    vault = Vault(MASTER_KEY)
    k0 = secrets.token_bytes(32)
    term = PaperTerminal(1, k0)
    term.boot()
    term.clock(WALL)
    term.tap(TOKEN_A)
    batch = wire.decode_batch(term.batch())
    (block,) = batch.blocks()
    mac = wire.seal_mac_of(batch.slots, block[2])
    keys = {}
    db = Database.open(url)
    with db.write() as tx:
        create_v1(tx)
        for rid, name in enumerate(NAMES, start=1):
            keys[name] = secrets.token_bytes(16)
            tx.run("INSERT INTO rusun (id, name, card_key_enc) VALUES (?, ?, ?)",
                   (rid, name, vault.seal(b"card_key:%d" % rid, keys[name])))  # fmt: skip
        tx.run("INSERT INTO units (id, rusun_id, name) VALUES (1, 1, 'MRD-1')")
        tx.run("INSERT INTO residents VALUES ('R1', 'Siti', 1, 1, ?)", (UNIX - 86400,))
        h = vault.uid_hash(UID)
        token = card_tokens(keys["Marunda"], [UID])[0]
        tx.run("INSERT INTO cards (id, uid_hash, uid_enc, rusun_id, unit_id, resident_id, token,"
               " enrolled_at) VALUES (1, ?, ?, 1, 1, 'R1', ?, ?)",
               (h, vault.seal(b"uid:" + h, UID), token, UNIX - 86400))  # fmt: skip
        for rid, name in enumerate(NAMES, start=1):
            tx.run("INSERT INTO card_tokens VALUES (?, ?, 1)",
                   (rid, card_tokens(keys[name], [UID])[0]))  # fmt: skip
        for user, bound in (("kepala", ""), ("ab", "A,B"), ("dua", "Marunda,B"), ("x", "Nope")):
            tx.run("INSERT INTO users (name, password_hash, role, rusun, created_at)"
                   " VALUES (?, ?, 'viewer', ?, 0)",
                   (user, accounts.hash_password("rahasia-lama-1"), bound))  # fmt: skip
        tx.run("INSERT INTO terminals (id, rusun_id, door, k0_enc, key_epoch, key_enc, req_epoch,"
               " acked, config_json, created_at, last_seen, st_seq, st_boot, st_up,"
               " st_anchor_wall, st_anchor_up) VALUES (1, 1, 1, ?, 1, ?, 1, 4, '{}', 0, ?,"
               " 4, 1, 2000, ?, 1000)",
               (vault.seal(b"k0:1:0", k0), vault.seal(b"key:1:0", term.key), UNIX,
                UNIX * 1000))  # fmt: skip
        tx.run("INSERT INTO blocks VALUES (1, 0, 3, 0, 0, ?, ?, ?)", (bytes(8), mac, UNIX))
        for seq, up, wall in ((0, 0, UNIX - 1), (1, 1000, UNIX), (2, 2000, UNIX + 1)):
            kind, flags, payload, _u = wire.unpack_slot(batch.slots, seq * wire.SLOT)
            tx.run("INSERT INTO records VALUES (1, 0, ?, ?, ?, ?, 1, ?, ?, ?, 0, ?)",
                   (seq, kind, flags, payload, up, wall, int(seq == 0), UNIX))  # fmt: skip
    db.close()
    term.bundle = {"k0": k0.hex(), "terminal_id": 1, "card_key": keys["Marunda"].hex()}
    return term, keys


@pytest.fixture
def upgraded(db_url, clock):
    term, keys = _fill_v1(db_url)
    c = open_collector(Settings(db=db_url, master_key=MASTER_KEY, clock=clock))
    yield c, term, keys, db_url
    c.db.close()


def test_a_version_1_database_upgrades_and_loses_nothing(upgraded, app):
    c, term, keys, _url = upgraded
    with c.db.read() as tx:
        assert tx.value("SELECT value FROM meta WHERE key = 'schema_version'") == str(
            schema.SCHEMA_VERSION
        )
        rows = records.records_of(tx, 1)
    assert [(r["seq"], r["wall_time"], r["claimed_time"], r["held"]) for r in rows] == [
        (0, UNIX - 1, UNIX - 1, 0), (1, UNIX, UNIX, 0), (2, UNIX + 1, UNIX + 1, 0),
    ]  # fmt: skip
    assert [r["rusun"] for r in admin.list_residents(c, scope=OPERATOR)] == ["Marunda"]
    assert (
        admin.list_cards(c, scope=OPERATOR)[0]["token"]
        == "%08X" % card_tokens(keys["Marunda"], [UID])[0]
    )


def test_comma_joined_scopes_become_rows_and_never_widen(upgraded):
    c = upgraded[0]
    bound = {u: accounts.user(c, u) for u in ("kepala", "ab", "dua", "x")}
    assert bound["kepala"].scope.everything
    assert bound["ab"].rusun == ("A,B",)  # the rusun named "A,B", not A and B
    assert bound["dua"].rusun == ("B", "Marunda")
    assert bound["x"].rusun == () and not bound["x"].scope.everything  # bound to nothing left
    assert not bound["x"].scope.allows(1)


def test_the_upgraded_terminal_uploads_on_dated_from_its_stored_anchor(upgraded, client):
    c, term, keys, _url = upgraded
    r1 = card_tokens(keys["Marunda"], [UID])[0].to_bytes(4, "big")
    term.tap(r1, advance_ms=60_000)  # the same boot: dated from the v1 anchor
    body = term.batch()
    response = post(client, body)
    assert response.status_code == 200
    status, acked, *_ = wire.decode_reply(kc(term), body[-16:], response.content)
    assert (status, acked) == (wire.REPLY_OK, 6)
    with c.db.read() as tx:
        tap = records.records_of(tx, 1)[-1]
    assert (tap["seq"], tap["wall_time"], tap["held"]) == (4, UNIX + 61, 0)
    data = post(client, term.batch(), "/v1/allowlist").content
    assert data[16:20] == card_tokens(keys["Marunda"], [UID])[0].to_bytes(4, "big")
    assert [(r["residents"], r["taps"]) for r in reports.presence(c, days=30)] == [(1, 1)]


@pytest.fixture
def client(upgraded):
    from fastapi.testclient import TestClient

    from sync.app import create_app

    c, _term, _keys, url = upgraded
    app = create_app(Settings(db=url, master_key=MASTER_KEY, clock=c.clock))
    with TestClient(app) as test_client:
        yield test_client
    app.state.collector.db.close()


def test_opening_an_upgraded_database_again_changes_nothing(upgraded):
    c, _term, _keys, url = upgraded
    again = open_collector(Settings(db=url, master_key=MASTER_KEY, clock=c.clock))
    assert [u["name"] for u in accounts.list_users(again)] == ["ab", "dua", "kepala", "x"]
    again.db.close()
