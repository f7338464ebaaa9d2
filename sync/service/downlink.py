# downlink: what a terminal fetches from the collector: its signed config and allow-list.
# SPDX-License-Identifier: MIT
"""``config(c, body)`` answers ``POST /v1/config``, ``allowlist(c, body)`` ``POST /v1/allowlist``;
``body`` is a status request (a batch with no slots), checked as an upload is
(``sync.service.verify``). Both blobs are signed with the terminal's Kc (docs/protocol.md). The
allow-list holds the tokens under the card key generation the terminal was provisioned with
(``sync.service.cardkeys``)."""

from __future__ import annotations

import json
from typing import Any

from firmware import wire
from sync.service.collector import Collector
from sync.service.verify import Outcome, Reject, Verified, authenticate
from sync.store import residents

# The settings a new terminal gets (``admin.set_config`` changes them per terminal).
DEFAULT_CONFIG = dict(wire.CONFIG_DEFAULTS)


def default_config_json() -> str:
    return json.dumps(DEFAULT_CONFIG, sort_keys=True)


def status_request(c: Collector, body: bytes, peer: str) -> Verified | Outcome:
    """The verified status request, or the error to answer (its alert written)."""
    try:
        batch = wire.decode_batch(body)
    except wire.WireError as exc:
        return Outcome(400, reason=str(exc))
    if batch.count:
        return Outcome(400, reason="expected a status request (count 0)")
    try:
        return authenticate(c, batch, peer)
    except Reject as rej:
        c.alert(batch.terminal_id, rej.alert, rej.reason)
        return Outcome(rej.http, reason=rej.reason)


def sendable(config_json: str) -> str:
    """The stored settings as the terminal will take them: only settings its own rule accepts
    (``wire.setting_error``); one stored before that rule was checked is left out (the terminal
    keeps its value) rather than make the terminal refuse the whole config every round."""
    try:
        stored = json.loads(config_json)
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    good = {k: v for k, v in stored.items() if wire.setting_error(k, v) is None}
    return json.dumps(good, sort_keys=True)


def config(c: Collector, body: bytes, peer: str = "") -> Outcome:
    v = status_request(c, body, peer)
    if isinstance(v, Outcome):
        return v
    t = v.terminal
    kc = wire.config_key(c.k0(t))
    text = sendable(t["config_json"])
    return Outcome(200, wire.encode_config(kc, t["config_version"], t["id"], text))


def allowlist(c: Collector, body: bytes, peer: str = "") -> Outcome:
    v = status_request(c, body, peer)
    if isinstance(v, Outcome):
        return v
    t = v.terminal
    with c.db.read() as tx:
        version = residents.allowlist_version(tx, t["rusun_id"])
        entries = residents.allowlist_entries(tx, t["rusun_id"], t["card_key_gen"])
    kc = wire.config_key(c.k0(t))
    return Outcome(200, wire.encode_allowlist(entries, version, t["id"], kc))


def offer(c: Collector, t: dict[str, Any], health: dict[str, int]) -> tuple[int, int, int] | None:
    """What a reply offers: (release, command_id, command) in an ``HDA2`` to a terminal whose
    firmware reads it (version 2 on), None (``HDA1``) to an older one."""
    if health.get("firmware_version", 0) < 2:
        return None
    from sync.service import releases  # releases imports this module

    return (releases.offer_for(c, t), 0, 0)
