# The network.WLAN double behaves as ports/esp32/network_wlan.c: codes, errors, drops, rejoins.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 28k: the Wi-Fi double alone
from tests.kit.mpytest import raises
from tools.sim import board
from tools.sim.board import wlan


def _station(up=True):
    clock = board.Clock()
    return clock, wlan.WLAN(clock, wlan.AccessPoint(up=up))


def test_connect_before_active_and_while_joining_raise_as_on_the_chip():
    clock, w = _station()
    with raises(OSError) as e:
        w.connect("rusun-net", "pw")
    assert e.value.args[0] == "Wifi Not Started"
    w.active(True)
    assert w.status() == wlan.STAT_IDLE and not w.isconnected()
    w.connect("rusun-net", "pw")
    assert w.status() == wlan.STAT_CONNECTING
    with raises(OSError) as e:
        w.connect("rusun-net", "pw")  # upstream micropython/micropython#17661
    assert e.value.args[0] == "Wifi Internal Error" and w.refused == 2
    clock.advance(3000)
    assert w.isconnected() and w.status() == wlan.STAT_GOT_IP and w.status("rssi") == -60


def test_an_absent_access_point_keeps_the_station_joining_by_itself():
    clock, w = _station(up=False)
    w.active(True)
    w.connect("rusun-net", "pw")
    for _ in range(100):
        clock.advance(2500)
        assert w.status() == wlan.STAT_CONNECTING  # reason 201 recorded, rejoining
        with raises(OSError):
            w.status("rssi")  # not associated: esp_wifi_sta_get_ap_info fails
    with raises(OSError):
        w.connect("rusun-net", "pw")  # a join is always under way
    w.ap.up = True
    clock.advance(3000)
    clock.advance(3000)
    assert w.isconnected() and w.joins == 1  # it came back without being asked


def test_a_lost_access_point_is_noticed_after_the_beacon_timeout_then_rejoined():
    clock, w = _station()
    w.active(True)
    w.connect("rusun-net", "pw")
    clock.advance(3000)
    assert w.isconnected()
    w.ap.up = False
    assert w.isconnected()  # beacons are missed for a while first
    clock.advance(5000)
    assert w.isconnected()
    clock.advance(1000)
    assert not w.isconnected() and w.drops == 1 and w.status() == wlan.STAT_CONNECTING
    w.ap.up = True
    clock.advance(3000)
    clock.advance(3000)
    assert w.isconnected() and w.joins == 1


def test_wrong_password_keeps_connecting_and_disconnect_clears_the_request():
    clock, w = _station()
    w.active(True)
    w.connect("rusun-net", "wrong")
    clock.advance(3000)
    assert w.status() == wlan.STAT_CONNECTING and not w.isconnected()
    w.disconnect()
    assert w.status() == 8  # association leave, nothing requested any more
    w.connect("rusun-net", "pw")  # allowed again: no join under way
    clock.advance(3000)
    assert w.isconnected()


def test_limited_reconnects_end_in_the_last_reason_and_a_restart_clears_a_join():
    clock, w = _station(up=False)
    w.active(True)
    w.config(reconnects=2)
    w.connect("rusun-net", "pw")
    seen = []
    for _ in range(3):
        clock.advance(2500)
        seen.append(w.status())  # joins nobody looks at in between fold into one
    # The port counts a rejoin when it starts it: during the last one the reason shows already.
    assert seen == [wlan.STAT_CONNECTING, wlan.STAT_NO_AP_FOUND, wlan.STAT_NO_AP_FOUND]
    w.connect("rusun-net", "pw")  # no join under way: accepted
    w.disconnect()
    w.active(False)
    w.active(True)
    w.connect("rusun-net", "pw")  # what field code does to recover the driver
    assert w.joins == 3
