# `python -m tools`: the technician tools' command line (see tools/cli.py).
# SPDX-License-Identifier: MIT
import pathlib
import sys

# The tools run terminal code on the laptop (firmware.log for `image --bundle`, firmware.wire),
# which imports lib/ modules by their bare name, as on the terminal.
_LIB = str(pathlib.Path(__file__).resolve().parents[1] / "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)

import cliframe  # noqa: E402
from tools.cli import app  # noqa: E402

cliframe.main(app, "python -m tools")
