# simpty: `python -m tools.sim.pn532 --pty` as a context manager (yields the device path).
# SPDX-License-Identifier: MIT
import contextlib
import subprocess
import sys

from tests.kit.paths import ROOT


@contextlib.contextmanager
def pn532sim_pty(*args):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tools.sim.pn532", "--pty", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        path = proc.stdout.readline().strip()
        assert path.startswith("/dev/"), path
        yield path
    finally:
        proc.terminate()
        proc.wait(timeout=5)
