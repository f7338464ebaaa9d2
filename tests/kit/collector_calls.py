# Helpers for collector tests: register a paper terminal, upload, decode the signed reply.
# SPDX-License-Identifier: MIT
from firmware import wire
from sync.service import admin, ingest
from sync.service.scope import OPERATOR
from sync.vault import card_tokens
from tests.kit.wirekit import PaperTerminal

TOKEN_A = b"\x01\x02\x03\x04"
TOKEN_B = b"\xa0\xb1\xc2\xd3"
WALL = 850_000_000  # seconds since 2000: 2026-12-08 (any fixed day)


def register(collector, rusun="Marunda", door=1):
    bundle = admin.add_terminal(collector, rusun, door, scope=OPERATOR)
    term = PaperTerminal(bundle["terminal_id"], bytes.fromhex(bundle["k0"]))
    term.bundle = bundle
    return term


def enroll(collector, *rows):
    """Import residents with cards: rows of ``resident_id,name,unit,rusun,card_uid``."""
    text = ["resident_id,name,unit,rusun,card_uid", *rows]
    assert admin.import_residents(collector, text, scope=OPERATOR).refused == []


def tap_card(collector, term, uid_hex):
    """One tap of the card ``uid_hex`` at ``term``'s door, an hour ago, uploaded."""
    key = bytes.fromhex(term.bundle["card_key"])
    token = card_tokens(key, [bytes.fromhex(uid_hex)])[0]
    term.boot()
    term.clock(collector.now() - 3600 - wire.HOST_EPOCH_OFFSET)
    term.tap(token.to_bytes(4, "big"))
    assert ingest.upload(collector, term.batch()).http == 200


def kc(term):
    return wire.config_key(bytes.fromhex(term.bundle["k0"]))


def post(client, body, path="/v1/batches"):
    headers = {"content-type": "application/octet-stream"}
    return client.post(path, content=bytes(body), headers=headers)


def reply(term, body, response):
    """(status, acked, server_time, config_version, allowlist_version) of a 200 reply."""
    assert response.status_code == 200, response.text
    return wire.decode_reply(kc(term), body[-wire.REQUEST_MAC_LEN :], response.content)


def day_of_taps(term, taps=3, clock_first=True):
    term.boot(door=1)
    if clock_first:
        term.clock(WALL)
    for i in range(taps):
        term.tap(TOKEN_A if i % 2 == 0 else TOKEN_B, advance_ms=60_000)
    if not clock_first:
        term.clock(WALL + 10_000)
    return term.batch({"backlog_slots": 0, "storage_per_mille": 12, "clock_quality": 1})


def resend(term, *bodies):
    """What a terminal sends after a ``gap`` reply: the blocks of ``bodies`` (consecutive batches)
    again, as one batch signed with the key it holds now."""
    first = wire.decode_batch(bodies[0])
    slots = b"".join(wire.decode_batch(b).slots for b in bodies)
    return wire.encode_batch(
        term.terminal_id, first.first_seq, first.epoch, first.prev_mac,
        wire.pack_health({}), slots, term.key,
    )  # fmt: skip


def twin(term):
    """A second paper terminal holding the same identity and key (a thief's, or a clone)."""
    other = PaperTerminal(term.terminal_id, bytes.fromhex(term.bundle["k0"]))
    other.bundle = term.bundle
    return other


def resign(term, body, slots):
    """``body`` with other slots, request MAC recomputed with the terminal's current key."""
    b = wire.decode_batch(body)
    return wire.encode_batch(
        b.terminal_id, b.first_seq, b.epoch, b.prev_mac, wire.pack_health({}), slots, term.key
    )


# Two residents of Marunda (R1 Siti in A101, R2 Budi in A102) and their card numbers.
TWO_FLATS = {"R1": "04A1B2C3D4E5F6", "R2": "04B1B2C3D4E5F7"}


def two_flats_tapped(collector, client, now):
    """Siti and Budi imported into two flats of Marunda, 3 taps each an hour before ``now``
    (collector time), stored; -> {resident_id: unit_id}."""
    from sync.vault import card_tokens

    term = register(collector)
    rows = ["resident_id,name,unit,rusun,card_uid", f"R1,Siti,MRD-A101,Marunda,{TWO_FLATS['R1']}",
            f"R2,Budi,MRD-A102,Marunda,{TWO_FLATS['R2']}"]  # fmt: skip
    assert admin.import_residents(collector, rows, scope=OPERATOR).refused == []
    key = bytes.fromhex(term.bundle["card_key"])
    uids = [bytes.fromhex(TWO_FLATS[r]) for r in ("R1", "R2")]
    r1, r2 = (t.to_bytes(4, "big") for t in card_tokens(key, uids))
    term.boot()
    term.clock(int(now) - wire.HOST_EPOCH_OFFSET - 3600)
    for _ in range(3):
        term.tap(r1, advance_ms=60_000)
        term.tap(r2, advance_ms=60_000)
    body = term.batch({"backlog_slots": 0})
    assert reply(term, body, post(client, body))[0] == wire.REPLY_OK
    with collector.db.read() as tx:
        return dict(tx.all("SELECT resident_id, unit_id FROM residents"))
