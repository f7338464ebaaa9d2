# wallclock: the unix port's time() -- what mbedTLS checks certificates against -- set by a test.
# SPDX-License-Identifier: MIT
"""Only where ``tests/runner/unix.py`` runs its dynamically linked build of MicroPython's unix
port with ``tests/runner/wallclock.c`` preloaded (``settable()``; the shared static binary,
CPython and the WebAssembly port cannot). ``follow(dt)`` puts libc's ``time()`` at the RTC
datetime tuple ``dt`` (``machine.RTC().datetime()`` order), as the ESP32's RTC sets the time
its mbedTLS reads: pass it as ``Esp32(wall=follow)``. ``real()`` puts it back. MicroPython's own
``time.time()`` stays real throughout."""

import os
import time

_OFFSET = "HADIR_WALL_OFFSET"


def settable():
    return os.getenv("HADIR_WALL_SHIM") == "1"


def follow(dt):
    y, mo, d, _weekday, h, mi, s = dt[:7]
    when = time.mktime((y, mo, d, h, mi, s, 0, 0))  # unix port: UTC seconds since 1970
    os.putenv(_OFFSET, str(when - int(time.time())))


def real():
    os.putenv(_OFFSET, "0")
