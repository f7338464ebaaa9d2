# cards: build simulated cards from short text specs such as "classic1k:04A1B2C3".
# SPDX-License-Identifier: MIT
"""``from_spec("ntag215:04112233445566")`` -> a card model. Kinds and their UID lengths:

=================================  ==========================
``classic1k``, ``classic4k``       4 or 7 bytes
``gen1a``                          4 bytes (Gen1a magic 1K)
``ultralight``, ``ntag213/215/216``  7 bytes
``desfire-ev1/ev2/ev3``            7 bytes
``random``                         none: ``random`` or ``random:SEED``
=================================  ==========================
"""

from binascii import unhexlify

from tools.sim.pn532.classic import Classic, Gen1a
from tools.sim.pn532.isodep import DESFire, RandomUID
from tools.sim.pn532.type2 import Type2

KINDS = ("classic1k", "classic4k", "gen1a", "ultralight", "ntag213", "ntag215", "ntag216",
         "desfire-ev1", "desfire-ev2", "desfire-ev3", "random")  # fmt: skip


def from_spec(spec):
    kind, _, arg = spec.partition(":")
    kind = kind.strip().lower()
    if kind == "random":
        return RandomUID(int(arg) if arg else 1)
    if kind not in KINDS:
        raise ValueError("unknown card kind: " + kind)
    uid = unhexlify(arg.strip())
    want = (4, 7) if kind in ("classic1k", "classic4k") else ((4,) if kind == "gen1a" else (7,))
    if len(uid) not in want:
        raise ValueError(kind + ": UID must be " + " or ".join(str(n) for n in want) + " bytes")
    if kind == "classic1k":
        return Classic(uid, 64)
    if kind == "classic4k":
        return Classic(uid, 256)
    if kind == "gen1a":
        return Gen1a(uid)
    if kind.startswith("desfire"):
        return DESFire(kind, uid)
    return Type2(kind, uid)
