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
from sync.store import remote, residents
from sync.store.db import Tx

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
    with c.db.read() as tx:
        sealed = _sealed_password(c, tx, t, kc)
    if sealed is not None:  # sealed under Kc for this version (docs/protocol.md, "Config")
        settings = json.loads(text)
        settings[wire.SEALED_PASSWORD] = sealed
        text = json.dumps(settings, sort_keys=True)
    return Outcome(200, wire.encode_config(kc, t["config_version"], t["id"], text))


def offer(c: Collector, tx: Tx, t: dict[str, Any], health: dict[str, int]) -> tuple | None:
    """What an ``HDA2`` reply offers the terminal: (release, command_id, command); None for a
    terminal whose firmware reads only ``HDA1`` replies (``firmware_version`` 1)."""
    if health.get("firmware_version", 0) < 2:
        return None
    command_id = command = 0
    row = remote.open_command(tx, t["id"])  # the oldest open one, until its report answers it
    if row is not None:
        remote.mark_sent(tx, row["id"], c.now())
        command_id, command = row["id"], wire.COMMANDS.index(row["command"])
    from sync.service import releases  # releases imports this module

    release = releases.offer_for(tx, t)
    return release, command_id, command


def _sealed_password(c: Collector, tx: Tx, t: dict[str, Any], kc: bytes) -> str | None:
    """The terminal's Wi-Fi password (``sync.service.remote``), opened from the vault and sealed
    under Kc for its current config version; None when none was set remotely."""
    enc = remote.password(tx, t["id"])
    if enc is None:
        return None
    text = c.vault.open(b"wifi:%d" % t["id"], enc).decode()
    return wire.seal_secret(kc, t["config_version"], t["id"], text)


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
