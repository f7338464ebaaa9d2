# aes128: AES-128 block encryption in pure Python, API-compatible with MicroPython's cryptolib.aes.
# SPDX-License-Identifier: MIT
"""Used where ``cryptolib`` is absent (the WebAssembly port, CPython); the ESP32 has cryptolib.

Only what hadir needs: ECB mode (``aes(key, 1)``), encryption, one or more 16-byte blocks. After
construction ``encrypt(src, dst)`` allocates nothing (FIPS-197 section 5.1, tables built once).
"""


def _build_tables():
    sbox = bytearray(256)
    # Multiplicative inverse in GF(2^8) by walking generator 3 (FIPS-197 section 5.1.1).
    p = q = 1
    while True:
        p = p ^ ((p << 1) & 0xFF) ^ (0x1B if p & 0x80 else 0)
        q ^= q << 1
        q ^= q << 2
        q ^= q << 4
        q &= 0xFF
        if q & 0x80:
            q ^= 0x09
        x = q ^ (q << 1 | q >> 7) ^ (q << 2 | q >> 6) ^ (q << 3 | q >> 5) ^ (q << 4 | q >> 4)
        sbox[p] = (x ^ 0x63) & 0xFF
        if p == 1:
            break
    sbox[0] = 0x63
    xtime = bytearray(256)
    for i in range(256):
        xtime[i] = ((i << 1) ^ (0x1B if i & 0x80 else 0)) & 0xFF
    return bytes(sbox), bytes(xtime)


_SBOX, _XTIME = _build_tables()
# ShiftRows as a source index for each destination byte of the column-major state.
_SHIFT = bytes((0, 5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11))


class aes:  # noqa: N801 - named as cryptolib.aes
    def __init__(self, key, mode, iv=None):
        if len(key) != 16:
            raise ValueError("AES-128 key must be 16 bytes")
        if mode != 1:
            raise ValueError("only ECB mode (1) is supported")
        rk = bytearray(176)
        rk[0:16] = key
        rcon = 1
        for i in range(16, 176, 4):
            a, b, c, d = rk[i - 4], rk[i - 3], rk[i - 2], rk[i - 1]
            if i % 16 == 0:  # RotWord, SubWord, Rcon (FIPS-197 section 5.2)
                a, b, c, d = _SBOX[b] ^ rcon, _SBOX[c], _SBOX[d], _SBOX[a]
                rcon = _XTIME[rcon]
            rk[i] = rk[i - 16] ^ a
            rk[i + 1] = rk[i - 15] ^ b
            rk[i + 2] = rk[i - 14] ^ c
            rk[i + 3] = rk[i - 13] ^ d
        self._rk = rk
        self._s = bytearray(16)
        self._t = bytearray(16)

    def encrypt(self, src, dst=None):
        if len(src) % 16:
            raise ValueError("data must be whole 16-byte blocks")
        if dst is None:
            dst = bytearray(len(src))
        for off in range(0, len(src), 16):
            self._block(src, off, dst)
        return dst

    def _block(self, src, off, dst):
        # Plain assignments: unpacking more than three names builds a tuple on MicroPython.
        rk = self._rk
        s = self._s
        t = self._t
        sbox = _SBOX
        xt = _XTIME
        shift = _SHIFT
        for i in range(16):
            s[i] = src[off + i] ^ rk[i]
        for rnd in range(1, 10):
            for i in range(16):  # SubBytes + ShiftRows
                t[i] = sbox[s[shift[i]]]
            k = rnd * 16
            for c in range(0, 16, 4):  # MixColumns + AddRoundKey (FIPS-197 section 5.1.3)
                a0 = t[c]
                a1 = t[c + 1]
                a2 = t[c + 2]
                a3 = t[c + 3]
                e = a0 ^ a1 ^ a2 ^ a3
                s[c] = a0 ^ e ^ xt[a0 ^ a1] ^ rk[k + c]
                s[c + 1] = a1 ^ e ^ xt[a1 ^ a2] ^ rk[k + c + 1]
                s[c + 2] = a2 ^ e ^ xt[a2 ^ a3] ^ rk[k + c + 2]
                s[c + 3] = a3 ^ e ^ xt[a3 ^ a0] ^ rk[k + c + 3]
        for i in range(16):
            dst[off + i] = sbox[s[shift[i]]] ^ rk[160 + i]
