# cli_cases: `python -m sync` commands of the register and the case work (added to sync/cli.py).
# SPDX-License-Identifier: MIT
"""register import|progress|unregistered, cards lost|enrol, people move-out|deceased|add,
flats show|vacate|seal|relet, absences add|list|cancel, holidays add|list|delete, thresholds
show|set, cases list|show|open|step|attach|precision|pack, letters format|counter, visits
plan|list|show|record (docs/cases.md). The command line acts as the collector's operator (an
admin of every rusun); the audit trail names the operating-system user (``cli:<login>``)."""

from __future__ import annotations

import datetime as dt
import getpass
import pathlib
from typing import Annotated

import typer

from sync.cli import _table, app, err, fail, out, state
from sync.service import (
    cases,
    days,
    flats,
    lifecycle,
    normal,
    register,
    register_file,
    reports,
    visits,
)
from sync.service.accounts import User
from sync.service.admin import AdminError

register_app = typer.Typer(
    no_args_is_help=True,
    help="register penghuni dan kemajuannya / the tenant register and its progress",
)
cards_app = typer.Typer(
    no_args_is_help=True,
    help="kartu: hilang, daftar (pengganti) / cards: lost, enrol (replacement)",
)
people_app = typer.Typer(
    no_args_is_help=True,
    help="anggota rumah, pengunjung, pendamping / household members, visitors and carers",
)
flats_app = typer.Typer(
    no_args_is_help=True,
    help="unit: lihat, kosongkan, segel, sewakan lagi / flats: show, vacate, seal, re-let",
)
absences_app = typer.Typer(
    no_args_is_help=True, help="izin tidak hadir / declared absences (izin)"
)
holidays_app = typer.Typer(no_args_is_help=True, help="kalender hari libur / the holiday calendar")
thresholds_app = typer.Typer(
    no_args_is_help=True, help="ambang tinjauan per rusun / the review's per-rusun thresholds"
)
cases_app = typer.Typer(
    no_args_is_help=True, help="kasus verifikasi lapangan / field verification cases"
)
letters_app = typer.Typer(no_args_is_help=True, help="penomoran surat / letter numbering")
visits_app = typer.Typer(no_args_is_help=True, help="daftar kunjungan / visit lists")
for _name, _sub in (
    ("register", register_app),
    ("cards", cards_app),
    ("people", people_app),
    ("flats", flats_app),
    ("absences", absences_app),
    ("holidays", holidays_app),
    ("thresholds", thresholds_app),
    ("cases", cases_app),
    ("letters", letters_app),
    ("visits", visits_app),
):
    app.add_typer(_sub, name=_name)

Day = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)")]
Note = Annotated[str, typer.Option(help="a note for the audit trail")]


def operator() -> User:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = "unknown"
    return User(f"cli:{login}", "admin", ())


def _day(text: str | None) -> dt.date | None:
    return None if text is None else days.parse(text)


def _flat(rusun: str, unit: str) -> int:
    return flats.find(state.collector(), operator(), rusun, unit)


# --- register ------------------------------------------------------------------------------------


def _print_diff(diff: register.RegisterDiff) -> None:
    for e in diff.errors:
        err.print(f"hadir: {e}", markup=False, highlight=False)
    for title, rows in (
        ("peringatan / warnings", diff.warnings),
        ("kolom diabaikan / ignored columns", diff.ignored_columns),
        ("rusun baru / new rusun", diff.rusun_new),
        ("unit baru / new flats", diff.flats_new),
        ("unit berubah / changed flats", diff.flats_changed),
        ("unit disewakan lagi / re-let flats", diff.flats_relet),
        ("penghuni baru / new people", diff.people_new),
        ("penghuni berubah / changed people", diff.people_changed),
        ("tidak ada di berkas / not in the file", diff.people_missing),
    ):
        if rows:
            out.print(f"{title} ({len(rows)}):", markup=False)
            for row in rows[:200]:
                out.print(f"  {row}", markup=False, highlight=False)
            if len(rows) > 200:
                out.print(f"  … {len(rows) - 200} more", markup=False)
    verb = "diterapkan / applied" if diff.applied else "pratinjau / preview"
    out.print(
        f"{verb}: {diff.changes()} changes ({diff.cards_new} new cards), "
        f"{diff.unchanged} unchanged, {len(diff.errors)} errors; "
        f"fingerprint {diff.fingerprint}",
        markup=False,
    )


@register_app.command("import")
def register_import(
    path: str,
    apply: Annotated[bool, typer.Option(help="write it (default: only show the preview)")] = False,
    expect: Annotated[str | None, typer.Option(help="the preview's fingerprint")] = None,
) -> None:
    """Impor register kantor pengelola / import the housing office's register (CSV or XLSX): a
    preview, or --apply (exit 2 on errors)."""
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as exc:
        fail(f"tidak terbaca / cannot read {path}: {exc.strerror}")
        return
    sheet = register_file.read(data, path)
    diff = register.import_register(state.collector(), sheet, operator(), apply, expect)
    _print_diff(diff)
    if diff.errors:
        raise typer.Exit(2)


@register_app.command("progress")
def register_progress(
    rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None,
) -> None:
    """Kemajuan pendaftaran / residents with an active card of those in the register: per rusun,
    district, city."""
    c = state.collector()
    p = register.progress(c, flats.scope_of(c, rusun))
    cols = ("residents", "with_card", "flats", "flats_without_card", "flats_vacant")

    def row(name: dict, r: dict) -> dict:
        return {**name, **{k: r[k] for k in cols}, "percent": f"{r['per_mille'] / 10:.1f}"}

    _table(
        [row({"district": r["district"], "rusun": r["rusun"]}, r) for r in p["rusun"]], "per rusun"
    )
    _table([row({"district": d["district"]}, d) for d in p["districts"]], "per district")
    _table([row({"city": "all"}, p["city"])], "city")


@register_app.command("unregistered")
def register_unregistered(rusun: str) -> None:
    """Unit tanpa kartu aktif / occupied flats of a rusun where nobody has an active card (invite
    them to enrol)."""
    c = state.collector()
    (rid,) = flats.scope_of(c, rusun) or [0]
    _table(register.flats_without_card(c, rid), f"{rusun}: flats without a card")


# --- cards and people ----------------------------------------------------------------------------


@cards_app.command("lost")
def cards_lost(card_id: int, date: Day = None, note: Note = "") -> None:
    """Blokir kartu hilang / block a lost or stolen card (refused at the door after the next
    allow-list sync)."""
    lifecycle.card_lost(state.collector(), operator(), card_id, _day(date), note)
    out.print(f"K-{card_id}: hilang, diblokir / lost, blocked")


@cards_app.command("enrol")
def cards_enrol(
    resident_id: str,
    uid: Annotated[str, typer.Option(help="card UID, hex")],
    atqa: Annotated[str, typer.Option(help="hex")] = "",
    sak: Annotated[str, typer.Option(help="hex")] = "",
    ats: Annotated[str, typer.Option(help="hex")] = "",
    replaces: Annotated[int | None, typer.Option(help="the lost card it replaces")] = None,
) -> None:
    """Daftarkan kartu / a card for a registered resident (or a visitor/carer): a new one or a
    replacement."""
    card = lifecycle.enrol_card(
        state.collector(), operator(), resident_id, uid, atqa, sak, ats, replaces
    )
    out.print(f"K-{card} -> {resident_id}")


@people_app.command("move-out")
def people_move_out(resident_id: str, date: Day = None, note: Note = "") -> None:
    """Pindah keluar / the person left (or a visitor's visits ended): no longer expected, cards
    refused."""
    lifecycle.move_out(state.collector(), operator(), resident_id, _day(date), note)
    out.print(f"{resident_id}: pindah / moved out")


@people_app.command("deceased")
def people_deceased(resident_id: str, date: Day = None, note: Note = "") -> None:
    """Meninggal dunia / the person died: no longer expected, cards refused."""
    lifecycle.deceased(state.collector(), operator(), resident_id, _day(date), note)
    out.print(f"{resident_id}: meninggal / deceased")


@people_app.command("add")
def people_add(
    rusun: str,
    unit: str,
    name: Annotated[str, typer.Option(help="the person's name")],
    kind: Annotated[str, typer.Option(help="member, visitor or carer")] = "member",
    resident_id: Annotated[
        str | None, typer.Option("--id", help="the office's id (members)")
    ] = None,
    relation: Annotated[str, typer.Option(help="head, spouse, child, parent, other")] = "",
    lease_holder: Annotated[bool, typer.Option(help="the lease holder")] = False,
    date: Day = None,
    until: Annotated[str | None, typer.Option(help="visitors: registered until")] = None,
) -> None:
    """Tambah anggota atau pengunjung / a new household member, or a regular visitor or carer of
    the flat."""
    rid = lifecycle.add_person(
        state.collector(),
        operator(),
        _flat(rusun, unit),
        name,
        kind,
        resident_id,
        relation,
        lease_holder,
        _day(date),
        _day(until),
    )
    out.print(f"{rid}: {kind} {rusun} {unit}")


# --- flats ---------------------------------------------------------------------------------------


@flats_app.command("show")
def flats_show(rusun: str, unit: str) -> None:
    """Tampilkan unit / the flat: household, cards, open case and the register's trail."""
    c = state.collector()
    page = flats.flat_page(c, operator(), _flat(rusun, unit), days.as_of(c))
    f = page["flat"]
    out.print(f"{f['rusun']} {f['unit']} (blok {f['block']}): {f['status']}", markup=False)
    _table([{**m, "cards": " ".join(m["cards"])} for m in page["members"] + page["visitors"]],
           "household")  # fmt: skip
    _table([{k: v for k, v in card.items() if k != "label"} for card in page["cards"]], "cards")
    _table(
        [
            {k: e[k] for k in ("day", "kind", "resident_id", "card_id", "detail", "by")}
            for e in page["events"]
        ],
        "trail",
    )


def _flat_change(fn, rusun: str, unit: str, date: str | None, note: str, done: str) -> None:
    fn(state.collector(), operator(), _flat(rusun, unit), _day(date), note=note)
    out.print(f"{rusun} {unit}: {done}")


@flats_app.command("vacate")
def flats_vacate(rusun: str, unit: str, date: Day = None, note: Note = "") -> None:
    """Kosongkan unit / the flat is empty: everyone registered there moved out, their cards are
    refused."""
    _flat_change(lifecycle.vacate, rusun, unit, date, note, "kosong / vacant")


@flats_app.command("seal")
def flats_seal(rusun: str, unit: str, date: Day = None, note: Note = "") -> None:
    """Segel unit / the office seals the flat (disegel), the last step of a case: like `vacate`,
    everyone registered there moved out, their cards refused."""
    _flat_change(lifecycle.seal, rusun, unit, date, note, "disegel / sealed")


@flats_app.command("relet")
def flats_relet(
    rusun: str,
    unit: str,
    date: Day = None,
    lease_no: Annotated[str, typer.Option(help="the new lease's number")] = "",
    note: Note = "",
) -> None:
    """Sewakan lagi / let a vacant or sealed flat again (add its household with `people add` or an
    import)."""
    lifecycle.relet(state.collector(), operator(), _flat(rusun, unit), _day(date), lease_no, note)
    out.print(f"{rusun} {unit}: disewakan lagi / re-let")


# --- what is normal ------------------------------------------------------------------------------


@absences_app.command("add")
def absences_add(
    resident_id: str,
    first: str,
    last: str,
    kind: Annotated[str, typer.Option(help="travel, hospital, mudik, work, other")] = "other",
    note: Note = "",
) -> None:
    """Catat izin / a declared absence (izin), both days inclusive."""
    aid = normal.absence(
        state.collector(), operator(), resident_id, days.parse(first), days.parse(last), kind, note
    )
    out.print(f"izin {aid}: {resident_id} {first}..{last} ({kind})")


@absences_app.command("list")
def absences_list(rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None):
    """Daftar izin / the declared absences."""
    c = state.collector()
    _table(normal.absences(c, flats.scope_of(c, rusun)), "izin")


@absences_app.command("cancel")
def absences_cancel(absence_id: int) -> None:
    """Batalkan izin / cancel a declared absence."""
    normal.cancel_absence(state.collector(), operator(), absence_id)
    out.print(f"izin {absence_id}: dibatalkan / cancelled")


@holidays_app.command("add")
def holidays_add(
    date: str,
    name: str,
    rusun: Annotated[str | None, typer.Option(help="only this rusun (default: all)")] = None,
) -> None:
    """Tambah hari libur / add a holiday to the calendar."""
    hid = normal.holiday(state.collector(), operator(), days.parse(date), name, rusun)
    out.print(f"hari libur / holiday {hid}: {date} {name}")


@holidays_app.command("list")
def holidays_list() -> None:
    """Daftar hari libur / the holiday calendar."""
    _table(normal.holidays(state.collector(), None), "holidays")


@holidays_app.command("delete")
def holidays_delete(holiday_id: int) -> None:
    """Hapus hari libur / delete a holiday from the calendar."""
    normal.delete_holiday(state.collector(), operator(), holiday_id)
    out.print(f"hari libur / holiday {holiday_id}: dihapus / deleted")


@thresholds_app.command("show")
def thresholds_show(rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None):
    """Tampilkan ambang / the review's thresholds per rusun."""
    c = state.collector()
    for r in normal.thresholds(c, flats.scope_of(c, rusun)):
        _table(
            [
                {
                    "name": v["name"],
                    "value": v["value"],
                    "default": v["default"],
                    "range": f"{v['lowest']}-{v['highest']}",
                    "meaning": v["text"][1],
                }
                for v in r["values"]
            ],
            r["rusun"],
        )


@thresholds_app.command("set")
def thresholds_set(rusun: str, name: str, value: str) -> None:
    """Atur ambang / set a threshold for one rusun (`default` goes back to the default)."""
    if value != "default" and not value.lstrip("-").isdigit():
        fail("value: bilangan bulat atau 'default' / an integer or 'default'")
    number = None if value == "default" else int(value)
    normal.set_threshold(state.collector(), operator(), rusun, name, number)
    out.print(f"{rusun} {name} = {value}")


# --- cases and letters ---------------------------------------------------------------------------


@cases_app.command("list")
def cases_list(
    rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="open cases only")] = False,
) -> None:
    """Daftar kasus / the field verification cases."""
    c = state.collector()
    rows = cases.list_cases(c, operator(), flats.scope_of(c, rusun), open_only)
    _table(
        [
            {k: r[k] for k in ("id", "rusun", "unit", "state", "source", "outcome")}
            | {"reasons": ",".join(r["reasons"]), "letters": " ".join(r["letters"])}
            for r in rows
        ],
        "cases",
    )


@cases_app.command("show")
def cases_show(case_id: int) -> None:
    """Tampilkan kasus / one case: its flat, steps and attachments."""
    page = cases.case_page(state.collector(), operator(), case_id)
    out.print(
        f"case {case_id}: {page['rusun']} {page['unit']}, {page['state']} "
        f"({page['source']}; {', '.join(page['reasons']) or '-'})",
        markup=False,
    )
    _table(
        [
            {
                "day": days.iso(s["day"]),
                "state": s["state"],
                "outcome": s["outcome"],
                "letter": s["letter_no"],
                "note": s["note"],
                "by": s["user_name"],
            }
            for s in page["steps"]
        ],
        "steps",
    )
    _table([{k: f[k] for k in ("id", "name", "mime", "size")} for f in page["files"]], "files")
    out.print(f"next: {', '.join(page['next']) or '-'}", markup=False)


@cases_app.command("open")
def cases_open(
    rusun: str,
    unit: str,
    reason: Annotated[list[str] | None, typer.Option(help="a review reason (repeat)")] = None,
    note: Note = "",
) -> None:
    """Buka kasus / open a case for a flat by hand (a tip, a complaint)."""
    cid = cases.open_case(
        state.collector(), operator(), _flat(rusun, unit), list(reason or []), "manual", note
    )
    out.print(f"case {cid}")


@cases_app.command("step")
def cases_step(
    case_id: int,
    step: Annotated[str, typer.Argument(help="visit_scheduled, visited, teguran, sp1 … cleared")],
    date: Day = None,
    outcome: Annotated[
        str | None, typer.Option(help="visited: " + ", ".join(cases.OUTCOMES))
    ] = None,
    note: Note = "",
) -> None:
    """Langkah kasus / record the case's next step (a letter gets its number)."""
    s = cases.advance(state.collector(), operator(), case_id, step, _day(date), note, outcome)
    out.print(
        f"case {case_id}: {step} {s['day']}" + (f", {s['letter_no']}" if s["letter_no"] else ""),
        markup=False,
    )


@cases_app.command("attach")
def cases_attach(
    case_id: int,
    path: str,
    step: Annotated[int | None, typer.Option(help="the step it belongs to")] = None,
):
    """Lampirkan berkas / attach a photo (JPEG, PNG) or a PDF (at most 5 MB)."""
    try:
        data = pathlib.Path(path).read_bytes()
    except OSError as exc:
        fail(f"tidak terbaca / cannot read {path}: {exc.strerror}")
        return
    fid = cases.attach(state.collector(), operator(), case_id, pathlib.Path(path).name, data, step)
    out.print(f"case {case_id}: file {fid}")


@cases_app.command("precision")
def cases_precision(rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None):
    """Ketepatan aturan / each review rule's field precision measured from the recorded visit
    outcomes."""
    c = state.collector()
    p = cases.precision(c, flats.scope_of(c, rusun))

    def row(name: str, n: dict) -> dict:
        iv = n["interval"]
        return {
            "rule": name,
            "flags": n["flags"],
            "visited": n["visited"],
            "confirmed": n["confirmed"],
            "precision": "-" if n["precision"] is None else f"{n['precision']:.2f}",
            "95% interval": "-" if iv is None else f"{iv[0]:.2f}-{iv[1]:.2f}",
        }

    rows = [row(r, n) for r, n in p["rules"].items()]
    _table(
        rows + [row("all flags", p["all"]), row("random sample", p["sample"])], "field precision"
    )


@cases_app.command("pack")
def cases_pack(case_id: int, path: str) -> None:
    """Berkas bukti kasus / the case's evidence pack: FILE.pdf or FILE.html."""
    from sync.web import pack

    c = state.collector()
    data = pack.render(
        c,
        operator(),
        case_id,
        "en" if path.endswith(".en.pdf") else "id",
        "pdf" if path.endswith(".pdf") else "html",
    )
    pathlib.Path(path).write_bytes(data)
    out.print(f"case {case_id}: evidence pack written to {path}")


@letters_app.command("format")
def letters_format(
    fmt: Annotated[str | None, typer.Argument(help="e.g. " + cases.DEFAULT_LETTER_FORMAT)] = None,
):
    """Format nomor surat / show or set the letter number format (fields: seq, letter, rusun,
    month, month_roman, year)."""
    c = state.collector()
    if fmt is not None:
        cases.set_letter_format(c, operator(), fmt)
    out.print(cases.letter_format(c), markup=False)


@letters_app.command("counter")
def letters_counter(rusun: str, year: int, last: int) -> None:
    """Nomor surat terakhir / the number of the rusun's last letter of YEAR issued before hadir
    numbered them."""
    cases.set_letter_counter(state.collector(), operator(), rusun, year, last)
    out.print(f"{rusun} {year}: next letter {last + 1}")


# --- visit lists ---------------------------------------------------------------------------------


@visits_app.command("plan")
def visits_plan(
    rusun: str,
    date: str,
    limit: Annotated[int, typer.Option(help="flagged flats at most")] = visits.DEFAULT_LIMIT,
    sample: Annotated[int, typer.Option(help="unflagged flats at random")] = visits.DEFAULT_SAMPLE,
    seed: Annotated[int | None, typer.Option(help="tests and demos only")] = None,
    pdf: Annotated[str | None, typer.Option(help="also write the list as PDF")] = None,
) -> None:
    """Rencana kunjungan / make the visit list of a rusun for a day: flagged flats by risk, plus a
    random sample."""
    c = state.collector()
    lid = visits.plan(c, operator(), rusun, days.parse(date), limit, sample, seed)
    visits_show(lid, pdf)


@visits_app.command("list")
def visits_lists(rusun: Annotated[str | None, typer.Option(help="only this rusun")] = None):
    """Daftar kunjungan / the visit lists."""
    c = state.collector()
    rows = visits.lists(c, flats.scope_of(c, rusun))
    made = "created (WIB)"  # the moment the list was made, in local time, not Unix seconds
    _table([{**{k: v for k, v in r.items() if k != "created_at"},
             made: reports.clock_text(r["created_at"])} for r in rows], "visit lists")  # fmt: skip


@visits_app.command("show")
def visits_show(
    list_id: int, pdf: Annotated[str | None, typer.Option(help="write it as PDF")] = None
) -> None:
    """Tampilkan kunjungan / one visit list and its visits."""
    c = state.collector()
    lst = visits.visit_list(c, operator(), list_id)
    _table(
        [
            {
                "no": v["position"],
                "visit": v["id"],
                "case": v["case_id"],
                "unit": v["unit"],
                "block": v["block"],
                "lease holder": v["lease_holder"] or "",
                "members": v["members"],
                "why": ",".join(v["reasons"]) or ("sample" if v["source"] == "sample" else ""),
                "risk": f"{v['risk']:.2f}",
                "outcome": v["outcome"] or "",
            }
            for v in lst["visits"]
        ],
        f"visit list {list_id}: {lst['rusun']} {lst['day']}",
    )
    if pdf:
        from sync.web import pdf as pdf_out

        pathlib.Path(pdf).write_bytes(pdf_out.visit_list(lst, "id"))
        out.print(f"PDF written to {pdf}")


@visits_app.command("record")
def visits_record(
    visit_id: int,
    outcome: Annotated[str, typer.Argument(help=", ".join(cases.OUTCOMES))],
    note: Note = "",
    date: Day = None,
) -> None:
    """Catat hasil kunjungan / the outcome of one visit (the case's `visited` step)."""
    visits.record(state.collector(), operator(), visit_id, outcome, note, _day(date))
    out.print(f"visit {visit_id}: {outcome}")


__all__ = ["AdminError"]
