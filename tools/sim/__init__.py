# tools.sim: MicroPython-compatible simulator cores (PN532 + cards, flash), also run on CPython.
# SPDX-License-Identifier: MIT
