# Signed releases on the real collector (SQLite and PostgreSQL) with real terminals: the release
# key, the offer in the reply, waves with a canary per rusun, halt on a failing canary, pause.
# SPDX-License-Identifier: MIT
import asyncio
import json
import os
import stat

import pytest

from firmware import ota, uplink, wire
from firmware.httpclient import joined
from sync.service import admin, releases
from sync.service.scope import OPERATOR
from tests.kit.termkit import Rig, config

FILES = {"firmware/app.py": b"# new app\n" * 300, "lib/x.py": b"# x\n" * 50,
         "version.json": b'{"version": "abcdefabcdef"}'}  # fmt: skip
OLD = {"firmware/app.py": b"# old\n", "version.json": b'{"version": "old"}'}


class Http:
    """``hw.http`` over the app's TestClient: the terminal talks to the real routes."""

    def __init__(self, client):
        self.client = client
        self.paths = []

    async def post(self, url, body, timeout_ms):
        path = url[url.find("/v1/") :]
        self.paths.append(path)
        r = self.client.post(path, content=bytes(joined(body)),
                             headers={"content-type": "application/octet-stream"})  # fmt: skip
        return r.status_code, r.content


@pytest.fixture
def key(tmp_path_factory, collector):
    path = str(tmp_path_factory.mktemp("key") / "release.key")
    public = releases.keygen(path, lms_type=5)  # 32 signatures: quick to make
    releases.trust(collector, public.hex())
    return path


def terminal(collector, client, rusun, key):
    bundle = admin.add_terminal(collector, rusun, 1, collector_url="http://c", scope=OPERATOR)
    cfg = config(terminal_id=bundle["terminal_id"], collector_url="http://c", rusun=rusun)
    rig = Rig(cfg=cfg, http=Http(client), k0=bytes.fromhex(bundle["k0"]),
              card_key=bytes.fromhex(bundle["card_key"]))  # fmt: skip
    for path, data in OLD.items():
        os.makedirs(os.path.dirname(rig.root + "/" + path), exist_ok=True)
        with open(rig.root + "/" + path, "wb") as f:
            f.write(data)
    with open(rig.root + "/release.pub", "wb") as f:
        f.write(releases.public_key(key))
    rig.restart()
    return rig


def sync(rig):
    async def go():
        r = await rig.terminal.sync_step()
        if r == uplink.CONNECTING:
            r = await rig.terminal.sync_step()
        return r

    return asyncio.run(go())


def reboot(rig):
    ota.boot_guard(rig.root)
    rig.restart()


def states(collector, rid):
    return {row["terminal"]: row["state"] for row in releases.status(collector, rid)}


def test_the_release_key_is_a_private_file_and_signs_each_leaf_once(tmp_path):
    path = str(tmp_path / "k")
    public = releases.keygen(path, lms_type=5)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(releases.ReleaseError):
        releases.keygen(path)  # never overwritten
    unsigned, _ = wire.encode_manifest(1, "v", [("a", b"x")])
    sigs = [releases.sign(path, unsigned) for _ in range(2)]
    assert json.load(open(path))["next"] == 2 and sigs[0][:4] != sigs[1][:4]  # leaves 0, 1
    for sig in sigs:
        assert wire.manifest_ok(public, wire.Manifest(wire.sign_manifest(unsigned, sig)))


def test_waves_canary_per_rusun_first_then_everyone(collector, client, key):
    rigs = [terminal(collector, client, r, key) for r in ("Marunda", "Marunda", "Jatinegara")]
    tids = [r.cfg["terminal_id"] for r in rigs]
    rid = releases.publish(collector, FILES, key, "test")
    assert states(collector, rid) == {tids[0]: "offered", tids[1]: "waiting", tids[2]: "offered"}
    for rig in rigs:
        assert sync(rig) == uplink.OK
    assert rigs[0].terminal.ota.restart and rigs[2].terminal.ota.restart
    assert not rigs[1].terminal.ota.restart  # not a canary: no offer yet
    assert states(collector, rid)[tids[0]] == "downloading"
    for rig in (rigs[0], rigs[2]):
        reboot(rig)
        assert sync(rig) == uplink.OK  # healthy: confirmed and reported
    assert states(collector, rid)[tids[0]] == "installed"
    assert releases.list_releases(collector)[0]["state"] == "all"
    assert sync(rigs[1]) == uplink.OK and rigs[1].terminal.ota.restart  # the second wave
    reboot(rigs[1])
    sync(rigs[1])
    assert set(states(collector, rid).values()) == {"installed"}
    for rig in rigs:
        with open(rig.root + "/firmware/app.py", "rb") as f:
            assert f.read() == FILES["firmware/app.py"]


def test_a_canary_that_refuses_halts_the_release_and_resume_goes_on(collector, client, key,
                                                                    tmp_path):  # fmt: skip
    rigs = [terminal(collector, client, "Marunda", key) for _ in range(2)]
    with open(rigs[0].root + "/release.pub", "wb") as f:
        f.write(releases.keygen(str(tmp_path / "other"), lms_type=5))  # pins another key
    rigs[0].restart()
    rid = releases.publish(collector, FILES, key, "test")
    sync(rigs[0])  # refused: the signature is not the pinned key's
    sync(rigs[0])  # the refusal is reported
    assert states(collector, rid)[rigs[0].cfg["terminal_id"]] == "refused"
    assert releases.list_releases(collector)[0]["state"] == "halted"
    assert sync(rigs[1]) == uplink.OK and not rigs[1].terminal.ota.restart  # nothing offered
    assert releases.resume(collector, rid)["state"] == "canary"
    assert releases.pause(collector, rid)["state"] == "paused"
    assert releases.resume(collector, rid)["state"] == "canary"


def test_release_routes_need_a_signed_status_request(collector, client, key):
    rid = releases.publish(collector, FILES, key, "test")
    for path in (f"/v1/release/{rid}/manifest", f"/v1/release/{rid}/chunk/0",
                 f"/v1/release/{rid}/report/2"):  # fmt: skip
        r = client.post(path, content=b"x" * 80,
                        headers={"content-type": "application/octet-stream"})  # fmt: skip
        assert r.status_code == 400, path


def _login(client, name, password):
    import re

    page = client.get("/dashboard/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    form = {"csrf": csrf, "username": name, "password": password, "next": "/dashboard/"}
    assert client.post("/dashboard/login", data=form, follow_redirects=False).status_code == 303


def test_the_dashboard_shows_each_terminals_update_state_within_the_users_scope(
    collector, client, key
):
    from sync.service import accounts

    rigs = [terminal(collector, client, r, key) for r in ("Marunda", "Marunda", "Jatinegara")]
    accounts.add_user(collector, "marunda", "kata-sandi-benar", "viewer", ["Marunda"])
    rid = releases.publish(collector, FILES, key, "test")
    sync(rigs[0])
    _login(client, "marunda", "kata-sandi-benar")
    page = client.get("/dashboard/terminals").text
    table = page[page.index('id="releases"') :]
    t0, t1, t2 = (r.cfg["terminal_id"] for r in rigs)
    assert f"rilis {rid}" in page and "gelombang kenari" in page
    assert f'id="u{t0}"' in table and f'id="u{t1}"' in table
    assert f'id="u{t2}"' not in table  # another rusun: out of this user's scope
    row0 = table[table.index(f'id="u{t0}"') :]
    assert "mengunduh" in row0.split("</tr>")[0] or "terpasang" in row0.split("</tr>")[0]
    assert "menunggu gelombang" in table[table.index(f'id="u{t1}"') :].split("</tr>")[0]


def test_only_the_trusted_key_publishes_and_bundles_carry_it(collector, tmp_path):
    other = str(tmp_path / "other.key")
    public = releases.keygen(other, lms_type=5)
    with pytest.raises(releases.ReleaseError):
        releases.publish(collector, FILES, other, "test")  # nothing trusted yet
    with pytest.raises(releases.ReleaseError):
        releases.trust(collector, "00" * 56)
    releases.trust(collector, public.hex())
    bundle = admin.add_terminal(collector, "Marunda", 1, collector_url="http://c", scope=OPERATOR)
    assert bundle["release_pub"] == public.hex()  # provisioning writes it to /release.pub
    assert releases.publish(collector, FILES, other, "test") == 1


def test_a_terminal_without_room_reports_it_is_offered_the_release_still_and_installs_it_later(
    collector, client, key
):
    """The terminal weighs the update against statvfs (firmware/ota.py); the collector stores
    no_room with the blocks needed and free, shows it, halts nothing, and keeps offering."""
    from sync.service import accounts

    rig = terminal(collector, client, "Marunda", key)
    tid = rig.cfg["terminal_id"]
    rid = releases.publish(collector, FILES, key, "test")
    real = ota.room
    ota.room = lambda root: (4096, 3)  # a nearly full vfs
    try:
        assert sync(rig) == uplink.OK and not rig.terminal.ota.restart
        assert sync(rig) == uplink.OK  # the report
    finally:
        ota.room = real
    row = next(r for r in releases.status(collector, rid) if r["terminal"] == tid)
    assert row["state"] == "no_room" and row["free"] == 3 and row["need"] > 3
    assert releases.list_releases(collector)[0]["state"] == "canary"  # a canary: not halted
    accounts.add_user(collector, "marunda", "kata-sandi-benar", "viewer", ["Marunda"])
    _login(client, "marunda", "kata-sandi-benar")
    page = client.get("/dashboard/terminals").text
    row = page[page.index(f'id="u{tid}"') :].split("</tr>")[0]
    assert f"ruang tidak cukup: perlu {row_need(collector, rid, tid)} blok, kosong 3" in row
    assert sync(rig) == uplink.OK and rig.terminal.ota.restart  # more room now: installed
    assert states(collector, rid)[tid] == "downloading"


def row_need(collector, rid, tid):
    return next(r for r in releases.status(collector, rid) if r["terminal"] == tid)["need"]


def test_a_no_room_report_carries_its_blocks_and_only_it_does(collector, client, key):
    rid = releases.publish(collector, FILES, key, "test")
    rig = terminal(collector, client, "Marunda", key)
    status = bytes(joined(rig.terminal.log.status_request(rig.terminal.health24())))
    for query, code in (("/4", 400), ("/4?need=9", 400), ("/2?need=9&free=1", 400),
                        ("/4?need=-1&free=1", 422), ("/4?need=9&free=1", 200)):  # fmt: skip
        r = client.post(f"/v1/release/{rid}/report{query}", content=status,
                        headers={"content-type": "application/octet-stream"})  # fmt: skip
        assert r.status_code == code, (query, r.status_code, r.text)
