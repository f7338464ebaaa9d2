# start: from config files to a running terminal, or to safe mode: never a crash loop.
# SPDX-License-Identifier: MIT
"""``main(root, build, safe, crashed)`` is what main.py runs (through ``firmware.hardware``),
with the hardware pieces injected so tests run it on simulated parts:

- ``build(config, secrets)`` -> the ``hw`` object; ``safe(message, led_pins)`` enters safe mode
  (ESP32: LED blinks magenta from a timer that also feeds the watchdog; the REPL stays free);
- ``crashed(exc)`` -> True when the application has crashed too often: safe mode instead of a
  reset; ``crashed(None)`` after an hour of running clears the count.

Invalid config.json / secrets.json, or any error while starting, goes to safe mode with the
message (Bahasa Indonesia / English) printed on the REPL."""

import asyncio

from firmware import config as cfg
from firmware import texts


def boot_terminal(root, build, safe):
    """The started ``Terminal``, or None when safe mode was entered."""
    try:
        config, secrets = cfg.load(root)
    except cfg.ConfigError as e:
        safe(str(e), None)
        return None
    try:
        from firmware.app import Terminal

        return Terminal(build(config, secrets), config, secrets)
    except Exception as e:  # noqa: BLE001 - whatever stops the start: say so, never loop
        safe("start: " + repr(e), config["pins"]["led"])
        return None


async def _healthy(crashed):
    await asyncio.sleep(3600)
    crashed(None)  # an hour without a crash: the count starts again


async def _run(terminal, crashed):
    terminal.feedback.show(texts.STARTING)
    asyncio.create_task(_healthy(crashed))
    await terminal.run()


def main(root, build, safe, crashed, reset):
    from firmware import ota

    if ota.boot_guard(root):  # an update failed its trial: the old code is back, load it
        reset()
        return None
    terminal = boot_terminal(root, build, safe)
    if terminal is None:
        return None
    try:
        asyncio.run(_run(terminal, crashed))
    except Exception as e:  # noqa: BLE001
        if crashed(e):
            safe("crash: " + repr(e), terminal.config["pins"]["led"])
            return terminal
        print("hadir: crash, restarting:", repr(e))
        reset()
    finally:
        asyncio.new_event_loop()
    return terminal
