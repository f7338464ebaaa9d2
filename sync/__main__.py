# `python -m sync`: the collector's command line (sync/cli.py).
# SPDX-License-Identifier: MIT
from sync.cli import run

run()
