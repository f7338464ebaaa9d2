# alerts: the limiter in front of the alert rows, and the delivery of alerts to people.
# SPDX-License-Identifier: MIT
"""Two halves: what is written (the limiter, here first), and who is told (``run``, below).

Every refused terminal request writes an alert row (``Collector.alert``) — one write
transaction, one fsync. A client sending forged requests as fast as it can must not turn that
into a disk-filling loop, nor drown the alerts admins read. So rows are limited per key:

- the key is the claimed terminal when it exists and the request came that far, else one shared
  "unknown" key (a forger inventing terminal ids gets one key, not four billion); requests only
  the key holder can make (``bad_seal``, ``chain``, ``tamper``) have keys of their own, so forged
  requests cannot hide a copied key's;
- at most ``PER_MINUTE`` rows a minute per key (a burst of as many), and at most ``PER_DAY`` a
  day; the first row past the daily cap says so (kind ``suppressed``), then nothing more that day;
- refusals not written are counted, and the next row written for that key says how many.

In memory, per collector process (a restart forgets the counts: the cap is per process-day).

Delivery (``run(c, senders)``, one pass; ``python -m sync alerts run`` from a timer, or the
server's own loop): troubles are gathered from the alert rows and the records received since the
last pass and from fleet health, each becomes a *notice* of one terminal and one category
(``CATEGORIES``), and each recipient (``add_recipient``: e-mail or signed webhook, one rusun or
all, quiet hours in Asia/Jakarta time, a daily digest) gets one message with the notices it has
not been told of. De-duplication: a notice already told is told again only when it was seen again
and ``REPEAT_S`` passed; one not seen for ``FRESH_S`` starts again as new. Quiet hours hold
messages until they end. The digest (at ``DIGEST_HOUR`` local time) lists every notice of the
last day with its count, and says so when there was none.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from firmware import wire
from sync.ratelimit import TokenBuckets

PER_MINUTE = 10
PER_DAY = 500
_KEY_HOLDER = ("bad_seal", "chain", "tamper")
_NO_TERMINAL = ("unknown_terminal", "malformed", "oversized")


def key_of(tid: int | None, kind: str) -> tuple[object, str]:
    who: object = "unknown" if tid is None or kind in _NO_TERMINAL else tid
    return who, "holder" if kind in _KEY_HOLDER else "anyone"


class AlertLimiter:
    def __init__(self) -> None:
        self._rate = TokenBuckets(PER_MINUTE, PER_MINUTE / 60)
        self._day: dict[tuple[object, str], tuple[int, int]] = {}  # key -> (day, rows written)
        self._skipped: dict[tuple[object, str], int] = {}
        self._lock = threading.Lock()

    def admit(self, tid: int | None, kind: str, detail: str, now: int) -> tuple[str, str] | None:
        """(kind, detail) of the row to write for this refusal, or None to write nothing."""
        key = key_of(tid, kind)
        day = now // 86400
        with self._lock:
            seen_day, rows = self._day.get(key, (day, 0))
            if seen_day != day:
                rows = 0
            if rows > PER_DAY or not self._rate.take(key, 1, now):
                self._skipped[key] = self._skipped.get(key, 0) + 1
                return None
            self._day[key] = (day, rows + 1)
            if len(self._day) > 10_000:  # only stale days can be this many: forget them
                self._day = {k: v for k, v in self._day.items() if v[0] == day}
            skipped = self._skipped.pop(key, 0)
        if skipped:
            detail += f" (+{skipped} similar refusals not recorded)"
        if rows == PER_DAY:
            return "suppressed", (
                f"{PER_DAY} alert rows today for this terminal: further refused requests are "
                f"counted, not recorded, until tomorrow (UTC); last: {kind}: {detail}"
            )
        return kind, detail


# --- delivery to people --------------------------------------------------------------------------

SILENT_S = 3600  # a terminal unheard for this long is silent (12 sync intervals of 300 s)
REPEAT_S = 6 * 3600
FRESH_S = 24 * 3600
DIGEST_HOUR = 7
DAY = 86400
# category: (Bahasa Indonesia, English)
CATEGORIES = {
    "silent": ("terminal tidak terdengar", "terminal silent"),
    "storage": ("log hampir penuh", "log above its warning level"),
    "refused_taps": ("tap ditolak, log penuh", "taps refused, log full"),
    "clock": ("masalah jam", "clock trouble"),
    "reader": ("pembaca kartu rusak", "card reader faulty"),
    "tamper": ("tanda pembongkaran / kunci tersalin", "tamper or copied key"),
    "update": ("pembaruan gagal", "update failed"),
    "remote": ("pengaturan/perintah jarak jauh gagal", "remote settings or command failed"),
}
_ROW_KINDS = {
    "tamper": "tamper", "chain": "tamper", "bad_seal": "tamper",
    "clock_jump": "clock", "dates_held": "clock",
    "settings_fell_back": "remote", "settings_refused": "remote", "command_failed": "remote",
}  # fmt: skip
_EVENTS = {wire.TAMPER: "tamper", wire.READER_FAULT: "reader", wire.STORAGE: "refused_taps"}


class Sender(Protocol):
    channel: str

    def send(self, address: str, secret: bytes | None, subject: str, text: str,
             payload: dict[str, Any]) -> None: ...  # fmt: skip


def _row_category(kind: str) -> str | None:
    if kind.startswith(("update", "release", "rollback", "rolled_back")):
        return "update"
    return _ROW_KINDS.get(kind)


def parse_quiet(text: str | None) -> tuple[int | None, int | None]:
    """ "22:00-06:00" -> local minutes (1320, 360); None or "" -> no quiet hours."""
    if not text:
        return None, None
    try:
        a, b = text.split("-")
        out = []
        for part in (a, b):
            h, m = part.strip().split(":")
            if not (0 <= int(h) < 24 and 0 <= int(m) < 60):
                raise ValueError
            out.append(int(h) * 60 + int(m))
    except ValueError:
        raise ValueError(
            f"jam tenang harus JJ:MM-JJ:MM / quiet hours must be HH:MM-HH:MM: {text[:20]!r}"
        ) from None
    return out[0], out[1]


def local_minute(now: int) -> int:
    return ((now + wire.UTC_OFFSET_MIN * 60) // 60) % 1440


def local_day(now: int) -> int:
    return (now + wire.UTC_OFFSET_MIN * 60) // DAY


def quiet(r: dict[str, Any], now: int) -> bool:
    a, b = r["quiet_from"], r["quiet_to"]
    if a is None or b is None or a == b:
        return False
    m = local_minute(now)
    return a <= m < b if a < b else m >= a or m < b


def collect(c: Any, now: int) -> int:
    """Gather the troubles since the last pass into notices; how many sightings."""
    from sync.service import reports
    from sync.store import notices

    health = reports.health(c)
    n = 0
    with c.db.write() as tx:
        since = notices.last_run(tx, "collect")
        since = now - SILENT_S if since is None else since
        with_ids = {t["id"]: t["rusun_id"] for t in _terminals(tx)}
        sightings: list[tuple[int, str, str]] = []
        for tid, kind, detail in notices.alert_rows(tx, since, now):
            cat = _row_category(kind)
            if cat is not None:
                sightings.append((tid, cat, f"{kind}: {detail}"[:300]))
        for tid, kind, flags, _ in notices.device_events(tx, since, now):
            sightings.append((tid, _EVENTS[kind], f"record kind {kind} flags {flags}"))
        for h in health:
            if h["status"] != "active":
                continue
            tid = h["terminal_id"]
            if h["silent_s"] is not None and h["silent_s"] >= SILENT_S:
                sightings.append((tid, "silent", f"last seen {h['silent_s'] // 60} min ago"))
            pm = h["storage_per_mille"]
            if pm is not None and pm >= wire.STORAGE_WARN_PER_MILLE:
                sightings.append((tid, "storage", f"log {pm // 10} % full"))
            if h["last_seen"] is not None and h["clock_quality"] == wire.CLOCK_UNSET:
                sightings.append((tid, "clock", "the terminal does not know the time"))
        for tid, cat, detail in sightings:
            rid = with_ids.get(tid)
            if rid is None:
                continue
            notices.see(tx, f"{tid}:{cat}", tid, rid, cat, detail, now, FRESH_S)
            n += 1
        notices.set_run(tx, "collect", now)
    return n


def _terminals(tx: Any) -> list[dict[str, Any]]:
    from sync.store import terminals

    return terminals.terminals(tx)


def _line(n: dict[str, Any], names: dict[int, str]) -> str:
    t_id, t_en = CATEGORIES[n["category"]]
    where = names.get(n["rusun_id"], "?")
    times = f" (x{n['seen']})" if n["seen"] > 1 else ""
    return f"- terminal {n['terminal_id']} ({where}): {t_id} / {t_en}{times}: {n['detail']}"


def _payload(items: list[dict[str, Any]], names: dict[int, str], now: int, digest: bool) -> dict:
    return {
        "digest": digest,
        "sent_at": now,
        "notices": [
            {"terminal_id": n["terminal_id"], "rusun": names.get(n["rusun_id"]),
             "category": n["category"], "title_id": CATEGORIES[n["category"]][0],
             "title_en": CATEGORIES[n["category"]][1], "detail": n["detail"],
             "first_at": n["first_at"], "last_at": n["last_at"], "seen": n["seen"]}
            for n in items
        ],
    }  # fmt: skip


def deliver(c: Any, senders: Sequence[Sender], now: int,
            keep: Callable[[], bool] = lambda: True,
            failures: list[str] | None = None) -> dict[str, int]:  # fmt: skip
    """Send what each recipient is due; counts of messages sent, held (quiet hours), failed.
    ``keep()`` is asked before each message: False (the lease lost, the server stopping) ends
    the pass there, the rest waits for the next one. Why each failed message did not go out is
    appended to ``failures`` (channel and reason: never an address or a secret)."""
    from sync.notify import NotifyError
    from sync.store import notices, residents

    by_channel = {s.channel: s for s in senders}
    counts = {"sent": 0, "held": 0, "failed": 0, "digests": 0}
    with c.db.read() as tx:
        recips = notices.recipients(tx)
        recent = notices.notices_since(tx, now - FRESH_S)
        day = notices.notices_since(tx, now - DAY)
        names = {r.id: r.name for r in residents.rusun_all(tx)}
        told = {r["id"]: notices.sends(tx, r["id"]) for r in recips}
    for r in recips:
        sender = by_channel.get(r["channel"])
        if sender is None:
            continue
        mine = [n for n in recent if r["rusun_id"] in (None, n["rusun_id"])]
        due = []
        for n in mine:
            before = told[r["id"]].get(n["notice_key"])
            if before is None or (n["seen"] > before[1] and now - before[0] >= REPEAT_S):
                due.append(n)
        digest_due = (
            bool(r["digest"])
            and local_day(now) > r["digest_day"]
            and (local_minute(now) >= DIGEST_HOUR * 60)
        )
        if quiet(r, now):
            counts["held"] += bool(due) + digest_due
            continue
        secret = None
        if r["secret_enc"] is not None:
            secret = c.vault.open(b"webhook:%d" % r["id"], r["secret_enc"])
        if due:
            subject = f"hadir: {len(due)} masalah terminal / terminal troubles"
            text = "\n".join(_line(n, names) for n in due)
            if not keep():
                break
            try:
                sender.send(r["address"], secret, subject, text, _payload(due, names, now, False))
            except NotifyError as exc:
                counts["failed"] += 1
                _failed(failures, sender, exc)
            else:
                counts["sent"] += 1
                with c.db.write() as tx:
                    for n in due:
                        notices.sent(tx, n["notice_key"], r["id"], now, n["seen"])
        if digest_due:
            items = [n for n in day if r["rusun_id"] in (None, n["rusun_id"])]
            subject = f"hadir: ringkasan harian / daily digest ({len(items)})"
            lines = [_line(n, names) for n in items] or ["tidak ada masalah / no trouble"]
            if not keep():
                break
            try:
                sender.send(r["address"], secret, subject, "\n".join(lines),
                            _payload(items, names, now, True))  # fmt: skip
            except NotifyError as exc:
                counts["failed"] += 1
                _failed(failures, sender, exc)
            else:
                counts["digests"] += 1
                with c.db.write() as tx:
                    notices.set_digest_day(tx, r["id"], local_day(now))
    return counts


def _failed(failures: list[str] | None, sender: Sender, exc: Exception) -> None:
    if failures is not None:
        failures.append(f"{sender.channel}: {exc}")


LEASE = "delivery"
LEASE_S = 300  # a pass holds the lease this long past its last step (renewed before each send)


def new_holder() -> str:
    """A name for one holder of the lease: host, process, and a random part (two apps in one
    process are two holders)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def run(c: Any, senders: Sequence[Sender], now: int | None = None, *, holder: str | None = None,
        stop: Callable[[], bool] = lambda: False,
        failures: list[str] | None = None) -> dict[str, int]:  # fmt: skip
    """One pass: take the lease, gather, deliver, give the lease back. Only one pass runs at a
        time over one database, whichever process (``serve``'s own loop, ``alerts run`` from a
        timer) starts it: a pass that finds the lease held does nothing (``busy`` 1), so no
        trouble is gathered twice and no message sent twice (``holder``: the loop's own name; by
    default a new one). ``stop()`` True ends the pass before
        its next message."""
    from sync.store import notices

    now = c.now() if now is None else now
    holder = holder or new_holder()
    with c.db.write() as tx:
        if not notices.take_lease(tx, LEASE, holder, now, now + LEASE_S):
            return {"busy": 1}

    def keep() -> bool:
        if stop():
            return False
        t = int(c.now())
        with c.db.write() as tx:  # renewed: a slow receiver must not let a second pass in
            return notices.take_lease(tx, LEASE, holder, t, t + LEASE_S)

    try:
        seen = collect(c, now)
        out = deliver(c, senders, now, keep, failures)
    finally:
        with c.db.write() as tx:
            notices.drop_lease(tx, LEASE, holder)
    out["sightings"] = seen
    out["busy"] = 0
    return out


_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f<>,;]{1,64}@[^@\s\x00-\x1f\x7f<>,;]{1,189}")  # one address


def add_recipient(c: Any, channel: str, address: str, *, rusun: str | None = None,
                  secret: bytes | None = None, quiet_hours: str | None = None,
                  digest: bool = True, scope: Any) -> int:  # fmt: skip
    """A recipient of one rusun (or every rusun: ``rusun`` None, an unscoped admin only)."""
    from sync.service import admin
    from sync.store import notices

    if channel not in ("email", "webhook"):
        raise admin.AdminError(
            "saluran harus email atau webhook / channel must be email or webhook"
        )
    if channel == "email" and not _EMAIL.fullmatch(address):
        raise admin.AdminError(
            f"alamat e-mail tidak sah / not an e-mail address: {address[:40]!r}"
        )
    if channel == "webhook":
        if not address.startswith(("https://", "http://")) or not address.isprintable():
            raise admin.AdminError("webhook harus URL http(s) / a webhook is an http(s) URL")
        if not secret or len(secret) < 16:
            raise admin.AdminError(
                "webhook perlu rahasia >= 16 byte / needs a secret of 16+ bytes"
            )
    try:
        qa, qb = parse_quiet(quiet_hours)
    except ValueError as exc:
        raise admin.AdminError(str(exc)) from None
    with c.db.write() as tx:
        rid = admin.rusun_id(tx, rusun, scope) if rusun is not None else None
        if rusun is None and not scope.everything:
            raise admin.AdminError("sebut rusun / name a rusun (your account is scoped)")
        new = notices.add_recipient(tx, {
            "rusun_id": rid, "channel": channel, "address": address, "quiet_from": qa,
            "quiet_to": qb, "digest": int(digest), "digest_day": 0, "created_at": c.now(),
        })  # fmt: skip
        if secret is not None:
            tx.run("UPDATE alert_recipients SET secret_enc = ? WHERE id = ?",
                   (c.vault.seal(b"webhook:%d" % new, secret), new))  # fmt: skip
    return new


def remove_recipient(c: Any, rid: int, *, scope: Any) -> None:
    """Tell ``rid`` nothing more (its send rows go with it); one of every rusun: an unscoped
    admin only."""
    from sync.service import admin
    from sync.store import notices

    with c.db.write() as tx:
        mine = [r for r in notices.recipients(tx) if r["id"] == rid]
        if not mine or not (scope.everything or mine[0]["rusun_id"] in (scope.rusun_ids or ())):
            raise admin.AdminError(f"penerima tidak ada / no such recipient: {rid}")
        notices.remove_recipient(tx, rid)


def list_recipients(c: Any, *, scope: Any) -> list[dict[str, Any]]:
    from sync.store import notices

    with c.db.read() as tx:
        rows = notices.recipients(tx)
    return [
        {k: v for k, v in r.items() if k != "secret_enc"}
        for r in rows
        if scope.everything or r["rusun_id"] in (scope.rusun_ids or ())
    ]
