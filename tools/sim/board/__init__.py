# board: the ESP32 board double: one set of fake peripherals, and the hw object that carries them.
# SPDX-License-Identifier: MIT
"""What ``firmware.hardware.build`` makes on a terminal, for tests, the device double and the
fleet. The contract both meet is written once: docs/terminal.md, "The hw contract"
(tests/tools/sim/board/test_board_contract.py checks the board double and firmware/hardware.py
against that table).

=====================  ====================================================================
module                 parts
=====================  ====================================================================
``panel``              ``Led``, ``Buzzer``, ``Display``: what the resident sees and hears
``clock``              ``Clock`` (ticks and wall time, simulated or real), ``Rtc`` (DS3231)
``wifi``               ``Wifi``: the station, rejoining by itself as the ESP32 port does
``watchdog``           ``Watchdog``: feeds counted; armed, it expires (the device double's WDT)
``wlan``               ``WLAN``, ``AccessPoint``: ``network.WLAN(STA_IF)`` as network_wlan.c
``i2cdev``             ``Ssd1306``, ``Ds3231``: I2C devices beside the PN532
``chip``               ``Esp32``: ``machine``, ``network``, ``esp32`` for firmware/hardware.py
=====================  ====================================================================

``Hw(reader, flash, state_dir, http, ...)`` is the ``hw`` a ``firmware.app.Terminal`` takes:
the parts given, and a fresh part of this board for each other one the terminal always has
(``led``, ``buzzer``, ``wifi``, ``clock``, ``watchdog``); ``display``, ``rtc`` and ``ntp`` stay
None unless given (not fitted), ``root`` "" (the device's own root). ``reset`` stays None unless
given: on the ESP32 it is ``machine.reset``, which restarts the chip and never returns
(ports/esp32/modmachine.c: ``esp_restart()``); a simulation that restarts its terminal itself
(the fleet's rollout) leaves it out, and firmware/app.py calls it only when present. The reader
is the real driver (``lib/pn532``) on the PN532 simulator's transport (``tools/sim/pn532``), the
flash the NOR model (``tools/sim/flash``); ``http`` and ``ntp`` are the network's, not the
board's.
"""

from tools.sim.board.clock import Clock, Rtc  # noqa: F401
from tools.sim.board.panel import Buzzer, Display, Led  # noqa: F401
from tools.sim.board.watchdog import Watchdog  # noqa: F401
from tools.sim.board.wifi import Wifi  # noqa: F401


class Hw:
    def __init__(self, reader, flash, state_dir, http, root="", led=None, buzzer=None,
                 display=None, rtc=None, wifi=None, clock=None, watchdog=None,
                 ntp=None, reset=None):  # fmt: skip
        self.reader = reader
        self.flash = flash
        self.state_dir = state_dir
        self.http = http
        self.root = root
        self.led = led if led is not None else Led()
        self.buzzer = buzzer if buzzer is not None else Buzzer()
        self.display = display
        self.rtc = rtc
        self.wifi = wifi if wifi is not None else Wifi()
        self.clock = clock if clock is not None else Clock()
        self.watchdog = watchdog if watchdog is not None else Watchdog()
        self.ntp = ntp
        self.reset = reset
