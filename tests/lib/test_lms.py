# lib/lms.py on both interpreters: sign and verify, every tampering refused, bounded heap.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 64k: a test key's Merkle tree and signing (verify alone: see test_verify_heap)
import lms

IDENT = bytes(range(16))
SEED = bytes(range(32, 64))
RAND = bytes(range(64, 96))
MSG = b"HDM1 a release manifest" * 20


def key(ots=3):
    t = lms.tree(5, ots, IDENT, SEED)
    return t, lms.public_key(5, ots, IDENT, t)


def test_a_signature_verifies_and_any_other_message_does_not():
    t, pk = key()
    sig = lms.sign(5, 3, IDENT, SEED, t, 7, MSG, RAND)
    assert len(sig) == lms.signature_len(3, 5) == 2348
    assert lms.verify(pk, MSG, sig)
    assert not lms.verify(pk, MSG[:-1] + b"?", sig)


def test_each_leaf_signs_and_a_wrong_leaf_index_fails():
    t, pk = key(ots=2)
    for q in (0, 1, 31):
        sig = lms.sign(5, 2, IDENT, SEED, t, q, MSG, RAND)
        assert lms.verify(pk, MSG, sig)
        other = bytearray(sig)
        other[3] ^= 1
        assert not lms.verify(pk, MSG, other)


def test_one_flipped_bit_anywhere_is_refused():
    t, pk = key(ots=4)
    sig = lms.sign(5, 4, IDENT, SEED, t, 2, MSG, RAND)
    for at in range(0, len(sig), 97):
        bad = bytearray(sig)
        bad[at] ^= 0x10
        assert not lms.verify(pk, MSG, bad), at


def test_another_key_and_junk_are_refused_without_raising():
    t, pk = key()
    sig = lms.sign(5, 3, IDENT, SEED, t, 0, MSG, RAND)
    other = lms.public_key(5, 3, IDENT, lms.tree(5, 3, IDENT, bytes(32)))
    assert not lms.verify(other, MSG, sig)
    assert not lms.verify(pk, MSG, sig[:-1])
    assert not lms.verify(pk, MSG, b"")
    assert not lms.verify(b"short", MSG, sig)
    assert not lms.verify(b"\xff" * 56, MSG, sig)


def test_check_yields_between_chains_so_a_task_can_run_meanwhile():
    t, pk = key()
    sig = lms.sign(5, 3, IDENT, SEED, t, 1, MSG, RAND)
    steps = list(lms.check(pk, MSG, sig))
    assert steps[-1] is True and len(steps) == 67 + 1
    assert all(s is None for s in steps[:-1])


def test_an_exhausted_key_does_not_sign():
    t, _ = key()
    raised = False
    try:
        lms.sign(5, 3, IDENT, SEED, t, 32, MSG, RAND)
    except ValueError:
        raised = True
    assert raised
