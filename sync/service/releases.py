# releases: signed code releases: publish, roll out in waves, serve chunks, follow each terminal.
# SPDX-License-Identifier: MIT
"""The collector's side of network updates (docs/fleet.md, "Releases"; the wire format in
docs/protocol.md).

- ``keygen(path)`` makes a release key (LMS, RFC 8554: H10 = 1,024 signatures, W4) in a file
  of its own, mode 0600: it belongs on the release manager's machine, never on a terminal, and
  it is not the collector's TLS key. ``publish`` signs with it: the key file's next leaf is
  stored before the signature is used (a leaf signs once).
- Waves: a new release is offered to one canary per rusun (its lowest terminal id) first; when
  every canary has confirmed it (installed and healthy after its restart) it is offered to
  everyone. A canary that refuses or rolls it back halts the release; ``pause``/``resume``.
- ``offer_for(c, terminal)`` is the release id a terminal's reply carries (0: none); the
  terminal then fetches the manifest and the chunks (``manifest``, ``chunk``: each request a
  signed status request, checked as an upload is) and reports ``installed``, ``refused`` or
  ``rolled_back`` (``report``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from firmware import wire
from sync import secretfile
from sync.service.collector import Collector
from sync.service.downlink import status_request
from sync.service.verify import Outcome
from sync.store import releases as store
from sync.store import terminals

LMS_TYPE = 6  # LMS_SHA256_M32_H10: 1,024 releases per key
OTS_TYPE = 3  # LMOTS_SHA256_N32_W4: 2.3 KB signatures, ~500 hashes to verify
WAVES = ("canary", "all")


class ReleaseError(Exception):
    """One line, Bahasa Indonesia / English."""


# --- the release key (off the collector's database) -------------------------------------------


def keygen(path: str, lms_type: int = LMS_TYPE, ots_type: int = OTS_TYPE) -> bytes:
    """Write a new release key to ``path`` (refused if one is there); its public key."""
    if os.path.exists(path):
        raise ReleaseError(f"{path}: sudah ada / already exists (not overwritten)")
    ident, seed = os.urandom(16), os.urandom(32)
    public, _ = wire.release_key(lms_type, ots_type, ident, seed)
    body = {"lms": lms_type, "ots": ots_type, "ident": ident.hex(), "seed": seed.hex(),
            "next": 0, "public": public.hex()}  # fmt: skip
    secretfile.write(path, json.dumps(body))
    return public


def _load_key(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as f:
            key = json.load(f)
        key["ident_b"] = bytes.fromhex(key["ident"])
        key["seed_b"] = bytes.fromhex(key["seed"])
        return key
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseError(
            f"{path}: kunci rilis tidak terbaca / unreadable release key ({exc})"
        ) from None


def public_key(path: str) -> bytes:
    return bytes.fromhex(_load_key(path)["public"])


def sign(path: str, message: bytes) -> bytes:
    """Sign with the key file's next leaf; the file moves on to the one after first."""
    key = _load_key(path)
    leaf = int(key["next"])
    stored = {k: v for k, v in key.items() if not k.endswith("_b")}
    stored["next"] = leaf + 1
    secretfile.write(path, json.dumps(stored))  # before the signature exists: never reused
    public, tree = wire.release_key(key["lms"], key["ots"], key["ident_b"], key["seed_b"])
    if public.hex() != key["public"]:
        raise ReleaseError(f"{path}: kunci rilis rusak / damaged release key")
    try:
        return wire.release_signature(key["lms"], key["ots"], key["ident_b"], key["seed_b"],
                                      tree, leaf, message, os.urandom(32))  # fmt: skip
    except ValueError as exc:
        raise ReleaseError("kunci rilis habis / release key exhausted: make a new one") from exc


def trust(c: Collector, public_hex: str) -> bytes:
    """Make ``public_hex`` the release key new terminals pin (their bundle carries it,
    provisioning writes ``/release.pub``); only releases it signed are published."""
    try:
        public = bytes.fromhex(public_hex.strip())
    except ValueError:
        public = b""
    if len(public) != 56 or public[:4] not in (b"\0\0\0\x05", b"\0\0\0\x06", b"\0\0\0\x07"):
        raise ReleaseError(
            "kunci publik rilis tidak sah / not a release public key (56 bytes hex)"
        )
    with c.db.write() as tx:
        store.set_trusted_key(tx, public)
    return public


def trusted(c: Collector) -> bytes | None:
    with c.db.read() as tx:
        return store.trusted_key(tx)


# --- publishing and waves ------------------------------------------------------------------


def publish(c: Collector, files: dict[str, bytes], key_path: str, user: str,
            chunk_size: int = wire.RELEASE_CHUNK) -> int:  # fmt: skip
    """Sign and store a release of ``files`` (path without the leading / -> bytes); its id.
    It starts with the canary wave."""
    version = json.loads(files["version.json"])["version"] if "version.json" in files else ""
    with c.db.read() as tx:
        rid = store.newest_id(tx) + 1
        pinned = store.trusted_key(tx)
    if pinned != public_key(key_path):
        raise ReleaseError(
            "kunci ini bukan kunci rilis yang dipercaya terminal / not the release key terminals "
            "pin: python -m sync release trust PUBLIC_KEY"
        )
    ordered = sorted(files.items())
    unsigned, blob = wire.encode_manifest(rid, version, ordered, chunk_size)
    manifest = wire.sign_manifest(unsigned, sign(key_path, unsigned))
    if not wire.manifest_ok(public_key(key_path), wire.Manifest(manifest)):
        raise ReleaseError("tanda tangan tidak sah / the signature does not verify")
    with c.db.write() as tx:
        if store.newest_id(tx) >= rid:
            raise ReleaseError("rilis lain diterbitkan bersamaan / another release came first")
        store.add(tx, rid, version, manifest, blob, chunk_size, user, c.now())
    return rid


def _release(tx: Any, rid: int) -> dict[str, Any]:
    r = store.get(tx, rid)
    if r is None:
        raise ReleaseError(f"rilis {rid} tidak ada / no release {rid}")
    return r


def pause(c: Collector, rid: int) -> dict[str, Any]:
    with c.db.write() as tx:
        r = _release(tx, rid)
        if r["state"] in WAVES:
            store.set_state(tx, rid, "paused", r["state"])
        return _release(tx, rid)


def resume(c: Collector, rid: int) -> dict[str, Any]:
    with c.db.write() as tx:
        r = _release(tx, rid)
        if r["state"] in ("paused", "halted"):
            store.set_state(tx, rid, r["paused_from"])
        return _release(tx, rid)


def list_releases(c: Collector) -> list[dict[str, Any]]:
    with c.db.read() as tx:
        return store.all_releases(tx)


def _canaries(fleet: list[dict[str, Any]]) -> set[int]:
    first: dict[int, int] = {}
    for t in fleet:
        if t["status"] == "active":
            first[t["rusun_id"]] = min(first.get(t["rusun_id"], t["id"]), t["id"])
    return set(first.values())


def newest(c: Collector) -> dict[str, Any] | None:
    with c.db.read() as tx:
        return store.get(tx, store.newest_id(tx))


def status(c: Collector, rid: int, rusun_ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Each terminal's state on release ``rid`` (of the rusun ``rusun_ids``, None: all):
    waiting (not offered yet), offered, downloading (chunks of total), installed, refused,
    rolled_back, no_room (with the blocks it needs and the blocks free: ``need``, ``free``)."""
    with c.db.read() as tx:
        r = _release(tx, rid)
        fleet = terminals.terminals(tx)
        got = store.progress(tx, rid)
        room = store.rooms(tx, rid)
    canaries = _canaries(fleet)
    total = -(-r["bytes"] // r["chunk_size"])
    rows = []
    for t in sorted(fleet, key=lambda t: t["id"]):
        if t["status"] != "active" or (rusun_ids is not None and t["rusun_id"] not in rusun_ids):
            continue
        p = got.get(t["id"])
        if p is not None:
            state = p["state"]
        elif r["state"] == "all" or (t["id"] in canaries and r["state"] == "canary"):
            state = "offered"
        else:
            state = "waiting"
        need, free = room.get(t["id"], ("", "")) if state == "no_room" else ("", "")
        rows.append({"terminal": t["id"], "rusun": t["rusun"], "canary": t["id"] in canaries,
                     "state": state, "chunks": f"{p['chunks'] if p else 0}/{total}",
                     "need": need, "free": free})  # fmt: skip
    return rows


def offer_for(tx: Any, t: dict[str, Any]) -> int:
    """The release a reply offers terminal ``t`` (in the reply's transaction ``tx``): the newest
    one rolling out whose wave reaches it and that it has not finished (installed, refused,
    rolled back; a terminal that had no room is offered it still, and tries again by itself once
    more blocks are free); 0 when none."""
    r = store.rolling(tx)
    if r is None:
        return 0
    if r["state"] == "canary" and t["id"] not in _canaries(terminals.terminals(tx)):
        return 0
    p = store.terminal_state(tx, r["id"], t["id"])
    if p is not None and p["state"] not in ("downloading", "no_room"):
        return 0
    return int(r["id"])


# --- what terminals ask for ----------------------------------------------------------------


def manifest(c: Collector, body: bytes, rid: int, peer: str = "") -> Outcome:
    v = status_request(c, body, peer)
    if isinstance(v, Outcome):
        return v
    with c.db.write() as tx:
        data = store.manifest(tx, rid)
        if data is None:
            return Outcome(404, reason="no such release")
        if store.terminal_state(tx, rid, v.terminal["id"]) is None:
            store.set_terminal(tx, rid, v.terminal["id"], "downloading", 0, c.now())
    return Outcome(200, data)


def chunk(c: Collector, body: bytes, rid: int, n: int, peer: str = "") -> Outcome:
    v = status_request(c, body, peer)
    if isinstance(v, Outcome):
        return v
    with c.db.write() as tx:
        data = store.chunk(tx, rid, n) if n >= 0 else None
        if not data:
            return Outcome(404, reason="no such chunk")
        p = store.terminal_state(tx, rid, v.terminal["id"])
        done = max(n + 1, p["chunks"] if p else 0)
        store.set_terminal(tx, rid, v.terminal["id"], "downloading", done, c.now())
    return Outcome(200, data)


def report(c: Collector, body: bytes, rid: int, state: int, peer: str = "",
           need: int | None = None, free: int | None = None) -> Outcome:  # fmt: skip
    """A terminal's word on a release: installed (healthy after its restart), refused (a hash or
    the signature), rolled_back (its health check failed), no_room (its file system has ``free``
    blocks, the update needs ``need``: nothing fetched, the old code runs). A canary that
    refuses or rolls back halts the release; no room is not the code's fault and halts nothing
    (the terminal tries again once more blocks are free)."""
    v = status_request(c, body, peer)
    if isinstance(v, Outcome):
        return v
    if not 0 < state < len(wire.OTA_STATES):
        return Outcome(400, reason="unknown release state")
    name = wire.OTA_STATES[state]
    if (state == wire.OTA_NO_ROOM) != (need is not None and free is not None):
        return Outcome(400, reason="need and free come with no_room, and only with it")
    tid = v.terminal["id"]
    with c.db.write() as tx:
        r = store.get(tx, rid)
        if r is None:
            return Outcome(404, reason="no such release")
        p = store.terminal_state(tx, rid, tid)
        store.set_terminal(tx, rid, tid, name, p["chunks"] if p else 0, c.now())
        if need is not None and free is not None:
            store.set_room(tx, rid, tid, need, free, c.now())
        canaries = _canaries(terminals.terminals(tx))
        if name in ("refused", "rolled_back") and tid in canaries and r["state"] in WAVES:
            store.set_state(tx, rid, "halted", r["state"])
        elif r["state"] == "canary":
            got = store.progress(tx, rid)
            if all(got.get(k, {}).get("state") == "installed" for k in canaries):
                store.set_state(tx, rid, "all")
    if name != "installed":
        c.alert(tid, "release_" + name, f"release {rid}")
    return Outcome(200, b"")
