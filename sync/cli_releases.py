# cli_releases: `python -m sync release ...`: signed code releases, their waves (joins cli.py).
# SPDX-License-Identifier: MIT
"""release keygen KEYFILE | trust PUBLIC_KEY | publish DIR --key KEYFILE | list | status ID |
pause ID | resume ID (docs/fleet.md, "Releases"). ``DIR`` holds the file set a terminal runs
(``boot.py``, ``main.py``, ``lib/``, ``firmware/`` as ``.mpy``, ``version.json``), as ``tools
deploy`` builds it. The key file is the release manager's: keep it off the collector (and off
every terminal)."""

from __future__ import annotations

import getpass
import pathlib
from typing import Annotated

import typer

from sync.cli import _table, app, fail, out, state
from sync.service import releases

release_app = typer.Typer(no_args_is_help=True, help="signed code releases and their waves")
app.add_typer(release_app, name="release")

_CODE = ("boot.py", "main.py", "lib", "firmware", "version.json")


def _files(folder: str) -> dict[str, bytes]:
    root = pathlib.Path(folder)
    if not root.is_dir():
        fail(f"{folder}: bukan folder / not a folder")
    files: dict[str, bytes] = {}
    for top in _CODE:
        path = root / top
        if path.is_file():
            files[top] = path.read_bytes()
        elif path.is_dir():
            for f in sorted(path.rglob("*")):
                if f.is_file() and "__pycache__" not in f.parts:
                    files[f.relative_to(root).as_posix()] = f.read_bytes()
    if "version.json" not in files or not any(p.startswith("firmware/") for p in files):
        fail(f"{folder}: tidak ada firmware/ dan version.json / no firmware/ and version.json")
    return files


@release_app.command()
def keygen(key: Annotated[str, typer.Argument(help="new key file (mode 0600)")]) -> None:
    """Make a release key (LMS, 1,024 signatures); prints the public key terminals pin."""
    try:
        public = releases.keygen(key)
    except (releases.ReleaseError, OSError) as exc:
        fail(str(exc))
        return
    out.print(f"kunci publik / public key: {public.hex()}")


@release_app.command()
def trust(
    public: Annotated[str, typer.Argument(help="the public key keygen printed (hex)")],
) -> None:
    """Pin a release key: bundles of new terminals carry it; only releases it signs publish."""
    try:
        releases.trust(state.collector(), public)
    except releases.ReleaseError as exc:
        fail(str(exc))
        return
    out.print("kunci rilis dipercaya / release key trusted")


@release_app.command()
def publish(
    folder: Annotated[str, typer.Argument(help="the file set to publish")],
    key: Annotated[str, typer.Option("--key", help="the release key file")],
) -> None:
    """Sign and publish a release; it goes to one canary terminal per rusun first."""
    files = _files(folder)
    try:
        rid = releases.publish(state.collector(), files, key, "cli:" + getpass.getuser())
    except releases.ReleaseError as exc:
        fail(str(exc))
        return
    size = sum(len(v) for v in files.values())
    out.print(f"rilis / release {rid}: {len(files)} berkas / files, {size} B, gelombang kenari / "
              "canary wave")  # fmt: skip


@release_app.command("list")
def list_() -> None:
    """Releases, newest first, with their wave (canary, all, paused, halted)."""
    _table(releases.list_releases(state.collector()), "releases")


@release_app.command()
def status(rid: Annotated[int, typer.Argument(help="release id")]) -> None:
    """Each terminal's state on a release."""
    try:
        rows = releases.status(state.collector(), rid)
    except releases.ReleaseError as exc:
        fail(str(exc))
        return
    _table(rows, f"release {rid}")


@release_app.command()
def pause(rid: Annotated[int, typer.Argument(help="release id")]) -> None:
    """Stop offering a release (terminals keep what they have; downloads stop next round)."""
    try:
        r = releases.pause(state.collector(), rid)
    except releases.ReleaseError as exc:
        fail(str(exc))
        return
    out.print(f"rilis / release {rid}: {r['state']}")


@release_app.command()
def resume(rid: Annotated[int, typer.Argument(help="release id")]) -> None:
    """Offer a paused or halted release again, from the wave it stopped in."""
    try:
        r = releases.resume(state.collector(), rid)
    except releases.ReleaseError as exc:
        fail(str(exc))
        return
    out.print(f"rilis / release {rid}: {r['state']}")
