# subject: a resident's data report as an HTML document in Indonesian (English alongside).
# SPDX-License-Identifier: MIT
"""``render(data, keep)`` turns ``sync.service.rights.subject_data`` into one self-contained
HTML page (no script, no outside resource) an officer prints or hands over."""

from __future__ import annotations

import pathlib
from typing import Any

import jinja2

from sync.web import i18n

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(pathlib.Path(__file__).resolve().parent / "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(data: dict[str, Any], keep: dict[str, int]) -> str:
    return _ENV.get_template("subject_report.html").render(
        who=data["identity"],
        dt=lambda t: i18n.fmt_datetime(int(t), "id"),
        day=lambda t: i18n.fmt_date(int(t), "id"),
        keep=keep,
        **{k: v for k, v in data.items() if k != "identity"},
    )
