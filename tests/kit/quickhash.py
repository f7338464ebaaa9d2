# quickhash: the collector's argon2id at its cheapest parameters, for tests that only need a login.
# SPDX-License-Identifier: MIT
"""``sync.vault`` hashes passwords with argon2's defaults (RFC 9106's low-memory choice: 3 passes
over 64 MiB in 4 lanes), 0.2 s of CPU a hash, and the collector and tools tests store hundreds of
passwords. ``quick_argon2`` (session-wide in tests/sync and tests/tools, so module-scoped seeded
worlds get it too) swaps the hasher for the same algorithm at 1 pass over 1 MiB: the stored text
is still ``$argon2id$...`` and verification reads its parameters from it, so what a test checks
(right or wrong password, unknown user, rehash never needed) is unchanged. A test about the cost
itself installs the real hasher again with ``real_argon2`` (tests/sync/test_gate.py)."""

from __future__ import annotations

from collections.abc import Iterator

QUICK = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def install(hasher) -> None:
    """``hasher`` for every hash and check from now on (the unknown user's hash made again)."""
    from sync import vault

    vault._HASHER = hasher
    vault._no_such_user.cache_clear()


def quick_argon2() -> Iterator[None]:
    """Body of the session fixture: quick hasher in, the real one back at the end."""
    from argon2 import PasswordHasher

    from sync import vault

    real = vault._HASHER
    install(PasswordHasher(**QUICK))
    yield
    install(real)
