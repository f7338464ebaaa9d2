# The system programs tests need (tests/kit/prereq.py): found on PATH, and never skipped in CI.
# SPDX-License-Identifier: MIT
import pytest

from tests.kit import prereq


def test_a_missing_prerequisite_fails_in_ci_and_skips_elsewhere(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="make setup"):
        prereq.missing("Chromium", "chromium")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="Debian package chromium"):
        prereq.missing("Chromium", "chromium")


def test_chromium_is_found_on_path_under_either_name(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prereq.chromium() is None
    (tmp_path / "chromium-browser").write_text("#!/bin/sh\n")
    (tmp_path / "chromium-browser").chmod(0o755)
    assert prereq.chromium() == str(tmp_path / "chromium-browser")
