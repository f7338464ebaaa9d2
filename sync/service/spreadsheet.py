# spreadsheet: cells made safe for a spreadsheet (every export: API, command line, dashboard).
# SPDX-License-Identifier: MIT
"""A spreadsheet runs a cell that starts with ``= + - @`` (or a tab or line break before one)
as a formula: CSV injection (OWASP). Names, units, notes and rusun are typed by people, so
every export passes its cells through :func:`safe`.

A text may also hold characters XML 1.0 forbids (C0 controls but tab, line feed and carriage
return; lone surrogates; U+FFFE, U+FFFF): an XLSX file with one is refused by Excel and by
openpyxl, and a lone surrogate cannot even be written as UTF-8 (CSV). ``clean`` replaces each
with U+FFFD (the replacement character) rather than dropping it, so a reader sees that the
office's data had something there -- openpyxl's ``ILLEGAL_CHARACTERS_RE`` names the same C0
set (it raises instead). Both formats get the same text."""

from __future__ import annotations

import re

# The full-width forms too: some spreadsheets fold them to the ASCII ones.
_FORMULA_START = tuple("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` with each character XML 1.0 forbids replaced by U+FFFD."""
    return _ILLEGAL.sub("\ufffd", text) if _ILLEGAL.search(text) else text


def safe(v: object) -> object:
    """``v``, or a text a spreadsheet would run as a formula quoted with a leading ``'``, with
    the characters a spreadsheet cannot hold replaced (``clean``). Numbers stay numbers (a
    negative count is not a formula)."""
    if isinstance(v, str):
        v = clean(v)
        if v.startswith(_FORMULA_START):
            return "'" + v
    return v
