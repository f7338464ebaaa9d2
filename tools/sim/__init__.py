# tools.sim: every simulated thing, one sub-folder each; product code never imports from here.
# SPDX-License-Identifier: MIT
"""``pn532`` (the PN532 and its cards), ``flash`` (the NOR flash), ``board`` (the ESP32 board's
peripherals and the ``hw`` they make up) run on CPython and MicroPython (device tests load them
into the WebAssembly port); ``device`` (the raw-REPL device double the technician tools are
tested against) and ``fleet`` (the simulated deployment: world and engine) are CPython."""
