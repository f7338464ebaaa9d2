# __main__: serve a simulated terminal (device folder + hlog flash file) on a pseudo-terminal.
# SPDX-License-Identifier: MIT
"""Usage::

    python -m tools.sim.device --root /tmp/dev1 [--flash /tmp/dev1.hlog] [--version 1.27.0]
        [--card classic1k:04A1B2C3] [--no-reader] [--stuck]

Prints the device path (``/dev/pts/N``) as its first line, then serves until killed. Point the
tools (or plain mpremote: ``mpremote connect /dev/pts/N ls``) at that path.
"""

import sys
import time

import cliframe
from tools.sim.device.double import DeviceDouble
from tools.sim.device.runtime import Config


def main(argv=None) -> int:
    p = cliframe.ArgumentParser(
        prog="python -m tools.sim.device",
        description="Terminal tiruan di pseudo-terminal / a simulated terminal (raw REPL, "
        "littlefs folder, hlog flash file) on a pseudo-terminal; prints its path, serves until "
        "Ctrl-C.",
    )
    p.add_argument("--root", required=True, help="host folder holding the device's file system")
    p.add_argument("--flash", help="host file for the raw hlog partition (default ROOT.hlog)")
    p.add_argument("--version", default="1.27.0", help="MicroPython version to report")
    p.add_argument("--card", action="append", default=[], help="card in the reader's field")
    p.add_argument("--no-reader", action="store_true", help="no PN532 answers on the UART")
    p.add_argument("--stuck", action="store_true", help="firmware ignores Ctrl-C")
    args = p.parse_args(argv)
    try:
        version = tuple(int(x) for x in args.version.split("."))
    except ValueError:
        raise cliframe.Failure("versi tidak sah", "invalid version", args.version) from None
    config = Config(version=version, cards=args.card, reader=not args.no_reader)  # type: ignore[arg-type]
    double = DeviceDouble(args.root, args.flash or args.root.rstrip("/") + ".hlog", config,
                          stuck=args.stuck)  # fmt: skip
    print(double.start(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(cliframe.run(main, "python -m tools.sim.device"))
