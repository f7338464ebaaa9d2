# spreadsheet: cells made safe for a spreadsheet (every export: API, command line, dashboard).
# SPDX-License-Identifier: MIT
"""A spreadsheet runs a cell that starts with ``= + - @`` (or a tab or line break before one)
as a formula: CSV injection (OWASP). Names, units, notes and rusun are typed by people, so
every export passes its cells through :func:`safe`."""

from __future__ import annotations

# The full-width forms too: some spreadsheets fold them to the ASCII ones.
_FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def safe(v: object) -> object:
    """``v``, or a text a spreadsheet would run as a formula quoted with a leading ``'``.
    Numbers stay numbers (a negative count is not a formula)."""
    if isinstance(v, str) and v.startswith(_FORMULA_START):
        return "'" + v
    return v
