# main.py: runs after boot.py on the ESP32. SPDX-License-Identifier: MIT
# The terminal application is not installed yet; until it is, the REPL stays free.
