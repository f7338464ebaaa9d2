# probe
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 256k: probe
from tools.sim.board.chip import Esp32


def test_probe():
    esp = Esp32()
    with esp.installed():
        import machine

        from firmware import hardware

        print("PROBE", machine.Pin, hardware.Wifi)
        w = hardware.Wifi("rusun-net")
        w.connect("rusun-net", "pw")
        print("PROBE st", esp.wlan.status())
        try:
            w.connect("rusun-net", "pw")
        except OSError as e:
            print("PROBE raised", repr(e))
