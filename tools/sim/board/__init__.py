# tools.sim.board: the ESP32 board double: the peripherals firmware.hardware builds on a terminal.
# SPDX-License-Identifier: MIT
