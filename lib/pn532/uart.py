# pn532.uart: the PN532 over HSU (high-speed UART, UM0701-02 §6.2, HSU), the terminal's default.
# SPDX-License-Identifier: MIT
"""``PN532UART(uart, *, reset=None)``: ``uart`` is a ``machine.UART``-like object at 115200 8N1
with ``write``, ``any`` and ``readinto(buf, nbytes)``; ``reset`` a Pin-like RSTPDN (active low)."""

from .chip import PN532

# HSU wake-up: 0x55 then a long preamble of zeros lets the chip leave power-down / power-on
# before the first frame (UM0701-02 §7.2.11, HSU wake-up condition).
_WAKE = b"\x55\x55" + bytes(14)


class PN532UART(PN532):
    def __init__(self, uart, *, reset=None):
        super().__init__(reset)
        self._uart = uart

    def _write(self, buf):
        self._uart.write(buf)

    def _read(self, buf):
        n = self._uart.any()
        if not n:
            return 0
        return self._uart.readinto(buf, min(n, len(buf))) or 0

    def _wake(self):
        self._uart.write(_WAKE)
