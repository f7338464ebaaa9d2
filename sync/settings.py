# settings: what a collector process needs to start (database, master key, hooks for tests).
# SPDX-License-Identifier: MIT
"""``Settings`` is built by the CLI from ``--db``/``HADIR_DB`` and ``--master-key-file``/
``HADIR_MASTER_KEY`` (docs/collector.md, "Settings"), or directly by tests."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.vault import load_master_key


class SettingsError(Exception):
    """A setting that is missing or malformed."""


@dataclass
class Settings:
    db: str
    master_key: bytes
    clock: Callable[[], float] = time.time
    after_commit: Callable[[], None] | None = None  # tests: runs between commit and reply

    @classmethod
    def from_env(cls, db: str | None = None, master_key_file: str | None = None) -> Settings:
        url = db or os.environ.get("HADIR_DB")
        if not url:
            raise SettingsError("no database: pass --db PATH_OR_URL or set HADIR_DB")
        return cls(db=url, master_key=load_master_key(master_key_file))
