# backup: `python -m sync backup` / `restore`: an encrypted, consistent copy, and putting it back.
# SPDX-License-Identifier: MIT
"""``make(url, master_key, path, now)`` copies the database while the collector runs
(``sync.store.copy``: SQLite's backup API, ``pg_dump``) and writes it encrypted
(``sync.service.backupfile``) to ``path``, mode 0600, whole or not at all.

``restore(url, master_key, path, journal)`` -- the collector stopped -- puts the copy in
place of the database at ``url``, brings its schema to this collector's version, then plays the
acknowledged-batch journal (``sync.service.journal``) from ``JOURNAL_OVERLAP_S`` before the
backup's time through the normal ingest: what the backup holds is recognised and skipped, what
was acknowledged after it is stored again, so no terminal has lost a record it reclaimed.
Without a journal, records acknowledged after the backup are lost (the report says how old the
backup is); the collector's open gaps show where (docs/privacy.md, "Backup and restore").
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

from sync import secretfile
from sync.service import backupfile, ingest
from sync.service.collector import Collector
from sync.service.journal import Journal
from sync.store import copy, schema
from sync.store.db import Database
from sync.vault import Vault

# A journal entry is written before its transaction commits, and a commit may wait its turn:
# replay starts this long before the backup began (what the backup holds already is skipped).
JOURNAL_OVERLAP_S = 600


def make(url: str, master_key: bytes, path: str, now: int) -> dict[str, Any]:
    """Write the encrypted backup; its header (``created_at`` is ``now``, taken before the copy
    starts, so everything acknowledged later is in the journal from ``created_at`` on)."""
    kind = "postgres" if copy.is_postgres(url) else "sqlite"
    with tempfile.TemporaryDirectory(prefix="hadir-backup-") as tmp:
        plain = os.path.join(tmp, "copy")
        copy.dump(url, plain)
        version = _version_of(url, kind, plain)
        head = {"format": 1, "database": kind, "created_at": now, "schema_version": version}
        with open(plain, "rb") as src:
            secretfile.write_with(path, lambda out: backupfile.seal(master_key, src, out, head))
        os.unlink(plain)  # the plain copy never outlives this call
    return head


def _version_of(url: str, kind: str, plain: str) -> int:
    db = Database.open(plain if kind == "sqlite" else url)
    try:
        with db.read() as tx:
            return int(tx.value("SELECT value FROM meta WHERE key = 'schema_version'") or 1)
    finally:
        db.close()


@dataclass
class Restored:
    header: dict[str, Any]
    replayed: int  # journal entries played
    records: int  # records those stored (acknowledged after the backup)
    refused: int  # journal entries ingest refused (see the collector's alerts)


def restore(
    url: str,
    master_key: bytes,
    path: str,
    journal: str | None,
) -> Restored:
    kind = "postgres" if copy.is_postgres(url) else "sqlite"
    with tempfile.TemporaryDirectory(prefix="hadir-restore-") as tmp:
        plain = os.path.join(tmp, "copy")
        fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
            head = backupfile.open_into(master_key, src, out)
        if head.get("database") != kind:
            raise backupfile.BackupFileError(
                f"cadangan {head.get('database')} tidak bisa dipulihkan ke {kind} / a "
                f"{head.get('database')} backup cannot be restored into {kind}"
            )
        copy.load(url, plain)
    db = Database.open(url)
    try:
        with db.write() as tx:
            schema.create(tx)
        # Each entry is played at the time it was first received (dating, budgets, alerts).
        played_at = [int(head["created_at"])]
        c = Collector(db, Vault(master_key), lambda: played_at[0])
        replayed = records = refused = 0
        if journal:  # c.journal stays None: playing the journal does not write it again
            since = int(head["created_at"]) - JOURNAL_OVERLAP_S
            for at, body in Journal(journal, c.vault).entries(since):
                played_at[0] = at
                outcome = ingest.upload(c, body, "journal")
                replayed += 1
                records += outcome.stored
                refused += outcome.http != 200
    finally:
        db.close()
    return Restored(head, replayed, records, refused)
