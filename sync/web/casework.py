# casework: the dashboard's pages of the register and the case work: registration progress, the
# flat page, cases, visit lists, izin/holidays/thresholds, evidence packs, attachments.
# SPDX-License-Identifier: MIT
"""Handlers of ``sync.web.routes`` (``ROUTES``, mounted by ``routes.mount``): they parse the form,
call the service with the signed-in ``User`` (the service checks the role and the rusun:
``sync.service.scope``) and render. A refused change (``AdminError``) shows its one-line reason
on an error page; out of scope answers 404, like something that does not exist."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from sync.service import cases, days, flags, flats, lifecycle, normal, register, visits
from sync.service.admin import AdminError, Unknown
from sync.web import i18n, pack, pdf
from sync.web.routes import PREFIX, Ctx, Refused

EVIDENCE_DAYS_SHOWN = 28


def _form(ctx: Ctx, name: str, default: str = "") -> str:
    value = ctx.form.get(name)
    return value.strip() if isinstance(value, str) else default


def _date(ctx: Ctx, name: str) -> dt.date | None:
    text = _form(ctx, name)
    return days.parse(text) if text else None


def _int(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise Refused(404)
    return int(text)


def _back(path: str, flag: str = "saved") -> Response:
    sep = "&" if "?" in path else "?"
    return RedirectResponse(f"{path}{sep}{flag}=1", 303)


def _user(ctx: Ctx):
    assert ctx.user is not None
    return ctx.user


# --- registration progress -----------------------------------------------------------------------


def registration(ctx: Ctx) -> Response:
    data = register.progress(ctx.web.c, ctx.scope)
    return ctx.render("registration.html", page="register", p=data)


def unregistered(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    scope = flats.scope_of(ctx.web.c, name) if name in _rusun_names(ctx) else None
    if scope is None or not _user(ctx).may_see(name):
        raise Refused(404)
    rows = register.flats_without_card(ctx.web.c, scope[0])
    return ctx.render("unregistered.html", page="register", rusun=name, flats=rows)


def _rusun_names(ctx: Ctx) -> list[str]:
    from sync.service import dashboard

    return dashboard.rusun_names(ctx.web.c, ctx.scope)


# --- the flat page -------------------------------------------------------------------------------


def _evidence_view(ev: Any, lang: str, shown: int) -> dict[str, Any] | None:
    if ev is None:
        return None
    recent = ev.days[-shown:]
    rows = []
    for d in reversed(recent):
        rows.append(
            {
                "date": i18n.fmt_day_short(d.day, lang),
                "wd": i18n.weekday_short(d.day, lang),
                "weekend": d.day.weekday() >= 5,
                "taps": d.taps,
                "night": d.night,
                "first": i18n.fmt_time(d.first, lang) if d.first else "—",
                "last": i18n.fmt_time(d.last, lang) if d.last else "—",
                "first_pos": _pos(d.first),
                "last_pos": _pos(d.last),
                "members": len(d.members),
                "expected": d.expected,
                "cards": list(d.cards),
                "excused": d.excused,
            }
        )
    weeks = [
        {
            "first": i18n.fmt_day_short(w.first, lang),
            "days": w.days,
            "present": w.present_days,
            "nights": w.nights,
            "taps": w.taps,
            "members": w.members_seen,
            "cards": w.cards_seen,
            "first_tap": _hhmm(w.median_first_min, lang),
            "last_tap": _hhmm(w.median_last_min, lang),
        }
        for w in ev.weeks
    ]
    cards = [
        {
            "card": u.card,
            "label": _card_label(u.card),
            "holder": u.holder,
            "taps": u.taps,
            "days": u.days,
            "other_rusun_days": u.other_rusun_days,
            "status": u.status,
            "last": i18n.fmt_datetime(u.last, lang) if u.last else "—",
        }
        for u in ev.cards
    ]
    return {
        "days": rows,
        "weeks": weeks,
        "cards": cards,
        "shown": len(recent),
        "nights": sum(1 for d in recent if d.night),
        "expected": list(ev.expected),
        "seen": list(ev.seen),
    }


def _pos(t: int | None) -> float | None:
    if t is None:
        return None
    secs = (t + days.OFFSET) % days.DAY
    return round(secs / days.DAY * 100, 2)


def _hhmm(minute: int | None, lang: str) -> str:
    if minute is None:
        return "—"
    sep = "." if lang == "id" else ":"
    return f"{minute // 60:02d}{sep}{minute % 60:02d}"


def _card_label(card: str) -> str:
    return f"K-{card}" if card.isdigit() else card


def flat(ctx: Ctx) -> Response:
    unit_id = _int(ctx.request.path_params["unit_id"])
    c = ctx.web.c
    today = ctx.day
    data = flats.flat_page(c, _user(ctx), unit_id, today)
    f = data["flat"]
    ev, items, snap = flags.flat_evidence(c, f["rusun_id"], f["key"], today)
    reasons = [
        {"code": r.code, "label": ctx.reason(r.code), "text": r.text[ctx.lang == "en"]}
        for it in items
        for r in it.reasons
    ]
    for e in data["events"]:
        e["text"] = ctx.t("event." + e["kind"])
    return ctx.render(
        "flat.html",
        page="flat",
        f=f,
        data=data,
        ev=_evidence_view(ev, ctx.lang, EVIDENCE_DAYS_SHOWN),
        reasons=reasons,
        score=items[0].score if items else None,
        period_days=snap.days,
        today=today.isoformat(),
        saved=ctx.request.query_params.get("saved") == "1",
        absence_kinds=normal.ABSENCE_KINDS,
    )


def flat_action(ctx: Ctx) -> Response:
    """One lifecycle change from the flat page's forms."""
    unit_id = _int(ctx.request.path_params["unit_id"])
    action = ctx.request.path_params["action"]
    user, c = _user(ctx), ctx.web.c
    day, note = _date(ctx, "day"), _form(ctx, "note")
    rid = _form(ctx, "resident_id")
    if action == "move_out":
        lifecycle.move_out(c, user, rid, day, note)
    elif action == "deceased":
        lifecycle.deceased(c, user, rid, day, note)
    elif action == "card_lost":
        lifecycle.card_lost(c, user, _int(_form(ctx, "card_id").removeprefix("K-")), day, note)
    elif action == "vacate":
        lifecycle.vacate(c, user, unit_id, day, note)
    elif action == "relet":
        lifecycle.relet(c, user, unit_id, day, _form(ctx, "lease_no"), note)
    elif action == "add_person":
        lifecycle.add_person(
            c,
            user,
            unit_id,
            _form(ctx, "name"),
            _form(ctx, "kind", "member"),
            rid or None,
            _form(ctx, "relation"),
            _form(ctx, "lease_holder") == "1",
            day,
            _date(ctx, "until"),
            note,
        )
    elif action == "absence":
        first, last = _date(ctx, "first"), _date(ctx, "last")
        if first is None or last is None:
            raise AdminError("tanggal izin wajib / leave dates are required")
        normal.absence(c, user, rid, first, last, _form(ctx, "kind", "other"), note)
    elif action == "open_case":
        reasons = [r for r in _form(ctx, "reasons").split(",") if r]
        case_id = cases.open_case(c, user, unit_id, reasons, "flag" if reasons else "manual", note)
        return ctx.finish(RedirectResponse(f"{PREFIX}/case/{case_id}", 303))
    else:
        raise Refused(404)
    flags.forget(c)
    return ctx.finish(_back(f"{PREFIX}/flat/{unit_id}"))


def flat_by_name(ctx: Ctx) -> Response:
    """``/flat/<rusun>/<unit>``: the review queue links flats by name."""
    unit_id = flats.find(
        ctx.web.c, _user(ctx), ctx.request.path_params["rusun"], ctx.request.path_params["unit"]
    )
    return ctx.finish(RedirectResponse(f"{PREFIX}/flat/{unit_id}", 303))


# --- cases ---------------------------------------------------------------------------------------


def _precision_rows(p: dict[str, Any], ctx: Ctx) -> list[dict[str, Any]]:
    def row(label: str, code: str, n: dict[str, Any]) -> dict[str, Any]:
        iv = n["interval"]
        return {
            "label": label,
            "code": code,
            **n,
            "precision_text": "—" if n["precision"] is None else ctx.pct_ratio(n["precision"]),
            "interval_text": "—"
            if iv is None
            else f"{ctx.pct_ratio(iv[0])} – {ctx.pct_ratio(iv[1])}",
        }

    rows = [row(ctx.reason(r), r, n) for r, n in p["rules"].items()]
    rows.append(row(ctx.t("cases.all_flags"), "all", p["all"]))
    rows.append(row(ctx.t("cases.sample"), "sample", p["sample"]))
    return rows


def cases_page(ctx: Ctx) -> Response:
    c = ctx.web.c
    rows = cases.list_cases(c, _user(ctx), ctx.scope)
    for r in rows:
        r["updated_text"] = i18n.fmt_date(r["updated_at"], ctx.lang, weekday=False)
    p = cases.precision(c, ctx.scope)
    return ctx.render(
        "cases.html",
        page="cases",
        cases=rows,
        precision=_precision_rows(p, ctx),
        outcomes=p["outcomes"],
    )


def case(ctx: Ctx) -> Response:
    case_id = _int(ctx.request.path_params["case_id"])
    data = cases.case_page(ctx.web.c, _user(ctx), case_id)
    for s in data["steps"]:
        s["day_text"] = i18n.fmt_date(s["day"], ctx.lang, weekday=False)
    for f in data["files"]:
        f["at_text"] = i18n.fmt_datetime(f["created_at"], ctx.lang)
    return ctx.render(
        "case.html",
        page="cases",
        k=data,
        today=ctx.day.isoformat(),
        outcomes=cases.OUTCOMES,
        saved=ctx.request.query_params.get("saved") == "1",
    )


def case_step(ctx: Ctx) -> Response:
    case_id = _int(ctx.request.path_params["case_id"])
    state = _form(ctx, "state")
    outcome = _form(ctx, "outcome") or None if state == "visited" else None
    step = cases.advance(
        ctx.web.c, _user(ctx), case_id, state, _date(ctx, "day"), _form(ctx, "note"), outcome
    )
    upload = ctx.form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        _attach(ctx, case_id, upload, step["id"])
    flags.forget(ctx.web.c)
    return ctx.finish(_back(f"{PREFIX}/case/{case_id}"))


def _attach(ctx: Ctx, case_id: int, upload: UploadFile, step_id: int | None) -> None:
    data = upload.file.read(cases.MAX_FILE + 1)
    cases.attach(ctx.web.c, _user(ctx), case_id, upload.filename or "", data, step_id)


def case_attach(ctx: Ctx) -> Response:
    case_id = _int(ctx.request.path_params["case_id"])
    upload = ctx.form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise AdminError("pilih berkas / choose a file")
    _attach(ctx, case_id, upload, None)
    return ctx.finish(_back(f"{PREFIX}/case/{case_id}"))


def case_file(ctx: Ctx) -> Response:
    info, data = cases.attachment(ctx.web.c, _user(ctx), _int(ctx.request.path_params["file_id"]))
    resp = Response(data, media_type=info.mime)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(info.name)}"
    return ctx.finish(resp)


def case_pack(ctx: Ctx) -> Response:
    case_id = _int(ctx.request.path_params["case_id"])
    fmt = ctx.request.path_params.get("fmt", "html")
    if fmt not in ("html", "pdf"):
        raise Refused(404)
    body = pack.render(ctx.web.c, _user(ctx), case_id, ctx.lang, fmt)
    if fmt == "html":
        resp = Response(body, media_type="text/html; charset=utf-8")
    else:
        resp = Response(body, media_type="application/pdf")
        resp.headers["Content-Disposition"] = f'inline; filename="hadir-case-{case_id}.pdf"'
    return ctx.finish(resp)


# --- visit lists ---------------------------------------------------------------------------------


def visits_page(ctx: Ctx) -> Response:
    c = ctx.web.c
    rows = visits.lists(c, ctx.scope)
    for r in rows:
        r["day_text"] = i18n.fmt_date(days.start_of(days.parse(r["day"])), ctx.lang)
    return ctx.render(
        "visits.html",
        page="visits",
        lists=rows,
        rusun_names=_rusun_names(ctx),
        today=ctx.day.isoformat(),
        limit=visits.DEFAULT_LIMIT,
        sample=visits.DEFAULT_SAMPLE,
    )


def visits_plan(ctx: Ctx) -> Response:
    day = _date(ctx, "day") or ctx.day
    try:
        limit = int(_form(ctx, "limit") or visits.DEFAULT_LIMIT)
        sample = int(_form(ctx, "sample") or visits.DEFAULT_SAMPLE)
    except ValueError:
        raise AdminError("angka tidak sah / not a number") from None
    lid = visits.plan(ctx.web.c, _user(ctx), _form(ctx, "rusun"), day, limit, sample)
    return ctx.finish(RedirectResponse(f"{PREFIX}/visits/{lid}", 303))


def visit_list(ctx: Ctx) -> Response:
    lid = _int(ctx.request.path_params["list_id"])
    lst = visits.visit_list(ctx.web.c, _user(ctx), lid)
    lst["day_text"] = i18n.fmt_date(days.start_of(days.parse(lst["day"])), ctx.lang)
    return ctx.render(
        "visit_list.html",
        page="visits",
        lst=lst,
        outcomes=cases.OUTCOMES,
        saved=ctx.request.query_params.get("saved") == "1",
    )


def visit_list_pdf(ctx: Ctx) -> Response:
    lid = _int(ctx.request.path_params["list_id"])
    lst = visits.visit_list(ctx.web.c, _user(ctx), lid)
    resp = Response(pdf.visit_list(lst, ctx.lang), media_type="application/pdf")
    resp.headers["Content-Disposition"] = (
        f'inline; filename="hadir-kunjungan-{lst["rusun"].replace(" ", "-")}-{lst["day"]}.pdf"'
    )
    return ctx.finish(resp)


def visit_record(ctx: Ctx) -> Response:
    visit_id = _int(ctx.request.path_params["visit_id"])
    lid = _int(_form(ctx, "list_id"))
    visits.record(ctx.web.c, _user(ctx), visit_id, _form(ctx, "outcome"), _form(ctx, "note"))
    return ctx.finish(RedirectResponse(f"{PREFIX}/visits/{lid}?saved=1#v{visit_id}", 303))


# --- what is normal ------------------------------------------------------------------------------


def normal_page(ctx: Ctx) -> Response:
    c = ctx.web.c
    since = ctx.day - dt.timedelta(days=30)
    absences = normal.absences(c, ctx.scope, since)
    return ctx.render(
        "normal.html",
        page="normal",
        holidays=normal.holidays(c, ctx.scope),
        absences=absences,
        thresholds=normal.thresholds(c, ctx.scope),
        rusun_names=_rusun_names(ctx),
        today=ctx.day.isoformat(),
        saved=ctx.request.query_params.get("saved") == "1",
    )


def normal_action(ctx: Ctx) -> Response:
    action = ctx.request.path_params["action"]
    c, user = ctx.web.c, _user(ctx)
    if action == "holiday":
        day = _date(ctx, "day")
        if day is None:
            raise AdminError("tanggal wajib / a date is required")
        rusun = _form(ctx, "rusun") or None
        normal.holiday(c, user, day, _form(ctx, "name"), rusun)
    elif action == "holiday_delete":
        normal.delete_holiday(c, user, _int(_form(ctx, "id")))
    elif action == "absence_cancel":
        normal.cancel_absence(c, user, _int(_form(ctx, "id")))
    elif action == "threshold":
        text = _form(ctx, "value")
        value = None if text == "" else _number(text)
        normal.set_threshold(c, user, _form(ctx, "rusun"), _form(ctx, "name"), value)
    else:
        raise Refused(404)
    flags.forget(c)
    return ctx.finish(_back(f"{PREFIX}/normal"))


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise AdminError("angka bulat / a whole number") from None


ROUTES = [
    ("/register", registration, ["GET"]),
    ("/register/{name}", unregistered, ["GET"]),
    ("/flat/{unit_id}", flat, ["GET"]),
    ("/flat/{unit_id}/{action}", flat_action, ["POST"]),
    ("/flats/{rusun}/{unit}", flat_by_name, ["GET"]),
    ("/cases", cases_page, ["GET"]),
    ("/case/{case_id}", case, ["GET"]),
    ("/case/{case_id}/step", case_step, ["POST"]),
    ("/case/{case_id}/attach", case_attach, ["POST"]),
    ("/case/{case_id}/pack.{fmt}", case_pack, ["GET"]),
    ("/file/{file_id}", case_file, ["GET"]),
    ("/visits", visits_page, ["GET"]),
    ("/visits", visits_plan, ["POST"]),
    ("/visits/{list_id}", visit_list, ["GET"]),
    ("/visits/{list_id}/pdf", visit_list_pdf, ["GET"]),
    ("/visit/{visit_id}", visit_record, ["POST"]),
    ("/normal", normal_page, ["GET"]),
    ("/normal/{action}", normal_action, ["POST"]),
]
__all__ = ["ROUTES", "Unknown"]
