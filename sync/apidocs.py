# apidocs: the admin API's reference page at /docs: plain HTML from the OpenAPI document.
# SPDX-License-Identifier: MIT
"""FastAPI's own /docs page loads Swagger UI's script and styles from a CDN: a third party's
script running on the collector's origin, next to the admin's signed-in session. This page is
built on the server from the same OpenAPI document and holds no script at all (its
Content-Security-Policy forbids any). ``python -m sync serve --no-api-docs`` (or
``HADIR_API_DOCS=off``) serves neither it nor ``/openapi.json``."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
_METHODS = ("get", "post", "put", "patch", "delete")


def page(doc: dict[str, Any]) -> str:
    rows = []
    for path, ops in doc.get("paths", {}).items():
        for method in _METHODS:
            if method in ops:
                summary = ops[method].get("summary", "")
                rows.append(f"<tr><td>{method.upper()}</td><td><code>{html.escape(path)}"
                            f"</code></td><td>{html.escape(summary)}</td></tr>")  # fmt: skip
    title = html.escape(doc.get("info", {}).get("title", "API"))
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font:14px sans-serif;margin:2em}td{padding:2px 8px}</style>"
        f"<h1>{title}</h1><p>The machine-readable document: "
        '<a href="/openapi.json">/openapi.json</a>.</p>'
        f"<table>{''.join(rows)}</table></html>"
    )


def mount(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page(app.openapi()), headers={"Content-Security-Policy": CSP})
