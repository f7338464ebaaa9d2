# firmware: the terminal application; wire.py and config.py are imported by CPython programs too.
# SPDX-License-Identifier: MIT
"""On the terminal ``/lib`` is on ``sys.path``, so device code imports ``lib/`` modules as
top-level names (``import compat``, ``from hmac_sha256 import ...``). A CPython program that
imports this package (the collector, the technician tools, the simulations) gets ``lib/``
appended to its ``sys.path`` here, once, so the same modules import the same way there."""

import sys

if sys.implementation.name != "micropython":
    _lib = __file__.replace("\\", "/").rsplit("/", 2)[0] + "/lib"
    if _lib not in sys.path:
        sys.path.append(_lib)
