# Golden vectors of the wire format, checked under MicroPython and CPython (docs/protocol.md).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 96k: batches and allow-lists encoded and decoded whole
from aes128 import aes
from firmware import wire
from tests.kit.mpytest import allocated_bytes, raises

K0 = bytes(range(32))
TOKEN = bytes.fromhex("deadbeef")


def two_slots():
    slots = bytearray(18)
    wire.pack_slot(slots, 0, wire.BOOT, 0, (1 << 8) | 1, 5)
    wire.pack_slot(slots, 9, wire.TAP, wire.CARD_ENROLLED, bytes.fromhex("01020304"), 1005)
    return slots


def sealed_batch():
    slots = two_slots()
    seal = bytearray(9)
    wire.pack_seal(seal, 0, wire.seal_mac(K0, 12, 0, 0, 2, bytes(8), slots))
    health = wire.pack_health({"firmware_version": 1, "taps_today": 1, "boot_counter": 1,
                               "wifi_rssi": -60})  # fmt: skip
    return wire.encode_batch(12, 0, 0, bytes(8), health, bytes(slots) + seal, wire.evolve_key(K0))


def test_tap_slot_layout():
    buf = bytearray(9)
    wire.pack_slot(buf, 0, wire.TAP, wire.CARD_ENROLLED, TOKEN, 0x123456)
    assert buf == bytes.fromhex("11deadbeef12345652")
    assert wire.unpack_slot(buf, 0) == (wire.TAP, 1, 0xDEADBEEF, 0x123456)


def test_int_payload_matches_buffer_payload():
    a = bytearray(9)
    b = bytearray(9)
    wire.pack_slot(a, 0, wire.BOOT, 0, (7 << 8) | 1, 0)
    wire.pack_slot(b, 0, wire.BOOT, 0, bytes.fromhex("00000701"), 0)
    assert a == b == bytes.fromhex("200000070100000051")


def test_slot_states():
    buf = bytearray(b"\xff" * 9)
    assert wire.slot_state(buf, 0) == wire.EMPTY
    wire.pack_slot(buf, 0, wire.TAP, 0, TOKEN, 1)
    assert wire.slot_state(buf, 0) == wire.VALID
    buf[3] ^= 0x10  # a bit flip
    assert wire.slot_state(buf, 0) == wire.CORRUPT
    assert wire.slot_state(bytearray(9), 0) == wire.VALID  # all zero: a VOID slot


def test_checksums_match_their_catalogue_check_values():
    assert wire.crc8(b"123456789", 0, 9) == 0xF4  # CRC-8/SMBUS
    assert wire.fingerprint16(b"123456789", 9) == 0x29B1  # CRC-16/CCITT-FALSE


def test_key_schedule():
    assert wire.evolve_key(K0) == bytes.fromhex(
        "ac8bfe2f5902a1fa7b9ac558f4e304bae6fa356de8db70fd60a62b2707c30b0b"
    )
    assert wire.epoch_key(K0, 1) == wire.evolve_key(K0)
    assert wire.config_key(K0) == bytes.fromhex(
        "fcdfdea8c51e9db0cefbaf890ae7a4f726412d1a6d6301731b4c1aa063f7549a"
    )


def test_seal_mac_vector():
    assert wire.seal_mac(K0, 12, 0, 0, 2, bytes(8), two_slots()) == bytes.fromhex(
        "f5dd4bb6066c4fa7"
    )


def test_batch_vector_and_decoding():
    body = sealed_batch()
    assert body == bytes.fromhex(
        "484442310000000c00000000000300000000000000000000000000010001000000000000000000000000"
        "000000c40000000120000001010000050111010203040003ede5e0f5dd4bb6066c4fa706c3ac6b05586a"
        "bb4c931d8aade3dd25"
    )
    batch = wire.decode_batch(body)
    assert (batch.terminal_id, batch.first_seq, batch.count, batch.epoch) == (12, 0, 3, 0)
    assert batch.blocks() == [(0, 2, 18)]
    assert batch.seals == 1
    assert batch.health["wifi_rssi"] == -60
    assert batch.request_mac_ok(wire.evolve_key(K0))
    assert not batch.request_mac_ok(K0)


def test_malformed_batches_are_refused_with_a_reason():
    body = sealed_batch()
    for bad in (body[:40], b"XXXX" + body[4:], body[:-1], body[:50] + body[59:]):
        with raises(wire.WireError):
            wire.decode_batch(bad)


def test_card_token_vector_and_no_allocation():
    cipher = aes(bytes(range(16)), 1)
    identity = wire.identity16(bytes.fromhex("04a1b2c3"))
    out = bytearray(16)
    wire.card_token(cipher, identity, out)
    assert out[:4] == bytes.fromhex("ab40c577")
    assert allocated_bytes(lambda: wire.card_token(cipher, identity, out)) in (None, 0)


def test_slot_packing_allocates_nothing():
    buf = bytearray(9)
    token = bytearray(TOKEN)
    wire.pack_slot(buf, 0, wire.TAP, 1, token, 0xABCDEF)
    assert allocated_bytes(lambda: wire.pack_slot(buf, 0, wire.TAP, 1, token, 0xABCDEF)) in (
        None,
        0,
    )
    assert allocated_bytes(lambda: wire.slot_state(buf, 0)) in (None, 0)


def test_reply_round_trip_and_binding():
    kc = wire.config_key(K0)
    req = bytes(range(16))
    reply = wire.encode_reply(kc, req, wire.REPLY_OK, 3, 820454400, 1, 2)
    assert reply.hex() == (
        "48444131000000000330e724000000000100000002"
        + wire.hmac_sha256(kc, b"HDA1" + req + reply[:21])[:16].hex()
    )
    assert wire.decode_reply(kc, req, reply) == (0, 3, 820454400, 1, 2)
    with raises(wire.WireError):  # a reply to another request does not verify
        wire.decode_reply(kc, bytes(16), reply)


def test_reply_fields_read_both_shapes_and_nothing_else():
    kc = wire.config_key(K0)
    req = bytes(range(16))
    one = wire.encode_reply(kc, req, wire.REPLY_OK, 3, 820454400, 1, 2)
    two = wire.encode_reply(kc, req, wire.REPLY_GAP, 9, 820454400, 4, 5, offer=(7, 11, 3))
    assert wire.reply_fields(one) == (0, 3, 820454400, 1, 2)
    assert wire.reply_fields(two) == (1, 9, 820454400, 4, 5)
    assert wire.decode_reply(kc, req, two) == wire.reply_fields(two)
    assert wire.reply_offer(two) == (7, 11, 3)
    for bad in (b"HDA2" + one[4:], b"HDA1" + two[4:], b"XXXX" + one[4:], one[:-1], b""):
        with raises(wire.WireError):
            wire.reply_fields(bad)


class _File:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def seek(self, pos):
        self.pos = pos

    def readinto(self, buf):
        n = len(buf)
        buf[:] = self.data[self.pos : self.pos + n]
        self.pos += n
        return n


def test_allowlist_signed_and_searched_in_place():
    kc = wire.config_key(K0)
    entries = [(i * 7919 + 3, i & 0xFFFF) for i in range(1000)]
    data = wire.encode_allowlist(entries, 5, 12, kc)
    assert wire.allowlist_header(kc, data) == (5, 12, 1000)
    f = _File(data)
    entry = bytearray(6)
    token = bytearray(4)
    for value, fp in ((3, 0), (999 * 7919 + 3, 999), (500 * 7919 + 3, 500)):
        token[:] = value.to_bytes(4, "big")
        assert wire.allowlist_find(f, 1000, token, entry) == fp
    token[:] = (4).to_bytes(4, "big")
    assert wire.allowlist_find(f, 1000, token, entry) == -1
    with raises(wire.WireError):
        wire.allowlist_header(kc, data[:-1] + bytes([data[-1] ^ 1]))


def test_config_signed_and_bound_to_its_key():
    kc = wire.config_key(K0)
    blob = wire.encode_config(kc, 3, 12, '{"debounce_s": 30}')
    assert blob[:14] == bytes.fromhex("48444331000000030000000c0012")
    assert wire.decode_config(kc, blob) == (3, 12, '{"debounce_s": 30}')
    tampered = bytearray(blob)
    tampered[20] ^= 1
    for bad in (bytes(tampered), blob[:-1], b"HDL1" + blob[4:]):
        with raises(wire.WireError):
            wire.decode_config(kc, bad)
    with raises(wire.WireError):
        wire.decode_config(wire.config_key(bytes(32)), blob)
