# boot.py: first file the ESP32 runs at power-up. SPDX-License-Identifier: MIT
# Minimal: the safe-mode button (held at power-up: no application, REPL free) and the watchdog.
try:
    from firmware import hardware

    hardware.boot()
except Exception as e:  # noqa: BLE001 - a broken install must still leave the REPL usable
    print("hadir: boot:", repr(e))
