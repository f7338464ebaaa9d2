# feedback: RGB LED + buzzer patterns and the optional OLED line, started at once on a tap.
# SPDX-License-Identifier: MIT
"""``Feedback(led, buzzer, display, clock, language)``.

``show(msg)`` (a ``firmware.texts`` number) sets the LED and the buzzer for the pattern's first
step immediately, so the resident's answer never waits for a task switch; it allocates nothing.
``step()`` advances the pattern (the feedback task calls it every 20 ms; the fleet simulation
calls it from ``reader_step``) and writes the text to the display, off the tap path.

Patterns: a tuple of steps ``(r, g, b, tone_hz, ms)``; after the last step all goes dark. Each
outcome a resident can meet has its own light AND its own sound, so that a terminal without a
display, a resident who cannot see the colour or one who cannot hear the beep, still knows what
happened to the tap (``PATTERNS``; the door sign, ``tools/sign.py``, describes them from this
table; ``tests/firmware/test_feedback.py`` holds them distinct):

- recorded: green, one short high beep (recorded but not sent yet: the same, and a short
  blue-green flash at the end; nothing for the resident to do);
- card not registered or blocked: red, two short mid beeps;
- not recorded (the log is full): red blinking three times, one long low tone;
- the reader is broken: yellow blinking three times, three short low beeps.
"""

from compat import const, ticks_add, ticks_diff
from firmware import texts

_HIGH = const(2700)  # Hz: the "yes" beep
_MID = const(1000)  # Hz: "no" (card not registered)
_LOW = const(400)  # Hz: a fault (not recorded, reader broken)

PATTERNS = (
    ((0, 1, 0, _HIGH, 120), (0, 1, 0, 0, 880)),  # OK
    ((0, 1, 0, _HIGH, 120), (0, 1, 0, 0, 680), (0, 1, 1, 0, 200)),  # OFFLINE
    ((1, 0, 0, _MID, 150), (1, 0, 0, 0, 100), (1, 0, 0, _MID, 150), (1, 0, 0, 0, 800)),  # DENIED
    ((1, 0, 0, _LOW, 700), (0, 0, 0, 0, 200), (1, 0, 0, 0, 300), (0, 0, 0, 0, 200),
     (1, 0, 0, 0, 300)),  # FULL
    ((1, 1, 0, _LOW, 100), (0, 0, 0, 0, 200), (1, 1, 0, _LOW, 100), (0, 0, 0, 0, 200),
     (1, 1, 0, _LOW, 100), (0, 0, 0, 0, 300)),  # READER
    ((1, 0, 1, 0, 500), (0, 0, 0, 0, 500)),  # SAFE (the safe-mode blinker repeats it)
    ((0, 0, 1, 0, 300),),  # STARTING
)  # fmt: skip


class Feedback:
    def __init__(self, led, buzzer, display, clock, language="id"):
        self.led = led
        self.buzzer = buzzer
        self.display = display
        self.clock = clock
        self.language = language
        self.msg = -1  # pattern playing, -1 when dark
        self.shown = 0  # patterns started, for tests and the health report
        self._step = 0
        self._until = 0
        self._text = -1  # message waiting to be drawn on the display

    def show(self, msg):
        """Start pattern ``msg`` now. Tap path: no allocation."""
        self.msg = msg
        self._step = 0
        self.shown += 1
        self._apply(self.clock.ticks_ms())
        self._text = msg

    def _apply(self, now):
        r, g, b, hz, ms = PATTERNS[self.msg][self._step]
        self.led.set(r, g, b)
        self.buzzer.tone(hz)
        self._until = ticks_add(now, ms)

    def step(self):
        """Advance the running pattern; draw pending text. Returns True while a pattern runs."""
        if self._text >= 0:
            msg = self._text
            self._text = -1
            if self.display is not None:
                lang = self.language
                self.display.show(texts.text(lang, msg), texts.second(lang, msg))
        if self.msg < 0:
            return False
        now = self.clock.ticks_ms()
        if ticks_diff(now, self._until) < 0:
            return True
        self._step += 1
        if self._step < len(PATTERNS[self.msg]):
            self._apply(now)
            return True
        self.msg = -1
        self.led.set(0, 0, 0)
        self.buzzer.tone(0)
        if self.display is not None:
            self.display.show("", "")
        return False
