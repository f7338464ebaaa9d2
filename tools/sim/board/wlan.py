# wlan: the double of network.WLAN(STA_IF) on the ESP32, as ports/esp32/network_wlan.c behaves.
# SPDX-License-Identifier: MIT
"""``WLAN(clock, ap)``: the station interface of MicroPython's ESP32 port over an access point
``ap`` (``AccessPoint``: its SSID, password, signal and whether it is in reach now), on the
board double's clock. What ``firmware/hardware.py`` calls, and what the port does
(micropython/micropython ``ports/esp32/network_wlan.c`` and ``modnetwork.c``, v1.27.0):

- ``active(True)`` starts the driver (``esp_wifi_start``); ``connect()`` before that raises
  ``OSError("Wifi Not Started")`` (``ESP_ERR_WIFI_NOT_STARTED`` through ``esp_exceptions``).
- ``connect(ssid, key)`` starts a join and returns at once (``esp_wifi_connect``); from then
  on the connection is *requested*. While a join is under way -- the first one, or one the
  driver started by itself -- a second ``connect()`` raises ``OSError("Wifi Internal Error")``
  (``ESP_ERR_WIFI_CONN``; upstream micropython/micropython#17661: the error field code meets).
  ``connect()`` while connected raises the same here: the firmware never does it, and the
  double is the more hostile for it (not checked on a chip).
- A join ends ``_JOIN_MS`` later: connected with an IP when the access point is in reach and
  the password right; else a ``STA_DISCONNECTED`` event, reason 201 (no AP found, after a scan
  of ``_SCAN_MS``) or 202 (wrong password). On every ``STA_DISCONNECTED`` while a connection
  is requested the port's event handler calls ``esp_wifi_connect()`` again (auto-reconnect,
  unlimited unless ``config(reconnects=N)``): the station keeps joining by itself.
- Connected, an access point that goes out of reach is noticed after ``_BEACON_MS`` of lost
  beacons (ESP-IDF's station inactive time, 6 s by default): reason 200 (beacon timeout), then
  auto-reconnect as above.
- ``disconnect()`` clears the request (the port sets ``wifi_sta_connect_requested = false``):
  reason 8 (association leave); ``active(False)`` stops the driver (``esp_wifi_stop``) and
  leaves the request as it was (only ``disconnect()`` clears it), so field code that restarts
  the radio calls ``disconnect()``, ``active(False)``, ``active(True)``, then ``connect()``.
- ``status()``: ``STAT_GOT_IP`` (1010) when connected; else ``STAT_CONNECTING`` (1001) while a
  connection is requested and reconnects are not exhausted (so a wrong password or an unknown
  SSID keeps reporting CONNECTING); else ``STAT_IDLE`` (1000) if no disconnect reason was
  recorded; else that reason (200-204, 8).
- ``status("rssi")`` asks ``esp_wifi_sta_get_ap_info()`` through ``esp_exceptions()``: not
  associated, it raises ``OSError("Wifi Not Connected")``. ``isconnected()`` is true only after
  the IP (``wifi_sta_connected``).

Time: the driver's events happen on ``clock.ticks_ms()`` and are applied whenever the station
is looked at; failed joins nobody looked at in between fold into one (the access point's state
is read at the moment of looking). Counters for tests: ``joins`` (``connect()`` calls that
started one), ``refused`` (``connect()`` calls that raised), ``drops`` (connections lost).
"""

from compat import const, ticks_add, ticks_diff

STAT_IDLE = const(1000)
STAT_CONNECTING = const(1001)
STAT_GOT_IP = const(1010)
STAT_BEACON_TIMEOUT = const(200)
STAT_NO_AP_FOUND = const(201)
STAT_WRONG_PASSWORD = const(202)
STAT_ASSOC_FAIL = const(203)
STAT_HANDSHAKE_TIMEOUT = const(204)
_ASSOC_LEAVE = const(8)
_JOIN_MS = const(3000)  # scan, authentication, association and DHCP with the AP in reach
_SCAN_MS = const(2500)  # a full scan that finds nothing
_BEACON_MS = const(6000)  # ESP-IDF station inactive time (esp_wifi_set_inactive_time default)


class AccessPoint:
    """The access point: ``up`` says whether it is in reach now (a test flips it, or overrides
    ``in_reach()`` to follow a schedule)."""

    def __init__(self, ssid="rusun-net", password="pw", up=True, rssi=-60):
        self.ssid = ssid
        self.password = password
        self.up = up
        self.rssi = rssi

    def in_reach(self):
        return self.up


class WLAN:
    IF_STA = const(0)

    def __init__(self, clock, ap=None):
        self.clock = clock
        self.ap = ap if ap is not None else AccessPoint()
        self._active = False
        self._requested = False  # wifi_sta_connect_requested
        self._connected = False  # wifi_sta_connected: associated and holding an IP
        self._reason = 0  # wifi_sta_disconn_reason
        self._reconnects = -1  # config(reconnects=N); -1: unlimited
        self._tries = 0
        self._join_at = None  # ticks when the join under way ends; None: no join
        self._lost_at = None  # ticks when beacons stopped while connected
        self._ssid = None
        self._key = None
        self.joins = 0
        self.refused = 0
        self.drops = 0

    # --- the driver's events, applied when the station is looked at ----------------------------

    def _now(self):
        return self.clock.ticks_ms()

    def _step(self):
        now = self._now()
        ap = self.ap
        if self._connected:
            if ap.in_reach():
                self._lost_at = None
            elif self._lost_at is None:
                self._lost_at = now
            elif ticks_diff(now, self._lost_at) >= _BEACON_MS:
                self._connected = False
                self._lost_at = None
                self.drops += 1
                self._disconnected(STAT_BEACON_TIMEOUT, now)
        if self._join_at is not None and ticks_diff(now, self._join_at) >= 0:
            self._join_at = None
            if ap.in_reach() and self._ssid == ap.ssid:
                if self._key == ap.password:
                    self._connected = True
                    self._tries = 0
                    return
                self._disconnected(STAT_WRONG_PASSWORD, now)
            else:
                self._disconnected(STAT_NO_AP_FOUND, now)

    def _disconnected(self, reason, now):
        """``WIFI_EVENT_STA_DISCONNECTED``: record why, and rejoin while a connection is asked."""
        self._reason = reason
        if self._requested and (self._reconnects < 0 or self._tries < self._reconnects):
            self._tries += 1
            self._start_join(now)

    def _start_join(self, now):
        up = self.ap.in_reach() and self._ssid == self.ap.ssid
        self._join_at = ticks_add(now, _JOIN_MS if up else _SCAN_MS)

    # --- network.WLAN -------------------------------------------------------------------------

    def active(self, on=None):
        if on is None:
            return self._active
        self._step()
        if not on:
            self._connected = False
            self._join_at = None
            self._lost_at = None
        self._active = bool(on)
        return None

    def connect(self, ssid=None, key=None, **kwargs):
        self._step()
        if not self._active:
            self.refused += 1
            raise OSError("Wifi Not Started")
        if self._join_at is not None or self._connected:
            self.refused += 1
            raise OSError("Wifi Internal Error")
        self._ssid = ssid
        self._key = key
        self._tries = 0
        self._requested = True
        self.joins += 1
        self._start_join(self._now())

    def disconnect(self):
        self._step()
        self._requested = False
        if self._connected or self._join_at is not None:
            self._connected = False
            self._join_at = None
            self._reason = _ASSOC_LEAVE

    def isconnected(self):
        self._step()
        return self._connected

    def status(self, param=None):
        self._step()
        if param == "rssi":
            if not self._connected:
                raise OSError("Wifi Not Connected")
            return self.ap.rssi
        if param is not None:
            raise ValueError("unknown status param")
        if self._connected:
            return STAT_GOT_IP
        if self._requested and (self._reconnects < 0 or self._tries < self._reconnects):
            return STAT_CONNECTING
        return self._reason if self._reason else STAT_IDLE

    def config(self, *args, **kwargs):
        if "reconnects" in kwargs:
            self._reconnects = kwargs["reconnects"]
            return None
        if args == ("reconnects",):
            return self._reconnects
        if args == ("mac",):
            return b"\x24\x0a\xc4\x00\x00\x07"
        return None
