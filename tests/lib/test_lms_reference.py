# lib/lms.py against an independent RFC 8554 implementation (the hsslms package), both ways.
# SPDX-License-Identifier: MIT
import os

import lms
from hsslms import LMOTS_ALGORITHM_TYPE, LMS_ALGORITHM_TYPE, LMS_Priv, LMS_Pub


def test_hsslms_accepts_our_signatures():
    ident, seed = os.urandom(16), os.urandom(32)
    for ots in (2, 3, 4):
        t = lms.tree(5, ots, ident, seed)
        pk = lms.public_key(5, ots, ident, t)
        sig = lms.sign(5, ots, ident, seed, t, 5, b"manifest", os.urandom(32))
        LMS_Pub(pk).verify(b"manifest", sig)  # raises INVALID when it does not verify


def test_we_accept_hsslms_signatures_and_refuse_a_changed_message():
    h5, w4 = LMS_ALGORITHM_TYPE.LMS_SHA256_M32_H5, LMOTS_ALGORITHM_TYPE.LMOTS_SHA256_N32_W4
    priv = LMS_Priv(h5, w4, 1)
    pub = priv.gen_pub().get_pubkey()
    for _ in range(3):
        sig = priv.sign(b"release 7")
        assert lms.verify(pub, b"release 7", sig)
        assert not lms.verify(pub, b"release 8", sig)
