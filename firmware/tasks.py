# tasks: the terminal's asyncio tasks: reader, feedback, uplink, clock, health and the watchdog.
# SPDX-License-Identifier: MIT
"""``await run(terminal)``: starts the five tasks, each under a supervisor, then feeds the
watchdog for as long as every task keeps beating (``terminal.alive()``).

Each loop awaits (a round-robin test proves it), sleeping on ``hw.clock.sleep_ms`` so that a
simulation can run days of them in seconds. A task that dies with an exception is logged (the
REPL line, a ``TASK_FAILED`` fault in ``/data/status.json``), counted (``task_failures``) and
restarted after a pause (1 s, doubling to 1 min while it keeps failing within 10 min): an
``OSError`` the radio or the network throws at an unexpected place costs one round, not a reset
and the wall time with it. The watchdog still catches what a restart cannot mend: a loop that
never yields starves the watchdog task (no feed, the hardware WDT resets the chip), and a task
stuck in an ``await`` (or restarted into the same failure before it beats) stops beating, so
``alive()`` fails and the watchdog is not fed. ``names`` starts only the tasks named (a
simulation of the uplink over days leaves the 20 ms reader loop out); ``alive()`` then watches
those only.
"""

from compat import const, ticks_diff
from firmware import taps as ftaps
from firmware import wire

_RESTART_MIN_MS = const(1000)
_RESTART_MAX_MS = const(60000)
_CALM_MS = const(600000)  # a task that ran this long since its last failure starts over at 1 s
_WAIT_STEP_MS = const(30000)  # a long wait beats this often (limits: app._LIMITS, 120 s)
_FEED_MS = const(10000)  # the watchdog task looks this often (the WDT: 60 s, hardware.py)


async def _reader(t, sleep):
    while True:
        r = t.reader_step()
        t._beat(0)
        await sleep(2 if r == ftaps.BUSY else 20)


async def _feedback(t, sleep):
    while True:
        t.feedback.step()
        t._beat(1)
        await sleep(20)


async def _uplink(t, sleep):
    while True:
        t._beat(2)
        await t.sync_step()
        t._beat(2)
        wait = t.uplink.delay_ms
        while wait > 0:  # beat while waiting, so a long interval is not a dead task
            step = min(wait, _WAIT_STEP_MS)
            await sleep(step)
            wait -= step
            t._beat(2)


async def _clock(t, sleep):
    ntp = getattr(t.hw, "ntp", None)
    while True:
        t._beat(3)
        if ntp is not None and t.hw.wifi.isconnected():
            try:
                s = await ntp.query()
                if s is not None:
                    t.learn_time(s, wire.CLOCK_NTP)
            except OSError:
                pass
        wait = 3600000 if t.clock.quality == wire.CLOCK_NTP else 60000
        for _ in range(wait // _WAIT_STEP_MS):
            await sleep(_WAIT_STEP_MS)
            t._beat(3)


async def _health(t, sleep):
    import gc

    while True:
        t._beat(4)
        gc.collect()  # from the loop, off the tap path: keeps the heap unfragmented
        await sleep(10000)


BODIES = (_reader, _feedback, _uplink, _clock, _health)  # in the order of app._TASKS


async def _supervise(t, i, sleep):
    body = BODIES[i]
    pause = _RESTART_MIN_MS
    failed_at = None
    while True:
        try:
            await body(t, sleep)
        except Exception as e:  # noqa: BLE001 - whatever kills a task, it is restarted
            now = t.hw.clock.ticks_ms()
            if failed_at is not None and ticks_diff(now, failed_at) > _CALM_MS:
                pause = _RESTART_MIN_MS
            failed_at = now
            t.task_failed(i, e)
            await sleep(pause)
            pause = min(pause * 2, _RESTART_MAX_MS)


async def _watchdog(t, sleep):
    while True:
        if t.alive():
            t.hw.watchdog.feed()
        await sleep(_FEED_MS)


async def run(t, names=None):
    import asyncio

    sleep = t.hw.clock.sleep_ms
    started = t.watch(names)
    tasks = [asyncio.create_task(_supervise(t, i, sleep)) for i in started]
    try:
        await _watchdog(t, sleep)
    finally:
        for task in tasks:
            task.cancel()
