# The paper terminal used by collector tests produces batches the wire module verifies.
# SPDX-License-Identifier: MIT
from firmware import wire
from tests.kit.wirekit import PaperTerminal

K0 = bytes(range(32))


def test_two_batches_chain_and_verify():
    term = PaperTerminal(7, K0)
    term.boot()
    term.clock(820_454_400)
    term.tap(b"\x01\x02\x03\x04")
    first = wire.decode_batch(term.batch())
    term.tap(b"\x01\x02\x03\x05")
    term.seal()
    term.tap(b"\x01\x02\x03\x06")
    second = wire.decode_batch(term.batch())

    assert (first.first_seq, first.count, first.epoch, first.seals) == (0, 4, 0, 1)
    assert first.request_mac_ok(wire.epoch_key(K0, 1))
    (_, _, seal_off) = first.blocks()[0]
    first_mac = wire.seal_mac_of(first.slots, seal_off)
    assert first_mac == wire.seal_mac(K0, 7, 0, 0, 3, bytes(8), first.slots[:27])

    assert (second.first_seq, second.epoch, second.prev_mac) == (4, 1, first_mac)
    assert second.blocks() == [(4, 1, 9), (6, 1, 27)]
    assert second.request_mac_ok(wire.epoch_key(K0, 3))


def test_status_request_has_no_slots():
    term = PaperTerminal(7, K0)
    status = wire.decode_batch(term.batch())
    assert status.count == 0 and status.request_mac_ok(K0)
