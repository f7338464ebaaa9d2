# panel: the board double's front panel: RGB LED, buzzer and OLED, remembering what they show.
# SPDX-License-Identifier: MIT
"""What the resident sees and hears, shaped like ``firmware.hardware``'s parts:

==============  =================================================================================
``Led``         ``set(r, g, b)`` (0/1 each, one GPIO per colour); ``rgb`` is the colour now lit
``Buzzer``      ``tone(hz)`` (0 = silent, PWM duty 0); ``hz`` sounding now, ``beeps`` tones started
``Display``     ``show(line1, line2)`` (``lib/oled.py``); ``lines`` is what the screen shows
==============  =================================================================================

``Led.set`` and ``Buzzer.tone`` are on the tap path: they allocate nothing on MicroPython.
"""


class Led:
    def __init__(self):
        self._rgb = bytearray(3)

    @property
    def rgb(self):
        return tuple(self._rgb)

    def set(self, r, g, b):
        self._rgb[0] = r
        self._rgb[1] = g
        self._rgb[2] = b


class Buzzer:
    def __init__(self):
        self.hz = 0
        self.beeps = 0

    def tone(self, hz):
        if hz and not self.hz:
            self.beeps += 1
        self.hz = hz


class Display:
    def __init__(self):
        self.lines = ("", "")

    def show(self, line1, line2=""):
        self.lines = (line1, line2)
