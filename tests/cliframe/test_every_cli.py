# Every hadir command line, run as a user would, with bad input: one line, no traceback, exit 1.
# SPDX-License-Identifier: MIT
"""Table-driven: each row is a program (``python -m sync``, ``python -m tools``, the simulators'
programs), a bad command line and the documented exit code (docs/tools.md and
docs/collector.md, "Exit codes"; ``cliframe``). Each runs in a subprocess, exactly as typed at a
shell; stderr must be one line starting ``hadir:``, and nothing may print a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import cliframe
from tests.kit.paths import ROOT
from tests.kit.technician import Device, write_bundle

# {tmp}: this module's folder; {port}: the device double (a blank ESP32 on a pty);
# {bundle}: a valid provisioning bundle; {file}: a regular file (as a path's parent: not a dir).
CASES = [
    # --- python -m sync --------------------------------------------------------------------------
    ("sync", "nope", "invalid command line"),
    ("sync", "report nope", "No such command 'nope'"),
    ("sync", "report review --days abc", "'--days'"),  # wrong type
    ("sync", "report presence --start 2026-13-01", "not a date"),
    ("sync", "terminals revoke abc", "invalid command line"),
    ("sync", "terminals revoke 99", "unknown terminal 99"),
    ("sync", "terminals config 1 debounce=5", "not JSON"),
    ("sync", "terminals add --rusun R --door 1", "Missing option '--bundle'"),
    ("sync", "residents import {tmp}/missing.csv", "cannot read"),
    ("sync", "users add x --password-file {tmp}/missing", "cannot read"),
    ("sync", "export presence {tmp}/missing/x.csv", "no such file or directory"),
    ("sync", "export presence {file}/x.csv", "not a directory"),
    ("sync", "--master-key-file {tmp}/missing init", "cannot read master key file"),
    ("sync", "serve --tls-cert {tmp}/missing --tls-key {tmp}/missing", "no such file"),
    ("sync", "--ca-cert {file} terminals list", "not one PEM certificate"),
    # --- python -m tools -------------------------------------------------------------------------
    ("tools", "nope", "No such command 'nope'"),
    ("tools", "doctor --port /dev/null", "not a serial port"),  # not "device busy"
    ("tools", "--port /dev/null doctor", "not a serial port"),
    ("tools", "doctor --port {tmp}/ttyUSB9", "no device found"),
    ("tools", "doctor --nope", "No such option: --nope"),
    ("tools", "pull", "Missing option '--out'"),
    ("tools", "provision --port {port} --bundle {bundle} --reader spi", "reader: harus uart"),
    ("tools", "provision --port {port} --bundle {bundle} --language fr", "language: harus id"),
    ("tools", "provision --port {port} --bundle {tmp}/nope.json", "invalid provisioning bundle"),
    ("tools", "provision --port {port}", "a bundle or a registration is needed"),
    ("tools", "deploy --port {port}", "terminal not provisioned"),
    ("tools", "upload {tmp}/missing.hadir", "invalid log file"),
    ("tools", "image --out {tmp}/missing/x", "no such file or directory"),
    ("tools", "image --from {tmp}/missing --out {tmp}/img", "no such folder"),
    ("tools", "image --out {tmp}/img2 --blocks abc", "'--blocks'"),
    ("tools", "sign --out {tmp}/missing/sign.pdf", "no such file or directory"),
    ("tools", "sign --out {file}/sign.pdf", "not a directory"),
    ("tools", "flash --port /dev/null --firmware {tmp}/missing.bin", "missing.bin"),
    ("tools", "enroll --reader /dev/null --collector http://127.0.0.1:9 --user u "
              "--password-file {tmp}/missing --resident R1", "no such file or directory"),
    # --- the simulators' programs ----------------------------------------------------------------
    ("tools.sim.fleet", "nope", "invalid choice: 'nope'"),
    ("tools.sim.fleet", "run --days abc", "invalid int value: 'abc'"),
    ("tools.sim.fleet", "demo --keep {file}/x", "not a directory"),
    ("tools.sim.device", "", "required: --root"),
    ("tools.sim.device", "--root {tmp}/d --version a.b", "invalid version"),
    ("tools.sim.pn532", "--pty --card zz:01", "invalid scenario"),
    ("tools.sim.city", "nope", "invalid choice: 'nope'"),
    ("tools.sim.city", "steady --url http://127.0.0.1:9 --fleet {tmp}/missing.json",
     "no such file or directory"),
    ("tools.sim.pn532", "--pty --scenario {tmp}/missing.json", "no such file or directory"),
]  # fmt: skip


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("every_cli")
    (tmp / "file").write_text("not a folder, not a certificate\n")
    dev = Device(tmp, cards=["classic1k:04A1B2C3"])
    port = dev.plug()
    fmt = {"tmp": str(tmp), "port": port, "file": str(tmp / "file"),
           "bundle": str(write_bundle(tmp / "bundle.json"))}  # fmt: skip
    yield tmp, fmt, dev
    dev.unplug()


def run(program: str, argv: list[str], tmp) -> subprocess.CompletedProcess:
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp / "h.db"),
               COLUMNS="200")  # fmt: skip
    env.pop("HADIR_PORT", None)
    env.pop("HADIR_DEBUG", None)
    return subprocess.run([sys.executable, "-m", program, *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.mark.parametrize(("program", "args", "says"), CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_a_bad_command_line_is_one_line_and_exit_1(place, program, args, says):
    tmp, fmt, dev = place
    before = dev.files()
    r = run(program, [a.format(**fmt) for a in args.split()], tmp)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hadir: "), r.stderr
    assert says in lines[0], lines[0]
    assert r.returncode == cliframe.FAILED, (r.returncode, lines[0])
    assert dev.files() == before  # refused before the device was touched


def test_the_image_from_a_missing_folder_writes_no_file(place):
    tmp, fmt, _ = place
    r = run("tools", ["image", "--from", f"{tmp}/missing", "--out", f"{tmp}/img3"], tmp)
    assert r.returncode == cliframe.FAILED and not (tmp / "img3").exists()


def test_doctor_on_a_blank_device_needs_attention_and_fails_nothing(place):
    tmp, fmt, _ = place
    r = run("tools", ["doctor", "--port", fmt["port"]], tmp)
    assert (r.returncode, r.stderr) == (cliframe.ATTENTION, "")
    assert "PERIKSA / CHECK" in r.stdout and "None" not in r.stdout
    assert "Traceback" not in r.stdout


@pytest.mark.parametrize("program", ["sync", "tools"])
def test_help_is_not_a_failure(place, program):
    tmp, _, _ = place
    for argv in ([], ["--help"]):
        r = run(program, argv, tmp)
        assert r.returncode == cliframe.OK and r.stderr == "" and "Usage" in r.stdout


def _commands(group, path):
    yield path, group
    for name, cmd in getattr(group, "commands", {}).items():
        yield from _commands(cmd, f"{path} {name}")


def test_every_command_says_what_it_does_in_both_languages():
    """Each command and group's help starts "<Bahasa Indonesia> / <English>" (no bare
    "Report: presence.")."""
    import typer.main

    from sync.cli import app as sync_app
    from tools.cli import app as tools_app

    for root, app in (("python -m sync", sync_app), ("python -m tools", tools_app)):
        for path, cmd in _commands(typer.main.get_command(app), root):
            first = (cmd.help or "").strip().splitlines()[0] if cmd.help else ""
            assert " / " in first and not first.startswith("Report:"), (path, first)
