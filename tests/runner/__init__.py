# runner: the device-test runners (WebAssembly port: mpy.mjs; 32-bit unix port: unix.py).
# SPDX-License-Identifier: MIT
