# cli: `python -m sync <command>`, the admin's command line for the collector (typer + rich).
# SPDX-License-Identifier: MIT
"""Commands (docs/collector.md, "Command line"): init, serve, terminals add|list|revoke|rotate|
config|set|command|commands, alerts add|list|remove|run, rusun rotate-card-key|sweep-cards,
residents import, users add|list|token|tokens|revoke-token|remove, report presence|review
(alias absent)|other-rusun|unknown|health, export <report> FILE. Errors print one line
``hadir: …`` on stderr and exit non-zero; the register and the case work are in
``sync.cli_cases`` (docs/cases.md). Whoever runs these holds the database and the master key:
every command acts with the operator's scope (every rusun, ``scope.OPERATOR``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

import cliframe
from sync import secretfile
from sync.secretfile import SecretFileError
from sync.server import ServerError
from sync.service import accounts, admin, asof, reports
from sync.service.collector import Collector
from sync.service.scope import OPERATOR
from sync.settings import Settings, SettingsError
from sync.store.db import DatabaseError
from sync.vault import VaultError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="hadir: collector (server, laporan, register) / the collector: server, reports, register",
)
terminals_app = typer.Typer(
    no_args_is_help=True, help="terminal: daftar dan kunci / terminal registry and keys"
)
residents_app = typer.Typer(
    no_args_is_help=True, help="penghuni, unit dan kartu / residents, units and cards"
)
rusun_app = typer.Typer(
    no_args_is_help=True, help="rusun dan kunci kartunya / rusun and their card keys"
)
users_app = typer.Typer(
    no_args_is_help=True, help="pengguna API dan dasbor / admin users of the API and dashboard"
)
report_app = typer.Typer(
    no_args_is_help=True, help="laporan (tabel di layar) / reports (a table on the screen)"
)
app.add_typer(terminals_app, name="terminals")
app.add_typer(residents_app, name="residents")
app.add_typer(rusun_app, name="rusun")
app.add_typer(users_app, name="users")
app.add_typer(report_app, name="report")
alerts_app = typer.Typer(
    no_args_is_help=True,
    help="peringatan: siapa diberi tahu / who is told of terminal trouble, and how",
)
app.add_typer(alerts_app, name="alerts")

out = Console()
if not out.is_terminal:  # piped or captured: do not squeeze wide reports into 80 columns
    out = Console(width=240)
err = Console(stderr=True, soft_wrap=True)


class _State:
    """Lazy: opens the database only when a command needs it."""

    db: str | None = None
    master_key_file: str | None = None
    ca_cert: str | None = None
    _collector: Collector | None = None

    def settings(self) -> Settings:
        return Settings.from_env(self.db, self.master_key_file, self.ca_cert)

    def collector(self) -> Collector:
        if self._collector is None:
            from sync.app import open_collector

            self._collector = open_collector(self.settings())
            from sync.cli_privacy import audit_command

            audit_command(self._collector)  # who ran what: one access-audit row
        return self._collector


state = _State()


def fail(message: str) -> None:
    err.print(f"hadir: {message}", markup=False, highlight=False)
    raise typer.Exit(1)


@app.callback()
def main(
    db: Annotated[
        str | None, typer.Option("--db", help="SQLite file or postgresql:// URL (env HADIR_DB)")
    ] = None,
    master_key_file: Annotated[
        str | None,
        typer.Option("--master-key-file", help="file with 64 hex chars (env HADIR_MASTER_KEY)"),
    ] = None,
    ca_cert: Annotated[
        str | None,
        typer.Option("--ca-cert", help="CA certificate (PEM) https terminals pin (HADIR_CA_CERT)"),
    ] = None,
) -> None:
    state.db = db
    state.master_key_file = master_key_file
    state.ca_cert = ca_cert


def _table(rows: list[dict[str, Any]], title: str, compact: bool = False) -> None:
    if not rows:
        out.print(f"{title}: tidak ada / none")
        return
    # compact: lines under the header only, so a wide report (health) fits a laptop's terminal
    table = (
        Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False) if compact else Table(title=title)
    )
    for key in rows[0]:
        table.add_column(key)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    out.print(table)


# --- init, serve ---------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Buat skema basis data / create the database schema (idempotent)."""
    c = state.collector()
    out.print(f"database ready ({c.db.kind})")


@app.command("migrate-to-postgres")
def migrate_to_postgres(
    target: Annotated[str, typer.Argument(help="postgresql:// URL of an empty database")],
) -> None:
    """Salin basis data SQLite ini ke PostgreSQL kosong / Copy this SQLite database (--db) into
    an empty PostgreSQL database (docs/scaling.md)."""
    from sync.service import move

    source = state.db or os.environ.get("HADIR_DB")
    if not source:
        fail("tidak ada basis data: --db BERKAS / no database: pass --db FILE or set HADIR_DB")
        return
    try:
        counts = move.to_postgres(source, target)
    except (move.MoveError, DatabaseError) as exc:
        fail(str(exc))
        return
    out.print(f"disalin / copied: {sum(counts.values())} rows, {counts.get('records', 0)} records")


@app.command("partitions")
def partitions_command(
    convert: Annotated[
        bool, typer.Option("--convert", help="partition records, health, blocks (PostgreSQL)")
    ] = False,
) -> None:
    """Partisi bulanan / Monthly partitions of records, health, blocks (PostgreSQL): convert once,
    then keep this month's and the next ones (docs/scaling.md)."""
    from sync.service import move

    try:
        months = move.partitions(state.collector(), convert)
    except ValueError as exc:
        fail(str(exc))
        return
    out.print("bulan / months: " + (", ".join(months) or "-"))


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    tls_cert: Annotated[
        str | None, typer.Option(help="PEM certificate (chain): serve HTTPS")
    ] = None,
    tls_key: Annotated[str | None, typer.Option(help="PEM private key of --tls-cert")] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(help="a reverse proxy whose X-Forwarded-For/-Proto to believe (repeat)"),
    ] = None,
    api_docs: Annotated[
        bool, typer.Option(help="serve /docs and /openapi.json (HADIR_API_DOCS=off: no)")
    ] = True,
) -> None:
    """Jalankan server HTTP(S) collector / run the collector's HTTP(S) server (uvicorn with the
    limits of sync/server.py)."""
    from sync import server
    from sync.app import create_app

    if bool(tls_cert) != bool(tls_key):
        fail("--tls-cert dan --tls-key harus bersama / give --tls-cert and --tls-key together")
    for path in (tls_cert, tls_key):
        if path and not os.path.isfile(path):
            fail(f"berkas tidak ada / no such file: {path}")
    listen = server.Listen(
        host=host,
        port=port,
        tls_cert=tls_cert,
        tls_key=tls_key,
        trusted_proxies=tuple(trusted_proxy or ()),
    )
    settings = state.settings()
    settings.api_docs = settings.api_docs and api_docs
    server.run(create_app(settings), listen)


# --- terminals -----------------------------------------------------------------------------------


@terminals_app.command("add")
def terminals_add(
    rusun: Annotated[str, typer.Option(help="rusun name, e.g. Marunda")],
    door: Annotated[int, typer.Option(help="door number at that rusun")],
    bundle: Annotated[str, typer.Option(help="write the provisioning bundle here (mode 0600)")],
    id: Annotated[int | None, typer.Option("--id", help="terminal id (default: next)")] = None,
    collector_url: Annotated[str, typer.Option(help="URL the terminal uploads to")] = "",
) -> None:
    """Daftarkan terminal, tulis bundle provisinya / register a terminal and write its provisioning
    bundle (it holds the terminal's secret: keep it safe)."""
    c = state.collector()
    result = _with_bundle_file(
        bundle,
        lambda deliver: admin.add_terminal(
            c, rusun, door, id, collector_url, scope=OPERATOR, deliver=deliver
        ),
    )
    out.print(
        f"terminal {result['terminal_id']} ({rusun}, door {door}): bundle written to {bundle}"
    )


def _with_bundle_file(path: str, register: Callable[[admin.Deliver], dict[str, Any]]) -> dict:
    """Run ``register`` with the bundle written to ``path`` inside its transaction: a failed
    write registers nothing; a registration that fails after the write removes the file."""
    written = []

    def deliver(bundle: dict[str, Any]) -> None:
        admin.write_bundle(bundle, path)
        written.append(path)

    try:
        return register(deliver)
    except BaseException:
        if written:
            secretfile.remove(path)
        raise


@terminals_app.command("list")
def terminals_list() -> None:
    """Daftar terminal / the registered terminals (no key material)."""
    _table(admin.list_terminals(state.collector(), scope=OPERATOR), "terminals")


@terminals_app.command("revoke")
def terminals_revoke(terminal_id: int) -> None:
    """Cabut terminal / refuse every further upload from this terminal (403)."""
    admin.revoke_terminal(state.collector(), terminal_id, scope=OPERATOR)
    out.print(f"terminal {terminal_id} revoked")


@terminals_app.command("rotate")
def terminals_rotate(
    terminal_id: int,
    bundle: Annotated[str, typer.Option(help="write the new provisioning bundle here")],
    collector_url: Annotated[str, typer.Option(help="URL the terminal uploads to")] = "",
) -> None:
    """Kunci baru untuk terminal / new secret and card key for a terminal (re-provision it with the
    new bundle; its log starts again)."""
    c = state.collector()
    _with_bundle_file(
        bundle,
        lambda deliver: admin.rotate_terminal(
            c, terminal_id, collector_url, scope=OPERATOR, deliver=deliver
        ),
    )
    out.print(f"terminal {terminal_id}: new key, bundle written to {bundle}")


@terminals_app.command("config")
def terminals_config(terminal_id: int, settings_json: str) -> None:
    """Ubah pengaturan terminal / change the settings a terminal fetches, e.g. '{"debounce_s":
    20}'."""
    try:
        settings = json.loads(settings_json)
    except json.JSONDecodeError as exc:
        fail(f"bukan JSON / not JSON: {exc.msg}")
        return
    if not isinstance(settings, dict):
        fail("pengaturan harus objek JSON / settings must be a JSON object")
    version = admin.set_config(state.collector(), terminal_id, settings, scope=OPERATOR)
    out.print(f"terminal {terminal_id}: config version {version}")


def _setting(item: str) -> tuple[str, Any]:
    """``name=value``: value as JSON when it parses (numbers, null), else text; ``@FILE`` reads
    the text of a file (a CA certificate)."""
    name, sep, raw = item.partition("=")
    if not sep or not name:
        fail(f"pengaturan harus nama=nilai / a setting is name=value: {item[:40]!r}")
    if raw.startswith("@"):
        try:
            with open(raw[1:], encoding="utf-8") as f:
                return name, f.read()
        except OSError as exc:
            fail(f"cannot read {raw[1:]}: {exc.strerror}")
    try:
        return name, json.loads(raw)
    except json.JSONDecodeError:
        return name, raw


@terminals_app.command("set")
def terminals_set(
    settings: Annotated[list[str], typer.Argument(help="name=value ... (@FILE: a file's text)")],
    terminal: Annotated[int | None, typer.Option(help="one terminal")] = None,
    rusun: Annotated[str | None, typer.Option(help="every active terminal of this rusun")] = None,
    wifi_password: Annotated[
        bool, typer.Option("--wifi-password", help="ask for a new Wi-Fi password (hidden)")
    ] = False,
) -> None:
    """Kirim pengaturan / send settings to a terminal or a rusun, signed; network settings
    (wifi_ssid, the Wi-Fi password, collector_url, ca_pin) are tried by the terminal, which goes
    back to its old ones when it cannot sync within trial_s."""
    from sync.service import remote

    values = dict(_setting(item) for item in settings if item)
    password = None
    if wifi_password:
        if sys.stdin.isatty():
            password = typer.prompt("Wi-Fi password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
    done = remote.set_settings(state.collector(), values, terminal=terminal, rusun=rusun,
                               password=password, scope=OPERATOR)  # fmt: skip
    for tid, version in done:
        out.print(f"terminal {tid}: config version {version}")


@terminals_app.command("command")
def terminals_command(
    command: Annotated[str, typer.Argument(help="reboot, selftest, status, clear_fault, wear")],
    terminal: Annotated[int | None, typer.Option(help="one terminal")] = None,
    rusun: Annotated[str | None, typer.Option(help="every active terminal of this rusun")] = None,
) -> None:
    """Perintah jarak jauh / queue a remote command; the terminal runs it once at its next
    sync and reports back."""
    from sync.service import remote

    ids = remote.queue_command(state.collector(), command, terminal=terminal, rusun=rusun,
                               scope=OPERATOR)  # fmt: skip
    out.print(f"{len(ids)} command(s) queued: {', '.join(map(str, ids))}")


@terminals_app.command("commands")
def terminals_commands(
    terminal: Annotated[int | None, typer.Option(help="one terminal")] = None,
) -> None:
    """Daftar perintah jarak jauh / remote commands: who queued them, when, and each result."""
    from sync.service import remote

    _table(remote.list_commands(state.collector(), terminal, scope=OPERATOR), "commands")


# --- alerts to people ----------------------------------------------------------------------------


@alerts_app.command("add")
def alerts_add(
    channel: Annotated[str, typer.Argument(help="email or webhook")],
    address: Annotated[str, typer.Argument(help="an e-mail address or an https:// URL")],
    rusun: Annotated[
        str | None, typer.Option(help="only this rusun (default: every rusun)")
    ] = None,
    quiet: Annotated[str | None, typer.Option(help="quiet hours, WIB: 22:00-06:00")] = None,
    digest: Annotated[bool, typer.Option(help="a daily digest at 07:00 WIB")] = True,
    secret_file: Annotated[
        str | None, typer.Option(help="webhook: file holding the shared HMAC secret")
    ] = None,
) -> None:
    """Tambah penerima peringatan / tell someone of terminal trouble: by e-mail or by a signed
    JSON webhook."""
    from sync.service import alerts

    secret = None
    if secret_file is not None:
        try:
            with open(secret_file, "rb") as f:
                secret = f.read().strip()
        except OSError as exc:
            fail(f"cannot read {secret_file}: {exc.strerror}")
    rid = alerts.add_recipient(state.collector(), channel, address, rusun=rusun, secret=secret,
                               quiet_hours=quiet, digest=digest, scope=OPERATOR)  # fmt: skip
    out.print(f"recipient {rid} added")


@alerts_app.command("remove")
def alerts_remove(
    recipient: Annotated[int, typer.Argument(help="its id (alerts list)", min=1, max=2**62)],
) -> None:
    """Hapus penerima peringatan / tell this recipient nothing more."""
    from sync.service import alerts

    alerts.remove_recipient(state.collector(), recipient, scope=OPERATOR)
    out.print(f"recipient {recipient} removed")


@alerts_app.command("list")
def alerts_list() -> None:
    """Daftar penerima peringatan / who is told, how, for which rusun, quiet hours (local
    minutes) and digest."""
    from sync.service import alerts

    _table(alerts.list_recipients(state.collector(), scope=OPERATOR), "recipients")


@alerts_app.command("run")
def alerts_run() -> None:
    """Kirim peringatan sekali / one delivery pass now (``serve`` runs one every
    HADIR_ALERTS_EVERY seconds by itself): gather troubles, send what is due by e-mail
    (HADIR_SMTP_HOST ...) and webhook."""
    from sync.notify import Smtp, Webhook
    from sync.service import alerts

    senders: list[Any] = [Webhook()]
    smtp = Smtp.from_env()
    if smtp is not None:
        senders.append(smtp)
    counts = alerts.run(state.collector(), senders)
    if counts["busy"]:
        out.print("pass lain sedang berjalan / another pass is running (nothing done)")
        return
    out.print(", ".join(f"{k} {v}" for k, v in counts.items() if k != "busy"))


# --- residents -----------------------------------------------------------------------------------


@residents_app.command("import")
def residents_import(path: str) -> None:
    """Impor penghuni dan kartu dari CSV / import residents and cards from CSV:
    resident_id,name,unit,rusun,card_uid (exit 2 when rows were refused)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            report = admin.import_residents(state.collector(), f, scope=OPERATOR)
    except OSError as exc:
        fail(f"tidak terbaca / cannot read {path}: {exc.strerror}")
        return
    for line in report.refused:
        err.print(f"hadir: ditolak / refused: {line}", markup=False, highlight=False)
    out.print(
        f"{report.residents} new residents, {report.cards} new cards, "
        f"{report.unchanged} unchanged, {len(report.refused)} refused"
    )
    if report.refused:
        raise typer.Exit(2)


# --- rusun ---------------------------------------------------------------------------------------


@rusun_app.command("rotate-card-key")
def rusun_rotate_card_key(name: str) -> None:
    """Kunci kartu baru untuk rusun / new card key for a rusun: its cards are re-tokenised and its
    allow-lists renewed; each terminal takes it when re-provisioned (terminals rotate)."""
    result = admin.rotate_card_key(state.collector(), name, scope=OPERATOR)
    out.print(f"rusun {name}: card key generation {result['card_key_generation']}")
    if result["terminals_on_older_keys"]:
        ids = ", ".join(str(t) for t in result["terminals_on_older_keys"])
        out.print(f"terminals still on an older key (re-provision with terminals rotate): {ids}")


@rusun_app.command("sweep-cards")
def rusun_sweep_cards(
    cards: Annotated[
        int | None, typer.Option(min=1, help="kartu paling banyak / at most this many cards")
    ] = None,
    seconds: Annotated[
        float | None, typer.Option(min=1, help="detik paling lama / at most this many seconds")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the counts as JSON")] = False,
) -> None:
    """Kenali kartu dari wilayah lain / recognise cards tapped outside their district: compare
    the tokens still unknown at each rusun with every card (serve does it every
    HADIR_CARD_SWEEP_EVERY seconds); a pass cut short by --cards/--seconds resumes next time."""
    from sync.service import cardsweep

    counts = cardsweep.run(state.collector(), cards=cards, seconds=seconds)
    if as_json:
        out.print_json(json.dumps(counts))
    elif counts["busy"]:
        out.print("sapuan lain sedang berjalan / another sweep is running (nothing done)")
    else:
        out.print(", ".join(f"{k} {v}" for k, v in counts.items() if k != "busy"))


# --- users ---------------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    name: str,
    role: Annotated[str, typer.Option(help="admin, viewer or supervisor")] = "viewer",
    rusun: Annotated[list[str] | None, typer.Option(help="limit to this rusun (repeat)")] = None,
    password_file: Annotated[
        str | None, typer.Option(help="read the password from a file")
    ] = None,
) -> None:
    """Tambah atau ubah pengguna / add (or update) a user of the admin API and the dashboard."""
    if password_file:
        try:
            with open(password_file, encoding="utf-8") as f:
                password = f.readline().rstrip("\n")
        except OSError as exc:
            fail(f"tidak terbaca / cannot read {password_file}: {exc.strerror}")
            return
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    accounts.add_user(state.collector(), name, password, role, list(rusun or []))
    out.print(f"user {name} ({role}) saved")


@users_app.command("list")
def users_list() -> None:
    """Daftar pengguna / the users and their roles."""
    _table(accounts.list_users(state.collector()), "users")


@users_app.command("token")
def users_token(name: str) -> None:
    """Buat token API / issue an API bearer token for a user (printed once; its id on stderr)."""
    token = accounts.issue_token(state.collector(), name)
    print(token)
    err.print(f"token id {accounts.token_id(hashlib.sha256(token.encode()).digest())}")


@users_app.command("tokens")
def users_tokens(
    name: Annotated[str | None, typer.Argument(help="only this user")] = None,
) -> None:
    """Daftar token API / API tokens by id (never the token itself)."""
    _table(accounts.list_tokens(state.collector(), name), "tokens")


@users_app.command("revoke-token")
def users_revoke_token(
    name: str,
    token_id: Annotated[str | None, typer.Argument(help="the id of `users tokens`")] = None,
    all_tokens: Annotated[bool, typer.Option("--all", help="every token of this user")] = False,
) -> None:
    """Cabut token API / revoke one API token of a user (by id), or --all of them."""
    if (token_id is None) == (not all_tokens):
        fail("beri ID token atau --all / give a token id or --all")
    n = accounts.revoke_tokens(state.collector(), name, token_id)
    out.print(f"{n} token(s) of {name} revoked")


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Hapus pengguna / remove a user: its API tokens and dashboard sessions end at once."""
    accounts.remove_user(state.collector(), name)
    out.print(f"user {name} removed")


# --- reports and export --------------------------------------------------------------------------


def _days(a: dict[str, Any], default: int) -> int:
    """--days, or the report's default when not given (0 is refused by the report, not
    silently taken for the default)."""
    return default if a["days"] is None else a["days"]


_REPORTS = {
    "presence": lambda c, a: reports.presence(
        c, a["start"], _days(a, 7), a["rusun"], as_of=a["as_of"]
    ),
    "review": lambda c, a: reports.review_report(
        c, _days(a, reports.REVIEW_DAYS), a["as_of"], a["rusun"]
    ),
    "other-rusun": lambda c, a: reports.other_rusun(c, a["start"], _days(a, 30), as_of=a["as_of"]),
    "unknown": lambda c, a: reports.unknown_cards(c, a["start"], _days(a, 30), as_of=a["as_of"]),
    "health": lambda c, a: reports.health(c, at=a["at"]),
}
_REPORTS["absent"] = _REPORTS["review"]  # the review list's first name
# What each report says (its help, both languages).
REPORT_HELP = {
    "presence": "Kehadiran harian / daily presence per rusun: residents and units with a "
    "tap at their own rusun, and taps (--start, --days).",
    "review": "Daftar tinjauan / the subletting review list, the dashboard's review queue, "
    "over --days days up to --as-of.",
    "other-rusun": "Kartu di rusun lain / registered cards tapped at a rusun not their own.",
    "unknown": "Kartu tak dikenal / tapped tokens that match no enrolled card (random UIDs left "
    "out).",
    "health": "Kesehatan terminal / per terminal: last seen, backlog, clock, reader resets, "
    "storage, gaps, alerts.",
}
REPORT_HELP["absent"] = "Sama dengan / same as `report review` (its first name)."
# Each report's title over its table, Indonesian first.
REPORT_TITLE = {
    "presence": "Kehadiran harian / daily presence",
    "review": "Daftar tinjauan / review list",
    "absent": "Daftar tinjauan / review list",
    "other-rusun": "Kartu di rusun lain / cards at another rusun",
    "unknown": "Kartu tak dikenal / unknown cards",
    "health": "Kesehatan terminal / terminal health",
}


_AS_OF_HELP = "the report's last day, YYYY-MM-DD (default today; the data's last day when older)"


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"bukan tanggal / not a date (YYYY-MM-DD): {text}")
        raise


def _run_report(name: str, start: str | None, days: int | None, as_of: str | None, rusun):
    """(rows, title, note): ``note`` says why the day is not today; the caller prints it once
    the report is out, so a refused report stays one line."""
    if name not in _REPORTS:
        fail(f"laporan tidak dikenal / unknown report {name}; one of {', '.join(_REPORTS)}")
    c = state.collector()
    # Every report describes a day: the one asked, else today, else the data's last day when
    # the data is more than a day old (a kept database), said on stderr.
    when = asof.resolve(c, _date(as_of))
    args = {"start": _date(start), "days": days, "as_of": when.day, "at": when.at, "rusun": rusun}
    title = f"{REPORT_TITLE[name]} · per tanggal / as of {when.day.isoformat()}"
    return _REPORTS[name](c, args), title, when.note


def _say(note: str | None) -> None:
    if note:
        err.print(f"hadir: {note}", markup=False, highlight=False)


def _report_command(name: str):
    def command(
        start: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
        days: Annotated[int | None, typer.Option(help="days (review/absent: the period)")] = None,
        as_of: Annotated[str | None, typer.Option(help=_AS_OF_HELP)] = None,
        rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None,
    ) -> None:
        rows, title, note = _run_report(name, start, days, as_of, rusun)
        if name != "health":
            _table(rows, title)
        else:
            for part, table in reports.health_tables(rows):  # readable; `export` keeps raw
                _table(table, f"{title} · {part}", compact=True)
        _say(note)

    command.__doc__ = REPORT_HELP[name]
    report_app.command(name)(command)


for _name in _REPORTS:
    _report_command(_name)


@app.command()
def export(
    report: Annotated[
        str, typer.Argument(help="presence|review|absent|other-rusun|unknown|health")
    ],
    path: Annotated[str, typer.Argument(help="CSV file to write ('-' for stdout)")],
    start: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
    days: Annotated[int | None, typer.Option(help="days")] = None,
    as_of: Annotated[str | None, typer.Option(help=_AS_OF_HELP)] = None,
    rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None,
) -> None:
    """Tulis laporan sebagai CSV / write a report as CSV (no names, no card UIDs)."""
    rows, _title, note = _run_report(report, start, days, as_of, rusun)
    text = reports.to_csv(rows, reports.COLUMNS.get(report))
    if path == "-":
        sys.stdout.write(text)
        _say(note)
        return
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    out.print(f"{report}: written to {path}")
    _say(note)


# The register and case-work commands, and those of continuity and personal data, join `app`.
from sync import cli_cases, cli_privacy  # noqa: E402,F401


def run() -> None:
    """Entry point: every expected error is one line and exit code (cliframe)."""
    cliframe.main(
        app,
        "python -m sync",
        (
            admin.AdminError,
            SecretFileError,
            ServerError,
            SettingsError,
            VaultError,
            DatabaseError,
        ),
    )


from sync import cli_releases  # noqa: E402,F401  `release ...` joins `app`
