# The resident's answer: words that say what happened to the tap, one light and sound per outcome.
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 32k: a Feedback and fake LED, buzzer and clock
from firmware import feedback, texts
from tests.kit.mpytest import allocated_bytes

# What can happen to a resident's tap, and what it means to them.
RECORDED = (texts.OK, texts.OFFLINE)
OUTCOMES = (texts.OK, texts.OFFLINE, texts.DENIED, texts.FULL, texts.READER)
MEANING = {texts.OK: "recorded", texts.OFFLINE: "recorded", texts.DENIED: "not registered",
           texts.FULL: "not recorded", texts.READER: "cannot read"}  # fmt: skip


class Led:
    """Keeps the three pins (as ints: setting them allocates nothing, as on the terminal)."""

    def __init__(self):
        self.r = self.g = self.b = 0

    def set(self, r, g, b):
        self.r, self.g, self.b = r, g, b

    @property
    def rgb(self):
        return (self.r, self.g, self.b)


class Buzzer:
    def __init__(self):
        self.hz = 0

    def tone(self, hz):
        self.hz = hz


class Clock:
    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now


def played(msg):
    """(light timeline, sound timeline) as the resident meets them: what the LED and the buzzer
    do, 10 ms at a time, through ``Feedback`` itself (not read off the table)."""
    led, buzzer, clock = Led(), Buzzer(), Clock()
    fb = feedback.Feedback(led, buzzer, None, clock)
    fb.show(msg)
    light, sound = [], []
    running = True
    while running:
        light.append(led.rgb)
        sound.append(buzzer.hz)
        clock.now += 10
        running = fb.step()
    return light, sound


def runs(timeline):
    """The timeline as (value, how many 10 ms) runs: what eye or ear tells apart."""
    out = []
    for v in timeline:
        if out and out[-1][0] == v:
            out[-1][1] += 1
        else:
            out.append([v, 1])
    return tuple((v, n) for v, n in out)


def test_every_outcome_has_its_own_light_so_a_terminal_without_display_is_unambiguous():
    seen = {}
    for msg in OUTCOMES:
        light = runs(played(msg)[0])
        assert light not in seen, (msg, seen.get(light))
        seen[light] = msg


def test_every_meaning_has_its_own_sound_for_a_resident_who_cannot_see_the_light():
    sounds = {}
    for msg in OUTCOMES:
        sound = runs(played(msg)[1])
        other = sounds.get(sound)
        assert other is None or MEANING[other] == MEANING[msg], (msg, other)
        sounds[sound] = msg
    assert len(set(MEANING[m] for m in sounds.values())) == 4  # four meanings, four sounds


def test_only_a_recorded_tap_is_green_or_beeps_high():
    high = feedback.PATTERNS[texts.OK][0][3]
    for msg in OUTCOMES:
        light, sound = played(msg)
        recorded = msg in RECORDED
        assert ((0, 1, 0) in light) == recorded, msg
        assert (high in sound) == recorded, msg
    light, _ = played(texts.FULL)
    blinks = [v for v, _ in runs(light) if v != (0, 0, 0)]
    assert blinks == [(1, 0, 0)] * 3  # not recorded: red, three times


def test_the_words_say_what_happened_to_the_tap_and_whom_to_tell():
    for lang, recorded, not_recorded, office in (("id", "Tercatat", "Tidak tercatat",
                                                  "Hubungi pengelola"),
                                                 ("en", "Recorded", "Not recorded",
                                                  "Tell the office")):  # fmt: skip
        for msg in RECORDED:
            assert texts.text(lang, msg) == recorded
        assert texts.text(lang, texts.FULL) == not_recorded
        for msg in (texts.DENIED, texts.FULL, texts.READER):
            assert texts.second(lang, msg) == office
        for msg in OUTCOMES:
            words = (texts.text(lang, msg) + " " + texts.second(lang, msg)).lower()
            for jargon in ("memori", "memory", "offline", "log", "teknisi", "technician"):
                assert jargon not in words, (lang, msg, jargon)


def test_showing_an_answer_allocates_nothing():
    fb = feedback.Feedback(Led(), Buzzer(), None, Clock())
    fb.show(texts.FULL)  # warm-up

    def answer():
        for msg in range(texts.READER + 1):  # OK .. READER, every resident outcome
            fb.show(msg)
            fb.step()

    n = allocated_bytes(answer)
    assert n is None or n == 0, n
