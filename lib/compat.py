# compat: the one place where ESP32 MicroPython and CPython differ for hadir's device code.
# SPDX-License-Identifier: MIT
"""Names device code needs whose home differs between runtimes.

Device modules import these from here instead of from ``time`` or ``micropython`` so the same file
runs on the ESP32, on the MicroPython WebAssembly port (tests) and on CPython (tests, simulation):

=================  ===========================  ====================================
name               ESP32 / WebAssembly port     CPython
=================  ===========================  ====================================
``const``          ``micropython.const``        identity
``ticks_ms``       ``time.ticks_ms``            monotonic ms, wrapped like MicroPython
``ticks_diff``     ``time.ticks_diff``          same arithmetic, period 2**30
``ticks_add``      ``time.ticks_add``           same arithmetic, period 2**30
``sleep_ms``       ``time.sleep_ms``            ``time.sleep(ms / 1000)``
``asleep_ms``      ``asyncio.sleep_ms``         ``asyncio.sleep(ms / 1000)``
``mem_alloc``      ``gc.mem_alloc``             ``0`` (allocation is measured on MicroPython)
``aes``            ``cryptolib.aes``            ``aes128.aes`` (pure Python, same API)
=================  ===========================  ====================================
"""

import sys

IS_MICROPYTHON = sys.implementation.name == "micropython"

if IS_MICROPYTHON:
    from asyncio import sleep_ms as asleep_ms  # noqa: F401
    from gc import mem_alloc  # noqa: F401
    from time import sleep_ms, ticks_add, ticks_diff, ticks_ms  # noqa: F401

    from micropython import const
else:
    from compat_host import (  # noqa: F401
        asleep_ms,
        const,
        mem_alloc,
        sleep_ms,
        ticks_add,
        ticks_diff,
        ticks_ms,
    )

try:
    from cryptolib import aes  # ESP32: mbedtls, encrypts into a caller buffer
except ImportError:  # WebAssembly port and CPython have no cryptolib
    from aes128 import aes  # noqa: F401
