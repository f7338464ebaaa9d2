# wifi: the board double's Wi-Fi station: joins when asked, rejoins by itself, as the port does.
# SPDX-License-Identifier: MIT
"""``Wifi(up=True, rssi=-60, joined=False)`` is ``hw.wifi``, shaped like ``firmware.hardware.Wifi``
over MicroPython's ``network.WLAN(STA_IF)`` on the ESP32:

- ``connect(ssid, password)`` returns at once (the port starts the join and returns);
  ``attempts`` counts the calls;
- ``isconnected()``: a join was asked for and the access point is in reach (``ap_up()``, by
  default the ``up`` attribute). Once asked, the station rejoins by itself whenever the access
  point comes back: MicroPython's ``ports/esp32/network_wlan.c`` calls ``esp_wifi_connect()``
  again on every ``WIFI_EVENT_STA_DISCONNECTED`` while a connection is requested (reconnects
  unlimited by default);
- ``rssi()``: the signal in dBm while connected, 0 otherwise (``firmware.hardware`` turns the
  port's ``OSError`` when not connected into 0).

``joined=True``: the station has already been asked to join (the fleet simulation's terminals,
whose Wi-Fi is not what it studies). ``ap_up()`` is what a simulation overrides to put the access
point on its own schedule.
"""


class Wifi:
    def __init__(self, up=True, rssi=-60, joined=False):
        self.up = up
        self.level = rssi
        self.requested = joined
        self.attempts = 0

    def ap_up(self):
        return self.up

    def connect(self, ssid, password):
        self.attempts += 1
        self.requested = True

    def isconnected(self):
        return self.requested and self.ap_up()

    def rssi(self):
        return self.level if self.isconnected() else 0
