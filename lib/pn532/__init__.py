# pn532: NXP PN532 NFC reader driver for MicroPython (UART/HSU and I2C), after UM0701-02.
# SPDX-License-Identifier: MIT
"""Usage::

    import pn532
    reader = pn532.PN532UART(machine.UART(2, 115200, rx=16, tx=17), reset=machine.Pin(4))
    reader.init()                       # wake-up, SAMConfiguration, MaxRetries
    reader.start_poll()
    while (r := reader.poll()) == pn532.WOULDBLOCK: ...
    if r == pn532.READY: n = reader.target.uid_into(buf)

See docs/pn532.md for the capability table and the manual sections each part follows.
"""

from .chip import PN532, READY, TIMEOUT, WOULDBLOCK  # noqa: F401
from .errors import PN532ChipError, PN532Error, PN532FrameError, PN532Timeout  # noqa: F401
from .i2c import PN532I2C  # noqa: F401
from .target import Target  # noqa: F401
from .uart import PN532UART  # noqa: F401
