# tools/dev/setup-system.sh on a machine of our making: programs on a PATH of stand-ins, root or
# not by a stand-in `id`, apt-get a stand-in that records what it was asked and "installs" it.
# SPDX-License-Identifier: MIT
import shutil
import subprocess
import sys

import pytest

from tests.kit.paths import ROOT

SCRIPT = ROOT / "tools" / "dev" / "setup-system.sh"
LINE = "sudo apt-get install -y --no-install-recommends"

FAKE_APT = """#!/bin/bash
echo "$@" >> "{log}"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
  case $pkg in
    chromium) printf '#!/bin/sh\\n' > "{bin}/chromium"; {chmod} +x "{bin}/chromium" ;;
    postgresql) {mkdir} -p "{pg}/15/bin"; for p in initdb pg_ctl; do
        printf '#!/bin/sh\\n' > "{pg}/15/bin/$p"; {chmod} +x "{pg}/15/bin/$p"; done ;;
    gcc-multilib) printf '#!/bin/sh\\n' > "{bin}/gcc"; {chmod} +x "{bin}/gcc" ;;
  esac
done
"""


def machine(tmp_path, uid=1000, node="v20.20.2", have=(), m32=True):
    """A PATH of stand-ins: node (printing its version), npm, make, id, apt-get, the real sed
    and, with ``m32``, a gcc that builds 32-bit programs; ``have`` adds chromium /
    chromium-browser / postgresql."""
    bin_, pg = tmp_path / "bin", tmp_path / "pg"
    bin_.mkdir(parents=True)
    pg.mkdir()

    def prog(name, body=""):
        (bin_ / name).write_text("#!/bin/sh\n" + body)
        (bin_ / name).chmod(0o755)

    prog("node", f"echo {node}\n")
    prog("npm")
    prog("make")
    prog("id", f"echo {uid}\n")
    if m32:
        prog("gcc")
    tools = {"mkdir": shutil.which("mkdir"), "chmod": shutil.which("chmod")}
    fake_apt = FAKE_APT.format(log=tmp_path / "apt.log", bin=bin_, pg=pg, **tools)
    (bin_ / "apt-get").write_text(fake_apt)
    (bin_ / "apt-get").chmod(0o755)
    (bin_ / "sed").symlink_to(shutil.which("sed"))
    for name in have:
        if name == "postgresql":
            (pg / "16" / "bin").mkdir(parents=True)
            for p in ("initdb", "pg_ctl"):
                (pg / "16" / "bin" / p).write_text("#!/bin/sh\n")
                (pg / "16" / "bin" / p).chmod(0o755)
        else:
            prog(name)
    return {"PATH": str(bin_), "PG_LIB": str(pg), "PYTHON": sys.executable}


def run(env, *args):
    return subprocess.run(["/bin/bash", str(SCRIPT), *args], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def apt_calls(tmp_path):
    log = tmp_path / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_not_root_prints_the_exact_install_line_and_stops(tmp_path):
    r = run(machine(tmp_path))
    assert r.returncode == 1
    assert f"    {LINE} chromium postgresql\n" in r.stderr
    assert apt_calls(tmp_path) == []


def test_root_installs_what_is_missing_with_apt_get(tmp_path):
    r = run(machine(tmp_path, uid=0, have=["chromium-browser"]))
    assert r.returncode == 0, r.stderr
    install = "install -y -qq --no-install-recommends"
    assert apt_calls(tmp_path) == ["update -qq", f"{install} postgresql"]
    assert "prerequisites present" in r.stdout
    r = run(machine(tmp_path / "bare", uid=0))  # nothing: both, in one apt-get call
    assert r.returncode == 0, r.stderr
    assert apt_calls(tmp_path / "bare")[1].endswith(" chromium postgresql")


def test_root_with_check_only_reports(tmp_path):
    r = run(machine(tmp_path, uid=0), "--check")
    assert r.returncode == 1 and f"{LINE} chromium postgresql" in r.stderr
    assert apt_calls(tmp_path) == []


def test_everything_present_installs_nothing(tmp_path):
    r = run(machine(tmp_path, uid=0, have=["chromium", "postgresql"]))
    assert r.returncode == 0 and apt_calls(tmp_path) == []


@pytest.mark.parametrize("uid", [0, 1000])
def test_an_old_node_is_named_and_not_installed(tmp_path, uid):
    r = run(machine(tmp_path, uid=uid, node="v18.19.0", have=["chromium", "postgresql"]))
    assert r.returncode == 1 and "Node.js 20 or newer" in r.stderr and "v18.19.0" in r.stderr
    assert apt_calls(tmp_path) == []


def test_the_browser_tests_look_for_chromium_under_the_same_names():
    from tests.kit import prereq

    for name in prereq.CHROMIUM_NAMES:
        assert f"command -v {name} " in SCRIPT.read_text()


def test_without_a_32_bit_gcc_root_installs_gcc_multilib(tmp_path):
    # MicroPython's 32-bit unix port is rebuilt for the device suite (tests/runner/unix.py).
    r = run(machine(tmp_path, uid=0, have=["chromium", "postgresql"], m32=False))
    assert r.returncode == 0, r.stderr
    assert apt_calls(tmp_path)[1].endswith(" gcc-multilib")
    r = run(machine(tmp_path / "user", have=["chromium", "postgresql"], m32=False))
    assert r.returncode == 1 and f"    {LINE} gcc-multilib\n" in r.stderr


def test_the_pooler_tests_look_for_pgbouncer_where_debian_puts_it():
    from tests.kit import pgbouncer

    assert f"[ -x {pgbouncer.BINARY} ]" in SCRIPT.read_text()
    assert "packages+=(pgbouncer)" in SCRIPT.read_text()
