# secretfile: writes a file that holds a secret: atomic, mode 0600 from creation, no symlinks.
# SPDX-License-Identifier: MIT
"""``write(path, text)`` is how the command line writes a provisioning bundle (it holds K0 and
the rusun's card key):

- the text goes to a new file in the same folder, created exclusively with mode 0600 (never
  readable by others, not even for a moment, whatever the umask), synced, then renamed over
  ``path``: a reader sees the old file or the whole new one, never half of it;
- a symlink at ``path`` is refused (someone who may write to that folder could point it at a
  place others read); the rename itself replaces, never follows, what is at ``path``;
- any failure leaves ``path`` as it was and no temporary file behind, and is one
  ``SecretFileError`` line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import BinaryIO


class SecretFileError(Exception):
    """The file could not be written (one line, Bahasa Indonesia / English)."""


def write(path: str, text: str) -> None:
    write_with(path, lambda f: f.write(text.encode("utf-8")))


def write_with(path: str, produce: Callable[[BinaryIO], None]) -> None:
    """Like ``write``, the bytes written by ``produce(file)`` (a backup, streamed)."""
    if os.path.islink(path):
        raise SecretFileError(
            f"{path}: tautan simbolik, tidak ditulis / is a symlink, not written"
        )
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hadir-", suffix=".tmp", dir=folder)  # O_EXCL, 0600
        with os.fdopen(fd, "wb") as f:
            produce(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
        _sync_folder(folder)
    except OSError as exc:
        raise SecretFileError(
            f"{path}: tidak bisa ditulis / cannot be written ({exc.strerror or exc})"
        ) from None
    finally:
        if tmp is not None:
            _remove(tmp)


def remove(path: str) -> None:
    """Remove a file written here whose secret must not outlive a failed operation."""
    _remove(path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _sync_folder(folder: str) -> None:
    # The rename is durable only once the folder's entry is on disk.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
