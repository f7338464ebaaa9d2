# quiet: the cyclic garbage collector paused while a review makes its many small objects.
# SPDX-License-Identifier: MIT
"""A review of one rusun makes a row per tap and per card-day (over 100,000 small tuples for a
month of a large rusun's 78,000 taps), all acyclic and all alive until the review ends.
CPython's cyclic collector counts them as they are made: a young pass every 700, and a pass
over the whole heap each time the survivors grow by a quarter of it. On ``bench.reports``'
rusun that was 40 % of the review report's CPU (docs/benchmarks.md, "Reports at 20 M
records"). Reference counting still frees everything at once; the collector resumes, if it
was on, when the block ends, and counts what is left then. (Here, not in ``sync.review``:
the detector stays pure code.)"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
