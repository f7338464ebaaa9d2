# The technician tools' device-side snippets (tools/device/) under real MicroPython: the journaled
# swap, hashes, base64 writes. On CPython they run in the device double (tests/tools/technician).
# SPDX-License-Identifier: MIT
# device test: runs on MicroPython too (tests/runner/mpy.mjs)
# device heap: 128k: the technician snippets, firmware config and TLS
import hashlib
import os

from tests.kit.mpytest import IS_MICROPYTHON, skip

OLD = {"zz_boot.py": b"old boot", "zz_lib/a.py": b"old a", "zz_lib/gone.py": b"old"}
NEW = {"zz_boot.py": b"new boot", "zz_lib/a.py": b"new a", "zz_lib/b.py": b"new b"}


def _lay(files, under=""):
    from tools.device import fsops

    fsops.makedirs([under + "/" + p.rsplit("/", 1)[0] for p in files if "/" in p] or ["/zz_tmp"])
    for rel, data in files.items():
        with open(under + "/" + rel, "wb") as f:
            f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _clean():
    from tools.device import fsops

    for name in ("/zz_boot.py", "/zz_lib", "/zz_stage", "/zz_prev", "/zz_tmp", "/.swap"):
        fsops.rmtree(name)


def test_swap_hashes_and_resume_on_micropython():
    if not IS_MICROPYTHON:
        skip("CPython has no os.ilistdir: the device double runs these on CPython")
    from tools.device import fsops

    _clean()
    _lay(OLD)
    _lay(NEW, "/zz_stage")
    got = fsops.hashes("/zz_stage", ["zz_boot.py", "zz_lib"])
    assert got["/zz_lib/b.py"] == "".join("%02x" % b for b in hashlib.sha256(b"new b").digest())
    assert sorted(got) == ["/zz_boot.py", "/zz_lib/a.py", "/zz_lib/b.py"]
    names = sorted(NEW)
    fsops.swap("/zz_stage", "/zz_prev", names, ["zz_lib/gone.py"])
    for rel, data in NEW.items():
        assert _read("/" + rel) == data
    for rel, data in OLD.items():
        assert _read("/zz_prev/" + rel) == data
    assert sorted(os.listdir("/zz_lib")) == ["a.py", "b.py"]
    assert fsops.resume() is None  # nothing pending any more
    kept, added = fsops.kept("/zz_prev")
    assert sorted(kept) == sorted(OLD) and added == ["zz_lib/b.py"]
    _clean()


def test_put_writes_base64_chunks_on_micropython():
    if not IS_MICROPYTHON:
        skip("the device double runs this on CPython")
    import binascii

    from tools.device import put

    data = bytes(range(256)) * 7
    put.begin("/zz_tmp_put.bin")
    for i in range(0, len(data), 300):
        put.chunk(binascii.b2a_base64(data[i : i + 300]))
    put.end()
    assert _read("/zz_tmp_put.bin") == data
    os.remove("/zz_tmp_put.bin")


def _config(**changes):
    """/config.json as provisioning writes it, with ``changes`` (not validated: the point)."""
    import json

    from tests.kit.termkit import config

    with open("/config.json", "w") as f:
        json.dump(dict(config(), **changes), f)


def test_the_self_test_judges_config_and_pinned_ca_as_the_terminal_will():
    if not IS_MICROPYTHON:
        skip("writes /config.json: the device double runs selftest on CPython")
    from tests.kit import tlskit
    from tools.device import selftest

    try:
        # An https collector whose bundle carried no CA: the terminal would refuse its config
        # at boot and sit in safe mode; the self-test must not pass it.
        _config(collector_url="https://collector.example", ca_pin=None)
        f = selftest.files()
        assert not f["ok"] and not f["config_valid"]
        assert any(m.startswith("config.json: ca_pin:") for m in f["missing"]), f
        _config(collector_url="https://collector.example", ca_pin=tlskit.text("ca.pem"))
        f = selftest.files()
        assert f["config_valid"] and not any(m.startswith("config.json") for m in f["missing"])
        if tlskit.has_tls():  # the CA is loaded as the TLS client loads it
            bad = tlskit.text("ca.pem").replace("M", "A", 5)
            _config(collector_url="https://collector.example", ca_pin=bad)
            f = selftest.files()
            assert any("ca_pin" in m for m in f["missing"]), f
    finally:
        os.remove("/config.json")
