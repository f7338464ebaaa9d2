# lms: Leighton-Micali hash-based signatures (RFC 8554): verify on the terminal, sign off it.
# SPDX-License-Identifier: MIT
"""Release manifests are signed with LMS (RFC 8554, SHA-256, n = m = 32): the only primitive it
needs is SHA-256, which ESP32 MicroPython has in hardware (``hashlib``), where Ed25519 or ECDSA
would need big-number arithmetic in Python (docs/security.md, "Signed releases").

    ok = verify(public_key, message, signature)           # True / False, never raises on junk
    for done in check(public_key, message, signature):    # the same, one hash chain a step,
        ...                                               # so a task can yield in between

``keygen`` / ``sign`` need the private seed, which only the release key file holds (never a
terminal); they are here so one implementation serves the collector's release tool and the
device tests. LMS is *stateful*: a leaf ``q`` signs once; the caller stores ``q + 1`` before it
uses the signature. Imports only ``hashlib``.
"""

import hashlib

# RFC 8554 §4.1 (LM-OTS, n = 32): typecode -> (w, p, ls); §5.1 (LMS, m = 32): typecode -> h.
OTS_TYPES = {1: (1, 265, 7), 2: (2, 133, 6), 3: (4, 67, 4), 4: (8, 34, 0)}
LMS_TYPES = {5: 5, 6: 10, 7: 15, 8: 20, 9: 25}
_N = 32
_D_PBLC = b"\x80\x80"
_D_MESG = b"\x81\x81"
_D_LEAF = b"\x82\x82"
_D_INTR = b"\x83\x83"
PUBLIC_KEY_LEN = 56


def _u32(v):
    return bytes(((v >> 24) & 0xFF, (v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF))


def _get32(b, off):
    return (b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]


def _coef(s, i, w):
    return ((1 << w) - 1) & (s[(i * w) >> 3] >> (8 - (w * (i % (8 // w)) + w)))


def _digits(q_hash, w, ls):
    """Q | checksum, the p base-2^w digits the chains run to (RFC 8554 §4.4)."""
    top = (1 << w) - 1
    total = 0
    for i in range(_N * 8 // w):
        total += top - _coef(q_hash, i, w)
    total <<= ls
    return q_hash + bytes(((total >> 8) & 0xFF, total & 0xFF))


def signature_len(ots_type, lms_type):
    w, p, ls = OTS_TYPES[ots_type]
    return 4 + 4 + _N + p * _N + 4 + LMS_TYPES[lms_type] * _N


def check(public_key, message, signature):
    """Verify step by step: yields None after each hash chain, then True or False once."""
    pk = bytes(public_key)
    sig = signature  # any buffer; never copied (a 2.3 KB block is scarce in a fragmented heap)
    if len(pk) != PUBLIC_KEY_LEN or len(sig) < 12:
        yield False
        return
    lms_type = _get32(pk, 0)
    ots_type = _get32(pk, 4)
    if lms_type not in LMS_TYPES or ots_type not in OTS_TYPES or _get32(sig, 4) != ots_type:
        yield False
        return
    w, p, ls = OTS_TYPES[ots_type]
    h = LMS_TYPES[lms_type]
    if len(sig) != signature_len(ots_type, lms_type):
        yield False
        return
    q = _get32(sig, 0)
    at = 8 + _N + p * _N
    if q >= (1 << h) or _get32(sig, at) != lms_type:
        yield False
        return
    ident = pk[8:24]
    iq = ident + _u32(q)
    q_hash = hashlib.sha256(iq + _D_MESG + bytes(sig[8 : 8 + _N]))
    q_hash.update(message)
    q_hash = q_hash.digest()
    digits = _digits(q_hash, w, ls)
    top = (1 << w) - 1
    kc = hashlib.sha256(iq + _D_PBLC)
    buf = bytearray(iq + b"\x00\x00\x00" + bytes(_N))  # I | q | i (2) | j (1) | tmp (32)
    mv = memoryview(buf)
    for i in range(p):
        buf[20] = i >> 8
        buf[21] = i & 0xFF
        y = 8 + _N + i * _N
        buf[23:55] = sig[y : y + _N]
        for j in range(_coef(digits, i, w), top):
            buf[22] = j
            buf[23:55] = hashlib.sha256(mv).digest()
        kc.update(mv[23:55])
        yield None
    node = (1 << h) + q
    tmp = hashlib.sha256(ident + _u32(node) + _D_LEAF + kc.digest()).digest()
    path = at + 4
    while node > 1:
        sib = bytes(sig[path : path + _N])
        pair = sib + tmp if node & 1 else tmp + sib
        node >>= 1
        tmp = hashlib.sha256(ident + _u32(node) + _D_INTR + pair).digest()
        path += _N
    diff = 0
    for a, b in zip(tmp, pk[24:56]):
        diff |= a ^ b
    yield diff == 0


def verify(public_key, message, signature):
    result = False
    for step in check(public_key, message, signature):
        result = step
    return result is True


# --- signing (the release key's holder only) ---------------------------------------------------


def _ots_secret(ident, q, seed, i):
    return hashlib.sha256(ident + _u32(q) + bytes((i >> 8, i & 0xFF, 0xFF)) + seed).digest()


def _chain(iqi, tmp, start, stop):
    for j in range(start, stop):
        tmp = hashlib.sha256(iqi + bytes((j,)) + tmp).digest()
    return tmp


def _leaf(ident, seed, q, ots_type, h):
    w, p, ls = OTS_TYPES[ots_type]
    iq = ident + _u32(q)
    k = hashlib.sha256(iq + _D_PBLC)
    for i in range(p):
        iqi = iq + bytes((i >> 8, i & 0xFF))
        k.update(_chain(iqi, _ots_secret(ident, q, seed, i), 0, (1 << w) - 1))
    return hashlib.sha256(ident + _u32((1 << h) + q) + _D_LEAF + k.digest()).digest()


def tree(lms_type, ots_type, ident, seed):
    """The Merkle tree T[1 .. 2^(h+1)-1] (index 0 unused) of a private key."""
    h = LMS_TYPES[lms_type]
    t = [b""] * (2 << h)
    for q in range(1 << h):
        t[(1 << h) + q] = _leaf(ident, seed, q, ots_type, h)
    for r in range((1 << h) - 1, 0, -1):
        t[r] = hashlib.sha256(ident + _u32(r) + _D_INTR + t[2 * r] + t[2 * r + 1]).digest()
    return t


def public_key(lms_type, ots_type, ident, t):
    return _u32(lms_type) + _u32(ots_type) + bytes(ident) + t[1]


def sign(lms_type, ots_type, ident, seed, t, q, message, randomizer):
    """The signature of ``message`` with leaf ``q`` (used once: the caller stores q + 1 first);
    ``randomizer`` is 32 fresh random bytes (C, RFC 8554 §4.5)."""
    w, p, ls = OTS_TYPES[ots_type]
    h = LMS_TYPES[lms_type]
    if not 0 <= q < (1 << h):
        raise ValueError("release key exhausted")
    out = bytearray(signature_len(ots_type, lms_type))  # first: one block, before the chains
    iq = ident + _u32(q)
    q_hash = hashlib.sha256(iq + _D_MESG + bytes(randomizer))
    q_hash.update(message)
    digits = _digits(q_hash.digest(), w, ls)
    out[0:4] = _u32(q)
    out[4:8] = _u32(ots_type)
    out[8:40] = randomizer
    at = 40
    for i in range(p):
        iqi = iq + bytes((i >> 8, i & 0xFF))
        out[at : at + _N] = _chain(iqi, _ots_secret(ident, q, seed, i), 0, _coef(digits, i, w))
        at += _N
    out[at : at + 4] = _u32(lms_type)
    at += 4
    r = (1 << h) + q
    for _ in range(h):
        out[at : at + _N] = t[r ^ 1]
        at += _N
        r >>= 1
    return out
