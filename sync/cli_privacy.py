# cli_privacy: `python -m sync` commands for continuity and personal data (added to sync/cli.py).
# SPDX-License-Identifier: MIT
"""backup, restore, audit list|export, retention show|set, purge, privacy report|correct|erase,
masterkey split|combine|rotate (docs/privacy.md). Whoever
runs these holds the database and the master key: they act as the operator (every rusun); every
command that opens the database writes one access-audit row naming the operating-system user
(``audit_command``)."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import sys
import time
from typing import Annotated

import typer

from sync import secretfile
from sync.cli import _table, app, fail, out, state
from sync.service import audit, custody, days, retention, rights
from sync.service import backup as backups
from sync.service.accounts import User
from sync.service.backupfile import BackupFileError
from sync.service.collector import Collector
from sync.store.copy import CopyError
from sync.vault import load_master_key


@app.command("backup")
def backup_command(
    path: Annotated[str, typer.Argument(help="the encrypted backup file to write (mode 0600)")],
) -> None:
    """Cadangan terenkripsi selagi kolektor berjalan / An encrypted, consistent copy of the
    database while the collector runs."""
    settings = state.settings()
    try:
        head = backups.make(settings.db, settings.master_key, path, int(time.time()))
    except (CopyError, BackupFileError) as exc:
        fail(str(exc))
        return
    when = dt.datetime.fromtimestamp(head["created_at"], dt.timezone.utc).isoformat()
    out.print(f"cadangan / backup {head['database']} (schema {head['schema_version']}, "
              f"{when}) -> {path}")  # fmt: skip


@app.command("restore")
def restore_command(
    path: Annotated[str, typer.Argument(help="a file written by `backup`")],
    journal: Annotated[
        str | None,
        typer.Option(help="the acknowledged-batch journal folder (HADIR_JOURNAL) to play after"),
    ] = None,
) -> None:
    """Pulihkan cadangan / Put a backup in place of the database (stop the collector first),
    then play the journal of batches acknowledged since, so terminals lose nothing."""
    settings = state.settings()
    try:
        done = backups.restore(settings.db, settings.master_key, path,
                               journal or settings.journal)  # fmt: skip
    except (CopyError, BackupFileError) as exc:
        fail(str(exc))
        return
    except OSError as exc:
        fail(f"{path}: {exc.strerror}")
        return
    when = dt.datetime.fromtimestamp(done.header["created_at"], dt.timezone.utc).isoformat()
    out.print(f"dipulihkan / restored the backup of {when}; journal: {done.replayed} batches "
              f"played, {done.records} records stored again, {done.refused} refused")  # fmt: skip
    if not (journal or settings.journal):
        out.print("tanpa jurnal / no journal: records acknowledged after the backup are not "
                  "back; see GET /api/gaps")  # fmt: skip


# --- the access audit ----------------------------------------------------------------------------

audit_app = typer.Typer(
    no_args_is_help=True, help="the access audit: who viewed, exported, changed"
)
app.add_typer(audit_app, name="audit")

OPERATOR_USER = User("cli", "admin", ())  # every rusun: may read the audit

_VIEWS = ("list", "show", "tokens", "progress", "unregistered", "precision", "format", "counter")
_EXPORTS = ("export", "backup", "pack", "report")


def operator_name() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli:unknown"


def audit_command(c: Collector, argv: list[str] | None = None) -> None:
    """One row for the command this process runs (it opened the database: it reads or changes
    data). The command's words are the action; its other arguments the detail (no secret is
    ever an argument: passwords are prompted or read from a file)."""
    args = _without_globals(list(sys.argv[1:] if argv is None else argv))
    words: list[str] = []
    rest: list[str] = []
    for a in args:
        (words if not rest and not a.startswith("-") and len(words) < 2 else rest).append(a)
    if words[:1] in (["report"], ["privacy"]) or (words and words[-1] in _VIEWS):
        kind = "view"
    else:
        kind = "change"
    if words and (words[0] in _EXPORTS or words[-1] in _EXPORTS):
        kind = "export" if words[:1] != ["report"] else "view"
    audit.record(c, audit.Who(operator_name(), "cli"), kind, "cli " + " ".join(words),
                 detail={"args": rest[:20]})  # fmt: skip


_GLOBALS = ("--db", "--master-key-file", "--ca-cert")


def _without_globals(args: list[str]) -> list[str]:
    """The command's own arguments: the global options (a database URL may hold a password)
    and their values dropped, and any URL's user information hidden."""
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in _GLOBALS:
            skip = True
        elif not a.startswith(tuple(g + "=" for g in _GLOBALS)):
            out.append(re.sub(r"://[^/@\s]*@", "://…@", a))
    return out


def _since(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        fail(f"bukan tanggal / not a date (YYYY-MM-DD): {text}")
        raise
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp())


@audit_app.command("list")
def audit_list(
    since: Annotated[str | None, typer.Option(help="from this day, YYYY-MM-DD (UTC)")] = None,
    user: Annotated[str | None, typer.Option(help="only this user")] = None,
    kind: Annotated[str | None, typer.Option(help="view, export or change")] = None,
    limit: Annotated[int, typer.Option(help="rows at most, newest first")] = 100,
) -> None:
    """Jejak akses, terbaru dahulu / The access audit, newest first."""
    rows = audit.query(state.collector(), OPERATOR_USER, _since(since), None, user, kind, limit)
    _table([_shown(r) for r in rows], "access audit")


@audit_app.command("export")
def audit_export(
    path: Annotated[str, typer.Argument(help="CSV file to write ('-' for stdout)")],
    since: Annotated[str | None, typer.Option(help="from this day, YYYY-MM-DD (UTC)")] = None,
    limit: Annotated[int, typer.Option(help="rows at most, newest first")] = 1_000_000,
) -> None:
    """Jejak akses sebagai CSV / The access audit as CSV."""
    rows = audit.query(state.collector(), OPERATOR_USER, _since(since), None, None, None, limit)
    text = audit.to_csv(rows)
    if path == "-":
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    out.print(f"access audit: {len(rows)} rows written to {path}")


def _shown(r: dict) -> dict:
    when = dt.datetime.fromtimestamp(r["at"], dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return {"at": when, **{k: r[k] for k in ("user_name", "via", "peer", "kind", "action",
                                               "target")}}  # fmt: skip


# --- retention and purge -------------------------------------------------------------------------

retention_app = typer.Typer(no_args_is_help=True, help="how long each kind of data is kept")
app.add_typer(retention_app, name="retention")


@retention_app.command("show")
def retention_show() -> None:
    """Masa simpan tiap jenis data / Each kind of data, its retention in days, what it is."""
    kept = retention.days(state.collector())
    rows = [{"kind": k, "days": kept[k], "default": kind.days, "least": kind.least,
             "what": kind.what} for k, kind in retention.KINDS.items()]  # fmt: skip
    _table(rows, "retention")


@retention_app.command("set")
def retention_set(kind: str, days: int) -> None:
    """Ubah masa simpan / Keep one kind of data this many days (no fewer than its purpose
    needs)."""
    retention.set_days(state.collector(), audit.Who(operator_name(), "cli"), kind, days)
    out.print(f"{kind}: {days} hari / days")


@app.command("purge")
def purge_command(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="count only; remove nothing")] = False,
    report: Annotated[
        str | None, typer.Option(help="also write the purge report (JSON) to this file")
    ] = None,
) -> None:
    """Musnahkan data lewat masa simpan / Remove everything past its retention (a case still
    open keeps its evidence); run it daily (cron, a systemd timer). Prints the purge report."""
    done = retention.purge(state.collector(), audit.Who(operator_name(), "cli"), dry_run)
    rows = [{"kind": k, **v} for k, v in done["kinds"].items()]
    _table(rows, "purge (dry run)" if dry_run else "purge")
    if report:
        with open(report, "w", encoding="utf-8") as f:
            json.dump(done, f, indent=1, sort_keys=True)


# --- residents' rights ---------------------------------------------------------------------------

privacy_app = typer.Typer(no_args_is_help=True, help="residents' rights: report, correct, erase")
app.add_typer(privacy_app, name="privacy")


def _officer() -> User:
    return User(operator_name(), "admin", ())


@privacy_app.command("report")
def privacy_report(
    resident_id: str,
    path: Annotated[str, typer.Argument(help="the HTML file to write (mode 0600)")],
    start: Annotated[str | None, typer.Option("--from", help="taps from this day")] = None,
    end: Annotated[str | None, typer.Option("--to", help="taps to this day (included)")] = None,
) -> None:
    """Laporan data pribadi warga / Everything hadir holds about one resident (Indonesian
    HTML)."""
    from sync.web import subject

    c = state.collector()
    t0 = days.parse_day(start) if start else 0
    t1 = days.parse_day(end) + days.DAY if end else c.now() + 1
    data = rights.subject_data(c, _officer(), resident_id, t0, t1)
    secretfile.write(path, subject.render(data, retention.days(c)))
    out.print(f"{resident_id}: {len(data['taps'])} taps, {len(data['cards'])} cards, "
              f"{len(data['cases'])} cases -> {path}")  # fmt: skip


@privacy_app.command("correct")
def privacy_correct(
    resident_id: str,
    field: Annotated[str, typer.Argument(help="name or relation")],
    value: str,
    note: Annotated[str, typer.Option(help="why (the document seen): kept in the trail")],
) -> None:
    """Perbaiki data register / Correct a resident's register data; the old and new value go
    into the register trail."""
    done = rights.correct(state.collector(), _officer(), resident_id, field, value, note)
    out.print(f"{resident_id}: {field} '{done['old']}' -> '{done['new']}'")


@privacy_app.command("erase")
def privacy_erase(
    resident_id: str,
    yes: Annotated[bool, typer.Option("--yes", help="really erase (it cannot be undone)")] = False,
) -> None:
    """Hapus data warga / Erase a resident (taps, cards, absences, marks, the register row);
    refused while the flat has an open case, whose evidence the law keeps."""
    if not yes:
        fail("tambahkan --yes untuk menghapus / add --yes to erase (cannot be undone)")
    done = rights.erase(state.collector(), _officer(), resident_id)
    out.print(f"{resident_id}: dihapus / erased {json.dumps(done['removed'])}")
    for line in done["kept"]:
        out.print(f"  disimpan / kept: {line}")


# --- master key custody --------------------------------------------------------------------------

masterkey_app = typer.Typer(
    no_args_is_help=True, help="the master key: split among officers, combine, rotate"
)
app.add_typer(masterkey_app, name="masterkey")

_SHARE_HEAD = (
    "# hadir: bagian kunci induk {i} dari {n} (perlu {k}) / master key share {i} of {n} "
    "(need {k})\n# kunci / key id {key_id}. Simpan di tempat aman, jangan disalin / keep it "
    "safe, never copy it.\n"
)


@masterkey_app.command("split")
def masterkey_split(
    folder: Annotated[str, typer.Argument(help="write share-I-of-N.txt files here (mode 0600)")],
    threshold: Annotated[int, typer.Option("-k", "--threshold", help="shares needed")] = 3,
    shares: Annotated[int, typer.Option("-n", "--shares", help="shares made")] = 5,
) -> None:
    """Bagi kunci induk / Split the master key into N shares (SLIP-39 words), any K of which
    give it back."""
    key = load_master_key(state.master_key_file)
    words = custody.split(key, threshold, shares)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for i, mnemonic in enumerate(words, 1):
        head = _SHARE_HEAD.format(i=i, n=shares, k=threshold, key_id=custody.key_id(key))
        secretfile.write(
            os.path.join(folder, f"share-{i}-of-{shares}.txt"), head + mnemonic + "\n"
        )
    out.print(f"kunci / key {custody.key_id(key)}: {shares} bagian / shares, {threshold} "
              f"needed -> {folder}")  # fmt: skip


@masterkey_app.command("combine")
def masterkey_combine(
    share_files: Annotated[list[str], typer.Argument(help="K share files (or more)")],
    out_file: Annotated[str, typer.Option("--out", help="write the master key here (0600)")],
) -> None:
    """Satukan kunci induk / Put the master key together from K shares."""
    mnemonics = []
    for path in share_files:
        try:
            with open(path, encoding="utf-8") as f:
                lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
        except OSError as exc:
            fail(f"{path}: {exc.strerror}")
            return
        mnemonics += lines[:1]
    key = custody.combine(mnemonics)
    secretfile.write(out_file, key.hex() + "\n")
    out.print(f"kunci / key {custody.key_id(key)} -> {out_file}")


@masterkey_app.command("rotate")
def masterkey_rotate(
    new_key_file: Annotated[str, typer.Option(help="write the new master key here (0600)")],
) -> None:
    """Ganti kunci induk / A new master key; every secret re-encrypted under it (stop the
    collector first). Then: split the new key, take a new backup, retire the old shares."""
    c = state.collector()
    new = custody.new_key()
    secretfile.write(new_key_file, new.hex() + "\n")  # before anything is sealed under it
    counts = custody.rotate(c, new)
    out.print(f"kunci baru / new key {custody.key_id(new)} -> {new_key_file}: "
              f"{json.dumps(counts)}")  # fmt: skip
