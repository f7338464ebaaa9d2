# journal: every batch the collector acknowledged, kept outside the database for a restore.
# SPDX-License-Identifier: MIT
"""Why: a terminal reclaims its flash below the watermark the collector acknowledges, and never
goes back below it (docs/log.md). A database restored from a backup is older than what the
terminals were told: the records acknowledged after the backup exist on no terminal any more.
So an upload that stores something appends its whole body (as the terminal signed it) to this
journal, synced, inside the upload's transaction -- before the reply acknowledges it -- and
``sync.service.backup.restore`` plays the journal from the backup's time on through the normal
ingest: exactly-once storage drops what the backup already holds, and the terminals find the
collector where they left it (docs/privacy.md, "Backup and restore").

Files: ``acks-YYYYMMDD-<pid>.jnl`` in the journal folder (one per UTC day and process, mode
0600); an entry is a 4-byte length, an 8-byte time and the body sealed under the master key
(``Vault.seal``, purpose ``journal``: the bodies hold card tokens). A torn last entry (a power
cut during the write, so never acknowledged) ends the reading of its file. ``prune(before)``
removes the files of days wholly before ``before`` (after a newer backup, ``python -m sync
purge``).
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sync.vault import Vault

_HEAD = struct.Struct(">IQ")
_PURPOSE = b"journal"


class Journal:
    def __init__(self, folder: str, vault: Vault) -> None:
        self.folder = folder
        self.vault = vault
        self._lock = threading.Lock()
        os.makedirs(folder, mode=0o700, exist_ok=True)

    def _path(self, day: str, pid: int) -> str:
        return os.path.join(self.folder, f"acks-{day}-{pid}.jnl")

    def append(self, at: int, body: bytes) -> None:
        """Synced before it returns: the caller acknowledges only after."""
        sealed = self.vault.seal(_PURPOSE, body)
        entry = _HEAD.pack(len(sealed), at) + sealed
        path = self._path(_day(at), os.getpid())
        with self._lock:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, entry)
                os.fsync(fd)
            finally:
                os.close(fd)

    def files(self) -> list[str]:
        names = os.listdir(self.folder)
        return sorted(
            os.path.join(self.folder, n)
            for n in names
            if n.startswith("acks-") and n.endswith(".jnl")
        )

    def entries(self, since: int) -> Iterator[tuple[int, bytes]]:
        """(time, body) of every entry at or after ``since``, oldest first."""
        first = _day(since)
        found: list[tuple[int, int, bytes]] = []
        for i, path in enumerate(self.files()):
            if os.path.basename(path)[5:13] < first:
                continue
            for at, body in self._read(path):
                if at >= since:
                    found.append((at, i, body))
        found.sort(key=lambda e: (e[0], e[1]))
        for at, _i, body in found:
            yield at, body

    def _read(self, path: str) -> Iterator[tuple[int, bytes]]:
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + _HEAD.size <= len(data):
            size, at = _HEAD.unpack_from(data, pos)
            end = pos + _HEAD.size + size
            if end > len(data):
                return  # torn by a power cut: never acknowledged
            yield at, self.vault.open(_PURPOSE, data[pos + _HEAD.size : end])
            pos = end

    def reseal(self, fresh: Vault) -> Resealed:
        """Every entry sealed again under ``fresh`` (a master key rotation) into a new file
        beside each; ``Resealed.swap()`` renames them over the old ones."""
        done = Resealed([], 0)
        with self._lock:
            for path in self.files():
                out = bytearray()
                for at, body in self._read(path):
                    sealed = fresh.seal(_PURPOSE, body)
                    out += _HEAD.pack(len(sealed), at) + sealed
                    done.entries += 1
                fd = os.open(path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                try:
                    os.write(fd, bytes(out))
                    os.fsync(fd)
                finally:
                    os.close(fd)
                done.paths.append(path)
        return done

    def prune(self, before: int, dry: bool = False) -> int:
        """Remove (``dry``: only count) the files of UTC days wholly before ``before``."""
        cut = _day(before)
        gone = 0
        for path in self.files():
            if os.path.basename(path)[5:13] < cut:
                if not dry:
                    os.unlink(path)
                gone += 1
        return gone


@dataclass
class Resealed:
    paths: list[str]
    entries: int

    def swap(self) -> None:
        for path in self.paths:
            os.replace(path + ".new", path)


def _day(at: int) -> str:
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).strftime("%Y%m%d")
