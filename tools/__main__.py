# `python -m tools`: the technician tools' command line (see tools/cli.py).
# SPDX-License-Identifier: MIT
from tools.cli import app

app(prog_name="python -m tools")
