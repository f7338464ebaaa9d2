# compat_host: CPython stand-ins for MicroPython built-ins; imported only by compat.py on CPython.
# SPDX-License-Identifier: MIT
"""Never runs on a terminal. Excluded from the ESP32 type check: it uses CPython's ``time``."""

import asyncio
import time

_TICKS_PERIOD = 1 << 30  # MicroPython's ticks period on 32-bit ports
_TICKS_MASK = _TICKS_PERIOD - 1
_TICKS_HALF = _TICKS_PERIOD >> 1


def const(value):
    return value


def ticks_ms():
    # Wrapped like MicroPython so wrap-around bugs show in CPython tests too.
    return int(time.monotonic() * 1000) & _TICKS_MASK


def ticks_add(ticks, delta):
    return (ticks + delta) & _TICKS_MASK


def ticks_diff(end, start):
    return ((end - start + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF


def sleep_ms(ms):
    time.sleep(ms / 1000)


def asleep_ms(ms):
    return asyncio.sleep(ms / 1000)


def mem_alloc():
    return 0  # allocation is measured under MicroPython only
