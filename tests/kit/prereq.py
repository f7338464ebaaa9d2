# prereq: the system programs some tests need (Chromium, PostgreSQL's server), found or refused.
# SPDX-License-Identifier: MIT
"""``make setup`` installs them (``tools/dev/setup-system.sh``, the same search as here). Run
without them, a test that needs one is skipped with the reason, except in CI (``CI=true``),
where a missing prerequisite fails the test: CI never passes on tests it did not run."""

import os
import shutil

import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser")  # Debian's and Ubuntu's names


def chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(what: str, package: str) -> None:
    """Stop the test: fail in CI, skip elsewhere."""
    msg = f"{what} is not installed: `make setup` installs it (Debian package {package})"
    if in_ci():
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)
