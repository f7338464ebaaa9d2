# wear: flash wear of each terminal from its wear reports, and the years left to rated endurance.
# SPDX-License-Identifier: MIT
"""``of_terminals(tx, terminals, now)`` -> {terminal id: {"wear_erases", "wear_years"}}.

A terminal reports ``{"wear": [ring erases, key erases, ring sectors]}`` once a day of uptime
(``firmware.remote``, ``Log.wear``): the most erases any of its log's sectors has had. Years
left = (``ENDURANCE_CYCLES`` - erases) / erase rate, the rate measured between its first and
its latest report when they are at least ``MIN_SPAN_S`` apart, else over its life since it was
registered. None while there is no report, or no erase yet to measure a rate from.

``ENDURANCE_CYCLES``: 100,000 program/erase cycles per sector, the rated endurance of the SPI NOR
flash chips ESP32-WROOM/WROVER modules carry (GigaDevice GD25Q32C / Winbond W25Q32 datasheets,
"minimum 100,000 program/erase cycles"; Texas Instruments' application note SWRA657 gives the
same typical figure, 100K write cycles per sector and 20 years' retention).
"""

from __future__ import annotations

import json
from typing import Any

from sync.store import remote
from sync.store.db import Tx

ENDURANCE_CYCLES = 100_000
MIN_SPAN_S = 7 * 86400
YEAR_S = 365.25 * 86400


def _erases(report: dict[str, Any]) -> int | None:
    try:
        ring, keys, _ = json.loads(report["detail"])["wear"]
        return max(int(ring), int(keys))
    except (ValueError, KeyError, TypeError):
        return None


def years_left(erases: int, rate_per_s: float) -> float | None:
    if rate_per_s <= 0:
        return None
    return max(0.0, (ENDURANCE_CYCLES - erases) / rate_per_s / YEAR_S)


def of_terminal(tx: Tx, t: dict[str, Any]) -> dict[str, Any]:
    both = remote.first_and_last_wear(tx, t["id"])
    if both is None:
        return {"wear_erases": None, "wear_years": None}
    first, last = both
    e1, e2 = _erases(first), _erases(last)
    if e2 is None:
        return {"wear_erases": None, "wear_years": None}
    span = last["received_at"] - first["received_at"]
    if e1 is not None and span >= MIN_SPAN_S:
        rate = (e2 - e1) / span
    else:  # a young terminal: its life so far (each sector was erased once before first use)
        life = last["received_at"] - t["created_at"]
        rate = (e2 - 1) / life if life > 0 else 0.0
    years = years_left(e2, rate)
    return {"wear_erases": e2, "wear_years": None if years is None else round(years, 1)}


def of_terminals(tx: Tx, terminals: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {t["id"]: of_terminal(tx, t) for t in terminals}
