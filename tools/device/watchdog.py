# watchdog: device-side snippet; feed the hardware watchdog that boot.py started, if it did.
# SPDX-License-Identifier: MIT
"""The terminal's boot.py starts a 60 s ESP32 watchdog (``firmware.hardware._wdt``) at every
boot, soft resets included, and nothing can stop it; the tools feed it while they work."""

import sys


def feed():
    hw = sys.modules.get("firmware.hardware")
    wdt = getattr(hw, "_wdt", None) if hw is not None else None
    if wdt is None:
        return False
    wdt.feed()
    return True
