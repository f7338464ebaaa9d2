# boot.py: first file the ESP32 runs at power-up. SPDX-License-Identifier: MIT
# Kept minimal on purpose: the terminal application adds the safe-mode button and the watchdog.
