# pn532sim: serve the simulated PN532 (tools/sim) on a pseudo-terminal, for any HSU host.
# SPDX-License-Identifier: MIT
"""Usage::

    python -m tools.sim.pn532 --pty --card classic1k:04A1B2C3 --card ntag215:04112233445566
    python -m tools.sim.pn532 --pty --scenario scenario.json

Prints the slave device path (e.g. ``/dev/pts/5``) as its first line, then serves until killed.
Open that path at any baud rate (a pty has none) and talk HSU to it. Card kinds: see
``tools/sim/pn532/cards.py``. A scenario file is the JSON form of
``tools.sim.pn532.scenario.build``; its events may also use ``"at_ms"`` (milliseconds after
start) instead of ``"at_command"``.
"""

import json
import os
import pathlib
import select
import sys
import time
import tty

ROOT = pathlib.Path(__file__).resolve().parents[3]
if str(ROOT / "lib") not in sys.path:
    sys.path.insert(0, str(ROOT / "lib"))  # the simulator core imports compat like device code

import cliframe  # noqa: E402
from tools.sim.pn532 import scenario  # noqa: E402
from tools.sim.pn532.cards import from_spec  # noqa: E402

_TICK_S = 0.005  # how often a waiting command (InListPassiveTarget) retries activation


def _timed_events(spec):
    """Split off events dated in wall-clock ms: the core only knows command counts."""
    timed = [e for e in spec.get("events", ()) if "at_ms" in e]
    spec["events"] = [e for e in spec.get("events", ()) if "at_ms" not in e]
    return sorted(timed, key=lambda e: e["at_ms"])


def _apply(chip, event):
    field = chip.field
    if "place" in event:
        field.place(from_spec(event["place"]))
        return
    ref = event["remove"]  # an index into the cards now in the field, or a UID in hex
    for i, card in enumerate(list(field.cards)):
        if ref == i or card.uid.hex().upper() == str(ref).upper():
            field.remove(card)
            return


def serve(chip, timed, announce=print):
    master, slave = os.openpty()
    tty.setraw(slave)  # no echo, no line editing: bytes pass as they are
    announce(os.ttyname(slave))
    start = time.monotonic()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], _TICK_S)
            if ready:
                chip.feed(os.read(master, 4096))
            now_ms = (time.monotonic() - start) * 1000
            while timed and timed[0]["at_ms"] <= now_ms:
                _apply(chip, timed.pop(0))
            chip.tick()
            frame = chip.take()
            while frame is not None:
                os.write(master, frame)
                frame = chip.take()
    finally:
        os.close(master)
        os.close(slave)


def main(argv=None):
    parser = cliframe.ArgumentParser(
        prog="python -m tools.sim.pn532",
        description="PN532 tiruan di pseudo-terminal / the simulated PN532 and its cards on a "
        "pseudo-terminal, for any HSU host; prints its path, serves until Ctrl-C.",
    )
    parser.add_argument("--pty", action="store_true", required=True, help="serve on a pty")
    parser.add_argument("--card", action="append", default=[], help="KIND:UIDHEX, repeatable")
    parser.add_argument("--scenario", help="JSON scenario file")
    args = parser.parse_args(argv)
    spec = {}
    try:
        if args.scenario:
            spec = json.loads(pathlib.Path(args.scenario).read_text())
        spec["cards"] = list(spec.get("cards", ())) + args.card
        timed = _timed_events(spec)
        chip = scenario.build(spec)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise cliframe.Failure("skenario tidak sah", "invalid scenario", str(exc)) from None
    try:
        serve(chip, timed, lambda path: print(path, flush=True))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(cliframe.run(main, "python -m tools.sim.pn532"))
