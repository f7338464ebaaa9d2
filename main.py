# main.py: runs after boot.py on the ESP32. SPDX-License-Identifier: MIT
# Builds the hardware from config.json (firmware/hardware.py) and runs the terminal application.
from firmware import hardware

hardware.main()
