# Collector registry: terminals and keys, residents/cards import, signed allow-list and config.
# SPDX-License-Identifier: MIT
import json
import os
import random
import stat

import aes128
from firmware import wire
from sync.service import admin, reports
from sync.service.scope import OPERATOR
from sync.vault import card_tokens
from tests.kit.collector_calls import TOKEN_A, day_of_taps, kc, post, register, reply
from tests.kit.wirekit import PaperTerminal

HEADER = "resident_id,name,unit,rusun,card_uid\n"
UID_1 = "04A1B2C3D4E5F6"
UID_2 = "9A8B7C6D"


def _import(collector, *rows):
    return admin.import_residents(collector, (HEADER + "".join(rows)).splitlines(), scope=OPERATOR)


def test_bundle_is_written_private_and_matches_the_contract(collector, tmp_path):
    bundle = admin.add_terminal(
        collector, "Marunda", 2, collector_url="http://h:8000", scope=OPERATOR
    )
    path = str(tmp_path / "t.json")
    admin.write_bundle(bundle, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    data = json.loads(open(path).read())
    assert set(data) == {"format", "terminal_id", "rusun", "door", "k0", "card_key",
                         "collector_url", "ca_pin", "release_pub"}  # fmt: skip
    assert data["format"] == "hadir-provision-1" and data["door"] == 2
    assert len(bytes.fromhex(data["k0"])) == 32 and len(bytes.fromhex(data["card_key"])) == 16
    other = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    assert other["card_key"] == data["card_key"]  # one card key per rusun
    assert other["k0"] != data["k0"] and other["terminal_id"] == data["terminal_id"] + 1


def test_import_computes_tokens_like_the_terminal(collector):
    bundle = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    report = _import(
        collector, f"R1,Siti,MRD-A101,Marunda,{UID_1}\n", f"R2,Budi,MRD-A101,Marunda,{UID_2}\n"
    )
    assert (report.residents, report.cards, report.refused) == (2, 2, [])
    key = bytes.fromhex(bundle["card_key"])
    cipher = aes128.aes(key, 1)
    out = bytearray(16)
    expected = []
    for uid in (UID_1, UID_2):
        wire.card_token(cipher, wire.identity16(bytes.fromhex(uid)), out)
        expected.append("%08X" % wire.token_int(out))
    assert [c["token"] for c in admin.list_cards(collector, scope=OPERATOR)] == expected
    assert card_tokens(key, [bytes.fromhex(UID_1)]) == [int(expected[0], 16)]
    again = _import(collector, f"R1,Siti,MRD-A101,Marunda,{UID_1}\n")
    assert (again.residents, again.cards, again.unchanged) == (0, 0, 1)


def test_import_refuses_random_uid_other_unit_and_colliding_token(collector):
    bundle = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    key = bytes.fromhex(bundle["card_key"])
    a, b = _colliding_uids(key)
    report = _import(
        collector,
        f"R1,Siti,MRD-A101,Marunda,{UID_1}\n",
        "R2,Budi,MRD-A102,Marunda,08112233\n",
        f"R3,Ani,MRD-A103,Marunda,{UID_1}\n",
        f"R4,Dewi,MRD-A104,Marunda,{a.hex()}\n",
        f"R5,Eko,MRD-A105,Marunda,{b.hex()}\n",
        "R6,Fajar,MRD-A106,Marunda,XYZ\n",
    )
    assert report.cards == 2
    assert len(report.refused) == 4
    text = "\n".join(report.refused)
    assert "line 3" in text and "random UID" in text
    assert "line 4" in text and "another unit" in text
    assert "line 6" in text and "collides" in text
    assert "line 7" in text and "not hex" in text
    # A refused row leaves nothing behind: no resident, no unit, no card.
    assert [r["resident_id"] for r in admin.list_residents(collector, scope=OPERATOR)] == [
        "R1",
        "R4",
    ]
    assert [c["unit"] for c in admin.list_cards(collector, scope=OPERATOR)] == [
        "MRD-A101",
        "MRD-A104",
    ]


def _colliding_uids(key):
    """Two 4-byte UIDs whose tokens collide under ``key`` (birthday search, seeded)."""
    rng = random.Random(5)
    seen = {}
    while True:
        uids = [bytes([rng.randrange(0x10, 0x80)]) + rng.randbytes(3) for _ in range(65536)]
        for uid, tok in zip(uids, card_tokens(key, uids)):
            if tok in seen and seen[tok] != uid:
                return seen[tok], uid
            seen[tok] = uid


def test_allowlist_is_signed_sorted_and_versioned(collector, client):
    term = register(collector)
    body = term.batch()
    response = post(client, body, "/v1/allowlist")
    assert response.status_code == 200
    assert wire.allowlist_header(kc(term), response.content) == (1, term.terminal_id, 0)
    rows = [f"R{i},N{i},MRD-A{100 + i % 40},Marunda,04{i:012X}\n" for i in range(1200)]
    assert _import(collector, *rows).cards == 1200
    body = term.batch()
    data = post(client, body, "/v1/allowlist").content
    version, tid, count = wire.allowlist_header(kc(term), data)
    assert (tid, count) == (term.terminal_id, 1200) and version > 1
    tokens = [int.from_bytes(data[16 + 6 * i : 20 + 6 * i], "big") for i in range(count)]
    assert tokens == sorted(tokens)
    status_req = term.batch()
    assert reply(term, status_req, post(client, status_req))[4] == version


def test_config_is_signed_and_its_version_announced(collector, client):
    term = register(collector)
    assert admin.set_config(collector, term.terminal_id, {"debounce_s": 20}, scope=OPERATOR) == 2
    body = term.batch()
    response = post(client, body, "/v1/config")
    version, tid, text = wire.decode_config(kc(term), response.content)
    assert (version, tid) == (2, term.terminal_id)
    assert json.loads(text)["debounce_s"] == 20
    assert reply(term, body, post(client, body))[3] == 2
    assert post(client, day_of_taps(term), "/v1/config").status_code == 400  # not count 0


def test_rotation_starts_a_new_generation(collector, client):
    term = register(collector)
    body = day_of_taps(term)
    reply(term, body, post(client, body))
    new = admin.rotate_terminal(collector, term.terminal_id, scope=OPERATOR)
    assert post(client, term.batch()).status_code == 401  # the old key is dead
    fresh = PaperTerminal(term.terminal_id, bytes.fromhex(new["k0"]))
    fresh.bundle = new
    fresh.boot()
    fresh.tap(TOKEN_A)
    body = fresh.batch()
    assert reply(fresh, body, post(client, body))[:2] == (wire.REPLY_OK, 3)
    assert reports.health(collector)[0]["acked"] == 3


def test_secrets_are_not_stored_in_clear(collector, settings):
    bundle = admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    _import(collector, f"R1,Siti,MRD-A101,Marunda,{UID_1}\n")
    cells = []
    with collector.db.read() as tx:
        for table in ("rusun", "terminals", "cards", "card_tokens", "residents"):
            for row in tx.all(f"SELECT * FROM {table}"):
                cells += [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode()
                          for v in row]  # fmt: skip
    dump = b"|".join(cells)
    if not settings.db.startswith("postgresql"):
        collector.db.close()
        dump += open(settings.db, "rb").read()
    for secret in (bundle["k0"], bundle["card_key"], UID_1):
        assert bytes.fromhex(secret) not in dump
        assert secret.encode() not in dump.upper() and secret.lower().encode() not in dump


def test_one_resident_two_cards_and_a_repeated_row_in_one_file(collector):
    admin.add_terminal(collector, "Marunda", 1, scope=OPERATOR)
    report = _import(
        collector,
        f"R1,Siti,MRD-A101,Marunda,{UID_1}\n",
        f"R1,Siti Aminah,MRD-A101,Marunda,{UID_2}\n",
        f"R1,Siti Aminah,MRD-A101,Marunda,{UID_1}\n",
    )
    assert (report.residents, report.cards, report.unchanged, report.refused) == (1, 2, 1, [])
    assert [r["name"] for r in admin.list_residents(collector, scope=OPERATOR)] == ["Siti Aminah"]
    # A new rusun adds no token rows: cards keep their home tokens only, never cards x sites
    # (a card tapped at Cakung is recognised there when it is tapped: test_card_tokens.py).
    admin.add_terminal(collector, "Cakung", 1, scope=OPERATOR)
    with collector.db.read() as tx:
        assert tx.value("SELECT COUNT(*) FROM card_tokens") == 2
