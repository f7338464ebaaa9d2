# cli: `python -m tools <command>` — the technician's and enrollment desk's one command line.
# SPDX-License-Identifier: MIT
"""Commands are a table (name -> handler) and each handler is ``do_x(state, args)``, as in
mpremote's ``main.py``; ``State`` connects to the device only when a handler first needs it.
Aliases are data (``ALIASES``). Every failure prints one line ``hadir: …`` on stderr (Bahasa
Indonesia first, English in brackets) and exits non-zero.
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any, Callable, Optional

import typer

import cliframe
from tools.link import State

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="hadir: alat teknisi / technician tools (flash, provision, deploy, doctor, "
                       "pull, upload, image, enroll, sign)")  # fmt: skip
ALIASES = {"install": "provision", "update": "deploy", "health": "doctor", "logs": "pull"}
_OPTS: dict[str, Any] = {"port": None, "timeout": 5.0, "feed": 5.0, "resume": False}


# The command table: name -> (module, handler). Imported on use, so `image` never loads the
# serial stack and a command's failure to import cannot break the others.
HANDLERS = {
    "provision": ("tools.provision", "do_provision"),
    "deploy": ("tools.deploy", "do_deploy"),
    "doctor": ("tools.doctor", "do_doctor"),
    "pull": ("tools.logs", "do_pull"),
    "upload": ("tools.logs", "do_upload"),
    "image": ("tools.image", "do_image"),
    "enroll": ("tools.enroll", "do_enroll"),
    "flash": ("tools.flash", "do_flash"),
    "sign": ("tools.sign", "do_sign"),
}


def _handler(name: str) -> Callable[[State, Any], int]:
    module, attr = HANDLERS[name]
    return getattr(importlib.import_module(module), attr)


def run(name: str, port: Optional[str] = None, **kwargs: Any) -> None:
    """Run a handler under the frame every hadir CLI shares (``cliframe``: one line, exit 1;
    2 when done but something needs attention; 130 cancelled). ``port``: ``--port`` given after
    the command, which wins over one given before it."""
    if port:
        _OPTS["port"] = port
    state = State(port=_OPTS["port"], timeout=_OPTS["timeout"], feed_s=_OPTS["feed"],
                  resume=_OPTS["resume"])  # fmt: skip

    def body() -> int:
        try:
            return _handler(name)(state, SimpleNamespace(**kwargs))
        finally:
            state.close()

    code = cliframe.run(body, f"python -m tools {name}")
    if code:
        raise typer.Exit(code)


@app.callback()
def main(
    port: Optional[str] = typer.Option(None, "--port", "-p", envvar="HADIR_PORT",
                                       help="serial port of the terminal (default: first USB)"),
    timeout: float = typer.Option(5.0, help="seconds to wait for the device's REPL"),
    feed_every: float = typer.Option(5.0, help="seconds between feeds of the device watchdog",
                                     hidden=True),
    resume: bool = typer.Option(False, "--resume",
                                help="no soft reset on connecting (as `mpremote resume`)"),
) -> None:  # fmt: skip
    _OPTS["resume"] = resume
    _OPTS["port"] = port
    _OPTS["timeout"] = timeout
    _OPTS["feed"] = feed_every


DRY = typer.Option(False, "--dry-run", help="show what would happen; write nothing")
SOURCE = typer.Option(False, "--source", help="copy .py sources instead of compiled .mpy")
TREE = typer.Option(None, "--tree", help="firmware source tree (default: this checkout)")
# `--port` after the command too (`python -m tools doctor --port /dev/ttyUSB0`), as technicians
# type it; documented once with the global options.
PORT = typer.Option(None, "--port", "-p", hidden=True, help="serial port of the terminal")


def provision(
    bundle: Optional[str] = typer.Option(
        None, help="from `python -m sync terminals add --bundle`"
    ),
    rusun: Optional[str] = typer.Option(None, help="register at the collector: rusun name"),
    door: Optional[int] = typer.Option(None, help="register at the collector: door number"),
    collector: Optional[str] = typer.Option(None, envvar="HADIR_COLLECTOR", help="collector URL"),
    user: Optional[str] = typer.Option(None, envvar="HADIR_USER", help="admin user"),
    password_file: Optional[str] = typer.Option(None, envvar="HADIR_PASSWORD_FILE"),
    save_bundle: Optional[str] = typer.Option(None, help="keep the new bundle here (mode 0600)"),
    wifi_ssid: str = typer.Option("", help="Wi-Fi network of the rusun"),
    wifi_password_file: Optional[str] = typer.Option(None, help="file holding the Wi-Fi password"),
    reader: str = typer.Option("uart", help="PN532 bus: uart or i2c"),
    language: str = typer.Option("id", help="messages on the terminal: id or en"),
    force: bool = typer.Option(False, "--force", help="wipe an existing identity (pull first!)"),
    source: bool = SOURCE,
    tree: Optional[str] = TREE,
    dry_run: bool = DRY,
    port: Optional[str] = PORT,
) -> None:
    """Pasang terminal baru / provision a terminal: config, secrets, firmware, self-test."""
    run("provision", bundle=bundle, rusun=rusun, door=door, collector=collector, user=user,
        password_file=password_file, save_bundle=save_bundle,
        wifi_ssid=wifi_ssid, wifi_password_file=wifi_password_file,
        reader=reader, language=language, force=force, source=source, tree=tree,
        dry_run=dry_run, port=port)  # fmt: skip


def deploy(
    rollback: bool = typer.Option(False, "--rollback", help="swap the previous version back"),
    force: bool = typer.Option(False, "--force", help="deploy even without an identity"),
    source: bool = SOURCE,
    tree: Optional[str] = TREE,
    dry_run: bool = DRY,
    port: Optional[str] = PORT,
) -> None:
    """Perbarui firmware / update firmware files only (staged, hash-checked, rollback kept)."""
    run("deploy", rollback=rollback, force=force, source=source, tree=tree, dry_run=dry_run,
        port=port)  # fmt: skip


def doctor(
    json_out: bool = typer.Option(False, "--json", help="print the raw report"),
    port: Optional[str] = PORT,
) -> None:
    """Periksa terminal / one screen of health: reader, clock, storage, backlog, sync, faults."""
    run("doctor", json=json_out, port=port)


def pull(
    out: str = typer.Option(..., "--out", "-o", help="file to write the signed batches to"),
    dry_run: bool = DRY,
    port: Optional[str] = PORT,
) -> None:
    """Salin log lewat USB / copy the signed log to a file (no network needed)."""
    run("pull", out=out, dry_run=dry_run, port=port)


def upload(
    file: str = typer.Argument(..., help="a file written by `pull`"),
    collector: Optional[str] = typer.Option(None, help="collector URL (default: from the file)"),
    dry_run: bool = DRY,
) -> None:
    """Unggah log / send a pulled file to the collector, verified like a network batch."""
    run("upload", file=file, collector=collector, dry_run=dry_run)


def image(
    out: str = typer.Option(..., "--out", "-o", help="image file to write"),
    bundle: Optional[str] = typer.Option(None, help="include config and secrets from a bundle"),
    tree: Optional[str] = typer.Option(None, "--from", help="image this folder as it is"),
    wifi_ssid: str = typer.Option("", help="Wi-Fi network (with --bundle)"),
    blocks: int = typer.Option(0, help="vfs size in 4096-byte blocks (0: as in the table)"),
    source: bool = SOURCE,
    dry_run: bool = DRY,
) -> None:
    """Buat image littlefs / build a littlefs image of the device file system for esptool."""
    run("image", out=out, bundle=bundle, tree=tree, wifi_ssid=wifi_ssid, blocks=blocks,
        source=source, dry_run=dry_run)  # fmt: skip


def flash(
    firmware: Optional[str] = typer.Option(
        None, help="official MicroPython ESP32_GENERIC .bin (merged image for 0x1000)"
    ),
    vfs: Optional[str] = typer.Option(None, help="littlefs image from `image` for the vfs"),
    hlog: Optional[str] = typer.Option(None, help="raw log image (`image --bundle` FILE.hlog)"),
    erase_log: bool = typer.Option(False, "--erase-log", help="erase the log (pull first!)"),
    table_out: Optional[str] = typer.Option(None, help="write the partition table binary here"),
    image_out: Optional[str] = typer.Option(None, help="a flash image file instead of a chip"),
    backup: Optional[str] = typer.Option(
        None, help="folder for the old log and files when a terminal moves to the new table"
    ),
    baud: int = typer.Option(460800, help="esptool baud rate"),
    dry_run: bool = DRY,
    port: Optional[str] = PORT,
) -> None:
    """Flash MicroPython dengan tabel partisi hadir / flash MicroPython with hadir's partitions."""
    run("flash", firmware=firmware, vfs=vfs, hlog=hlog, erase_log=erase_log,
        table_out=table_out, image_out=image_out, backup=backup, baud=baud, dry_run=dry_run,
        port=port)  # fmt: skip


def enroll(
    reader_port: str = typer.Option(..., "--reader", help="serial port of the desk's PN532"),
    collector: str = typer.Option(..., envvar="HADIR_COLLECTOR", help="collector URL"),
    user: str = typer.Option(..., envvar="HADIR_USER", help="admin user at the collector"),
    password_file: str = typer.Option(..., envvar="HADIR_PASSWORD_FILE", help="admin password"),
    resident: str = typer.Option(..., help="resident id to bind the card to"),
    unit: Optional[str] = typer.Option(None, help="unit (checked against the resident's)"),
    tap_timeout: float = typer.Option(15.0, help="seconds to wait for a card"),
    replaces: Optional[int] = typer.Option(None, help="the lost card (K-number) it replaces"),
    dry_run: bool = DRY,
) -> None:
    """Daftarkan kartu / enrollment desk: tap a card and bind it to a resident and unit."""
    run("enroll", reader_port=reader_port, collector=collector, user=user,
        password_file=password_file, resident=resident, unit=unit, tap_timeout=tap_timeout,
        replaces=replaces, dry_run=dry_run)  # fmt: skip


def sign(
    out: str = typer.Option(..., "--out", "-o", help="PDF file to write (A4)"),
    office: Optional[str] = typer.Option(None, help="who residents tell: name, phone"),
    dry_run: bool = DRY,
) -> None:
    """Papan pintu / the door sign (PDF): what the terminal's lights and sounds mean."""
    run("sign", out=out, office=office, dry_run=dry_run)


COMMANDS: dict[str, Callable[..., None]] = {
    "provision": provision, "deploy": deploy, "doctor": doctor, "pull": pull, "upload": upload,
    "image": image, "enroll": enroll, "flash": flash, "sign": sign,
}  # fmt: skip
for _name, _fn in COMMANDS.items():
    app.command(_name)(_fn)
for _alias, _target in ALIASES.items():
    app.command(_alias, hidden=True)(COMMANDS[_target])
