# cli_privacy: `python -m sync` commands for continuity and personal data (added to sync/cli.py).
# SPDX-License-Identifier: MIT
"""backup, restore (docs/privacy.md, "Backup and restore"). Whoever runs these holds the
database and the master key: they act as the operator (every rusun)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from sync.cli import app, fail, out, state
from sync.service import backup as backups
from sync.service.backupfile import BackupFileError
from sync.store.copy import CopyError


@app.command("backup")
def backup_command(
    path: Annotated[str, typer.Argument(help="the encrypted backup file to write (mode 0600)")],
) -> None:
    """Write an encrypted, consistent copy of the database while the collector runs."""
    settings = state.settings()
    try:
        head = backups.make(settings.db, settings.master_key, path, int(time.time()))
    except (CopyError, BackupFileError) as exc:
        fail(str(exc))
        return
    when = dt.datetime.fromtimestamp(head["created_at"], dt.timezone.utc).isoformat()
    out.print(f"cadangan / backup {head['database']} (schema {head['schema_version']}, "
              f"{when}) -> {path}")  # fmt: skip


@app.command("restore")
def restore_command(
    path: Annotated[str, typer.Argument(help="a file written by `backup`")],
    journal: Annotated[
        str | None,
        typer.Option(help="the acknowledged-batch journal folder (HADIR_JOURNAL) to play after"),
    ] = None,
) -> None:
    """Put a backup in place of the database (stop the collector first), then play the journal
    of batches acknowledged since, so terminals lose nothing."""
    settings = state.settings()
    try:
        done = backups.restore(settings.db, settings.master_key, path,
                               journal or settings.journal)  # fmt: skip
    except (CopyError, BackupFileError) as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
        return
    when = dt.datetime.fromtimestamp(done.header["created_at"], dt.timezone.utc).isoformat()
    out.print(f"dipulihkan / restored the backup of {when}; journal: {done.replayed} batches "
              f"played, {done.records} records stored again, {done.refused} refused")  # fmt: skip
    if not (journal or settings.journal):
        out.print("tanpa jurnal / no journal: records acknowledged after the backup are not "
                  "back; see GET /api/gaps")  # fmt: skip
