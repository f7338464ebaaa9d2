# `python -m sync`: the admin's command line, end to end in a subprocess (SQLite), and its docs.
# SPDX-License-Identifier: MIT
import json
import os
import re
import subprocess
import sys

from sync import cli
from tests.kit.paths import ROOT

# The collector's commands are in collector.md, the register's and the case work's in cases.md,
# backup, restore, purge, audit and residents' rights in privacy.md.
DOC = "".join(
    (ROOT / "docs" / f"{name}.md").read_text() for name in ("collector", "cases", "privacy")
)


def _run(tmp_path, *args, input=None):
    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"))
    return subprocess.run(
        [sys.executable, "-m", "sync", *args], capture_output=True, text=True, env=env,
        cwd=ROOT, input=input, timeout=60,
    )  # fmt: skip


def test_cli_registers_imports_and_reports(tmp_path):
    bundle = tmp_path / "t1.json"
    r = _run(tmp_path, "terminals", "add", "--rusun", "Marunda", "--door", "1",
             "--bundle", str(bundle), "--collector-url", "http://127.0.0.1:8000")  # fmt: skip
    assert r.returncode == 0, r.stderr
    data = json.loads(bundle.read_text())
    assert data["terminal_id"] == 1 and data["collector_url"] == "http://127.0.0.1:8000"
    assert data["k0"] not in r.stdout + r.stderr  # the secret is only in the bundle file
    csv = tmp_path / "r.csv"
    csv.write_text("resident_id,name,unit,rusun,card_uid\nR1,Siti,MRD-A101,Marunda,04A1B2C3D4E5F6\n"
                   "R2,Budi,MRD-A102,Marunda,08AABBCC\n")  # fmt: skip
    r = _run(tmp_path, "residents", "import", str(csv))
    assert r.returncode == 2
    assert "1 new residents, 1 new cards" in r.stdout
    assert "line 3" in r.stderr and "random UID" in r.stderr
    out = tmp_path / "absent.csv"
    r = _run(tmp_path, "export", "absent", str(out), "--as-of", "2099-01-01")
    assert r.returncode == 0, r.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == (
        "subject,id,rusun,unit,resident_id,reasons,last_seen,days_absent,reason,key"
    )
    assert [line.split(",")[:6] for line in lines[1:]] == [
        ["unit", "MRD-A101", "Marunda", "MRD-A101", "R1", "not_seen"],
    ]
    assert "not seen for 14 days" in lines[1]
    r = _run(tmp_path, "report", "health")
    assert r.returncode == 0 and "Marunda" in r.stdout
    assert "Kesehatan terminal / terminal health" in r.stdout  # Indonesian first
    titles = {
        "presence": "Kehadiran harian / daily presence",
        "review": "Daftar tinjauan /",
        "other-rusun": "Kartu di rusun lain /",
        "unknown": "Kartu tak dikenal /",
    }
    for name, title in titles.items():
        r = _run(tmp_path, "report", name)
        assert r.returncode == 0, r.stderr
        assert title in r.stdout and "per tanggal / as of" in r.stdout, r.stdout


def test_cli_errors_are_one_line(tmp_path):
    r = _run(tmp_path, "terminals", "revoke", "99")
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        "hadir: terminal 99 tidak dikenal / unknown terminal 99"
    ]
    env_less = subprocess.run([sys.executable, "-m", "sync", "init"], capture_output=True,
                              text=True, cwd=ROOT, env={"PATH": os.environ["PATH"]})  # fmt: skip
    assert env_less.returncode == 1 and env_less.stderr.startswith(
        "hadir: tidak ada basis data / no database"
    )


def test_users_add_with_password_file(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text("rahasia-panjang\n")
    r = _run(tmp_path, "users", "add", "ani", "--role", "admin", "--password-file", str(pw))
    assert r.returncode == 0, r.stderr
    r = _run(tmp_path, "users", "list")
    assert "ani" in r.stdout and "admin" in r.stdout


def _commands(group, prefix=""):
    import typer.main

    click_group = typer.main.get_command(group)
    for name, command in click_group.commands.items():
        if hasattr(command, "commands"):
            for sub in command.commands:
                yield f"{prefix}{name} {sub}"
        else:
            yield f"{prefix}{name}"


def test_every_cli_command_and_setting_is_documented():
    # The top-level names come from the CLI itself, so a new command group needs no edit here.
    names = sorted({command.split()[0] for command in _commands(cli.app)}, key=len, reverse=True)
    pattern = r"`((?:" + "|".join(re.escape(n) for n in names) + r")[ a-z|\\-]*)"
    documented = set(re.findall(pattern, DOC))
    text = " ".join(documented)
    for command in _commands(cli.app):
        words = command.split()
        if len(words) == 2:
            group, sub = words
            assert re.search(rf"{group} [a-z|\\-]*\b{sub}\b", text), f"undocumented: {command}"
        else:
            assert words[0] in text, f"undocumented: {command}"
    for setting in ("HADIR_DB", "HADIR_MASTER_KEY", "--db", "--master-key-file"):
        assert setting in DOC


def test_an_https_bundle_carries_the_ca_the_terminal_pins(tmp_path):
    ca = ROOT / "tests" / "kit" / "tls" / "ca.pem"
    bundle = tmp_path / "t.json"
    add = ("terminals", "add", "--rusun", "Marunda", "--door", "1", "--bundle", str(bundle),
           "--collector-url", "https://collector.example")  # fmt: skip
    r = _run(tmp_path, *add)
    assert r.returncode == 1 and r.stderr.strip().count("\n") == 0
    assert "--ca-cert" in r.stderr and not bundle.exists()
    r = _run(tmp_path, "--ca-cert", str(ca), *add)
    assert r.returncode == 0, r.stderr
    data = json.loads(bundle.read_text())
    assert data["ca_pin"] == ca.read_text()  # what provisioning writes into config.json
    from firmware import config as fconfig

    cfg = fconfig.validate_config({"terminal_id": 1, "rusun": "Marunda", "door": 1,
                                   "wifi_ssid": "x", "collector_url": data["collector_url"],
                                   "ca_pin": data["ca_pin"]})  # fmt: skip
    assert fconfig.ca_bytes(cfg["ca_pin"]) == ca.read_bytes()
    not_pem = tmp_path / "x.pem"
    not_pem.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    r = _run(tmp_path, "--ca-cert", str(not_pem), "terminals", "list")
    assert r.returncode == 1 and r.stderr.strip().splitlines() == [
        f"hadir: --ca-cert {not_pem}: bukan satu sertifikat PEM / not one PEM certificate"
    ]
    plain = tmp_path / "p.json"
    r = _run(tmp_path, "--ca-cert", str(ca), "terminals", "add", "--rusun", "Marunda", "--door",
             "2", "--bundle", str(plain), "--collector-url", "http://10.0.0.5:8000")  # fmt: skip
    assert r.returncode == 0 and json.loads(plain.read_text())["ca_pin"] is None
