# ui: what the technician sees: rich tables, panels and transfer progress bars.
# SPDX-License-Identifier: MIT
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

console = Console(highlight=False)


@contextlib.contextmanager
def transfer(label: str, total: int) -> Iterator[Callable[[str, int, int], None]]:
    """A byte progress bar over several files: call ``step(name, done_in_file, file_size)``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[file]}"),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=total, file="")
        base = {"done": 0, "name": "", "last": 0}

        def step(name: str, done: int, size: int) -> None:
            if name != base["name"]:
                base["done"] += base["last"]
                base["name"], base["last"] = name, 0
            base["last"] = done
            progress.update(task, completed=base["done"] + done, file=name)

        yield step


@contextlib.contextmanager
def counting(label: str, total: int) -> Iterator[Callable[[int, int], None]]:
    """A progress bar of things counted on the device (blocks erased, slots copied): call
    ``step(done, total)``."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=console, transient=False,
    ) as progress:  # fmt: skip
        task = progress.add_task(label, total=total)

        def step(done: int, of: int) -> None:
            progress.update(task, completed=done, total=of)

        yield step
