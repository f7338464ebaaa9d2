# tasks: the terminal's asyncio tasks: reader, feedback, uplink, clock, health and the watchdog.
# SPDX-License-Identifier: MIT
"""``await run(terminal)``: starts the five tasks, then feeds the watchdog for as long as every
task keeps beating (``terminal.alive()``). Each loop awaits (a round-robin test proves it); a task
that dies stops beating and the hardware watchdog resets the terminal, after the exception handler
has printed why."""

import asyncio
import gc

from compat import asleep_ms
from firmware import taps as ftaps
from firmware import wire


async def _reader(t):
    while True:
        r = t.reader_step()
        t._beat(0)
        await asleep_ms(2 if r == ftaps.BUSY else 20)


async def _feedback(t):
    while True:
        t.feedback.step()
        t._beat(1)
        await asleep_ms(20)


async def _uplink(t):
    while True:
        t._beat(2)
        await t.sync_step()
        t._beat(2)
        wait = t.uplink.delay_ms
        while wait > 0:  # beat while waiting, so a long interval is not a dead task
            step = min(wait, 10000)
            await asleep_ms(step)
            wait -= step
            t._beat(2)


async def _clock(t):
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
        wait = 3600 if t.clock.quality == wire.CLOCK_NTP else 60
        for _ in range(wait // 10):
            await asleep_ms(10000)
            t._beat(3)


async def _health(t):
    while True:
        t._beat(4)
        gc.collect()  # from the loop, off the tap path: keeps the heap unfragmented
        await asleep_ms(10000)


async def _watchdog(t):
    while True:
        if t.alive():
            t.hw.watchdog.feed()
        await asleep_ms(1000)


async def run(t):
    loop = asyncio.get_event_loop()
    loop.set_exception_handler(_on_task_error)
    tasks = [
        asyncio.create_task(_reader(t)),
        asyncio.create_task(_feedback(t)),
        asyncio.create_task(_uplink(t)),
        asyncio.create_task(_clock(t)),
        asyncio.create_task(_health(t)),
    ]
    try:
        await _watchdog(t)
    finally:
        for task in tasks:
            task.cancel()


def _on_task_error(loop, context):
    # A task that dies stops beating; the watchdog then resets the terminal. Say why first.
    print("hadir: task failed:", context.get("exception"))
