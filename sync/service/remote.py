# remote: settings and commands an admin sends terminals over the network, and what they report.
# SPDX-License-Identifier: MIT
"""Functions of a ``Collector``; each is one transaction (docs/collector.md, "Remote settings and
commands").

- ``set_settings(c, settings, terminal=7 | rusun="Marunda", password=None, scope=, user=)``: every
  setting checked with the terminal's own rule (``wire.setting_error``, ``wire.password_error``);
  the non-secret ones go into each terminal's ``config_json`` (its config version moves, so the
  next reply makes it fetch them); the Wi-Fi password is stored sealed by the vault
  (``terminal_secrets``) and travels sealed under the terminal's Kc (``downlink.config``). It is
  never logged, never in an alert or audit detail.
- ``queue_command(c, "reboot", terminal= | rusun=, scope=, user=)``: a row per terminal in
  ``terminal_commands`` (who, when); ``downlink.offer`` puts the oldest open one into each reply
  (``HDA2``) until the terminal's report answers it (``report``, ``POST /v1/report``), once.
- ``report(c, body, peer)``: a signed report (``wire.decode_report``), authenticated as a status
  request is; a command's result is stored once (a replay changes nothing), settings kept /
  gone back / refused and wear go to ``terminal_reports``; going back and refusals are alerts.

Audit: each admin action writes one row through ``_audit`` (the access-audit table when this
collector has it, else an alert row of kind ``admin``).
"""

from __future__ import annotations

import json
from typing import Any

from firmware import wire
from sync.service import admin
from sync.service.collector import Collector
from sync.service.scope import Scope
from sync.service.verify import Outcome, Reject, authenticate, confirm
from sync.store import alert_log, remote, terminals
from sync.store.db import Tx

RESULTS = {wire.RESULT_OK: "ok", wire.RESULT_FAILED: "failed", wire.RESULT_UNKNOWN: "unknown"}


def _audit(
    c: Collector,
    tx: Tx,
    user: str,
    action: str,
    t: dict[str, Any],
    detail: dict[str, Any],
    via: str | None = None,
) -> None:
    """One audit row, inside the caller's transaction; ``detail`` never holds a secret."""
    via = via or ("cli" if user == "operator" else "api")
    try:
        from sync.store import audit  # type: ignore[attr-defined]  # the access-audit table
    except ImportError:
        text = json.dumps({"user": user, "via": via, "action": action, **detail}, sort_keys=True)
        alert_log.add(tx, t["id"], "admin", text, c.now())
        return
    audit.append(tx, at=c.now(), user=user, via=via, peer="", action=action,
                 target=f"terminal:{t['id']}", rusun_id=t["rusun_id"], detail=detail)  # fmt: skip


def audit_rows(c: Collector, tid: int) -> list[dict[str, Any]]:
    """The audit rows naming terminal ``tid``, oldest first: {user, via, action, detail}."""
    with c.db.read() as tx:
        try:
            from sync.store import audit  # type: ignore[attr-defined]  # noqa: F401
        except ImportError:
            rows = [r for r in alert_log.recent(tx, tid, 1000) if r["kind"] == "admin"]
            out = []
            for r in reversed(rows):
                d = json.loads(r["detail"])
                out.append({"user": d.pop("user"), "via": d.pop("via"),
                            "action": d.pop("action"), "detail": d})  # fmt: skip
            return out
        found = tx.all(
            "SELECT user_name, via, action, detail FROM access_audit WHERE target = ? ORDER BY id",
            (f"terminal:{tid}",),
        )
        return [
            {"user": u, "via": v, "action": a, "detail": json.loads(d)} for u, v, a, d in found
        ]


def _targets(
    tx: Tx, terminal: int | None, rusun: str | None, scope: Scope
) -> list[dict[str, Any]]:
    """The terminal, or every active terminal of the rusun, each checked against ``scope``."""
    if (terminal is None) == (rusun is None):
        raise admin.AdminError("sebut satu terminal atau satu rusun / name one terminal or rusun")
    if terminal is not None:
        return [admin._existing(tx, terminal, scope)]
    rid = admin.rusun_id(tx, rusun, scope)
    assert rid is not None
    found = [t for t in terminals.terminals(tx, [rid]) if t["status"] == "active"]
    return [terminals.lock_terminal(tx, t["id"]) or t for t in found]


# --- settings ----------------------------------------------------------------------------------


def check_settings(settings: dict[str, Any], password: str | None) -> None:
    if not isinstance(settings, dict):
        raise admin.AdminError("pengaturan harus objek JSON / settings must be a JSON object")
    if wire.SEALED_PASSWORD in settings:
        raise admin.AdminError(
            "kata sandi Wi-Fi lewat --wifi-password / the Wi-Fi password goes by its own option"
        )
    for name, value in settings.items():
        why = wire.setting_error(name, value)
        if why is not None:
            raise admin.AdminError(f"{str(name)[:40]}: {why[0]} / {why[1]}")
    if password is not None:
        why = wire.password_error(password)
        if why is not None:
            raise admin.AdminError(f"wifi_password: {why[0]} / {why[1]}")
    if not settings and password is None:
        raise admin.AdminError("tidak ada pengaturan / no settings given")


def set_settings(
    c: Collector,
    settings: dict[str, Any],
    *,
    terminal: int | None = None,
    rusun: str | None = None,
    password: str | None = None,
    scope: Scope,
    user: str = "operator",
) -> list[tuple[int, int]]:
    """(terminal id, new config version) for each terminal the settings go to."""
    check_settings(settings, password)
    out = []
    with c.db.write() as tx:
        for t in _targets(tx, terminal, rusun, scope):
            merged = json.loads(t["config_json"])
            merged.update(settings)
            text = json.dumps(merged, sort_keys=True)
            room = wire.CONFIG_MAX_BYTES - (2 * wire.PASSWORD_MAX + 24)  # the sealed password
            if len(text.encode()) > room:
                raise admin.AdminError(
                    f"pengaturan lebih dari {room} byte / settings longer than {room} bytes"
                )
            if password is not None:
                enc = c.vault.seal(b"wifi:%d" % t["id"], password.encode())
                remote.set_password(tx, t["id"], enc, c.now())
            terminals.set_terminal_config(tx, t["id"], text)
            names = sorted(settings) + (["wifi_password"] if password is not None else [])
            _audit(c, tx, user, "terminal.settings", t, {"settings": names})
            out.append((t["id"], t["config_version"] + 1))
    return out


# --- commands ----------------------------------------------------------------------------------


def queue_command(
    c: Collector,
    command: str,
    *,
    terminal: int | None = None,
    rusun: str | None = None,
    scope: Scope,
    user: str = "operator",
) -> list[int]:
    """Command ids, one per terminal."""
    if command not in wire.COMMANDS[1:]:
        raise admin.AdminError(
            f"perintah tidak dikenal / unknown command {command[:40]!r}: "
            + ", ".join(wire.COMMANDS[1:])
        )
    ids = []
    with c.db.write() as tx:
        for t in _targets(tx, terminal, rusun, scope):
            cid = remote.add_command(tx, t["id"], command, user, c.now())
            _audit(c, tx, user, "command.send", t, {"command": command, "command_id": cid})
            ids.append(cid)
    return ids


def list_commands(c: Collector, terminal: int | None = None, *, scope: Scope) -> list[dict]:
    with c.db.read() as tx:
        if terminal is not None:
            t = terminals.terminal(tx, terminal)
            if t is None or not scope.allows(t["rusun_id"]):
                raise admin.Unknown(f"terminal {terminal} tidak dikenal / unknown terminal")
            return remote.commands(tx, [terminal])
        ids = None
        if scope.rusun_ids is not None:
            ids = [t["id"] for t in terminals.terminals(tx, sorted(scope.rusun_ids))]
        return remote.commands(tx, ids)


# --- reports (terminal -> collector) -----------------------------------------------------------


def report(c: Collector, body: bytes, peer: str = "") -> Outcome:
    """``POST /v1/report``: 200 with an empty body once stored (or stored before)."""
    try:
        batch, (cid, result, text) = wire.decode_report(body)
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except (wire.WireError, ValueError) as exc:
        return Outcome(400, reason=f"malformed report: {str(exc)[:80]}")
    try:
        checked = authenticate(c, batch, peer)
        with c.db.write() as tx:
            v = confirm(tx, checked, batch)
            _store_report(c, tx, v.terminal, cid, RESULTS.get(result, "unknown"), doc, text)
    except Reject as rej:
        c.alert(batch.terminal_id, rej.alert, rej.reason)
        return Outcome(rej.http, reason=rej.reason)
    return Outcome(200, b"")


def _store_report(
    c: Collector, tx: Tx, t: dict[str, Any], cid: int, result: str, doc: dict, text: str
) -> None:
    tid, now = t["id"], c.now()
    if cid:
        if remote.finish_command(tx, tid, cid, result, text, now):
            _audit(c, tx, f"terminal:{tid}", "command.done", t,
                   {"command_id": cid, "result": result}, via="terminal")  # fmt: skip
            if result != "ok":
                alert_log.add(tx, tid, "command_failed", f"command {cid}: {result}", now)
        return
    if "settings" in doc:
        version = doc.get("settings")
        if doc.get("fell_back"):
            kind = "fell_back"
            why = str(doc.get("why", ""))[:200]
            alert_log.add(tx, tid, "settings_fell_back",
                          f"config version {version}: went back to the previous settings: {why}",
                          now)  # fmt: skip
        elif "refused" in doc:
            kind = "refused"
            why = str(doc.get("refused", ""))[:200]
            alert_log.add(tx, tid, "settings_refused", f"config version {version}: {why}", now)
        else:
            kind = "kept"
        remote.add_report(tx, tid, "settings", kind, text, now)
    elif "wear" in doc:
        remote.add_report(tx, tid, "wear", result, text, now)
    else:
        remote.add_report(tx, tid, "other", result, text, now)
