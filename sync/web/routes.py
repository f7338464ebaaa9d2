# routes: the dashboard's pages: parse, authenticate, check CSRF and scope, call the service.
# SPDX-License-Identifier: MIT
"""Every page is ``/dashboard/…``; static files (CSS, JS, the vendored Chart.js) are served from
``/dashboard/static`` by the collector itself, so the office network may be offline."""

from __future__ import annotations

import datetime as dt
import hmac
import pathlib
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sync.ratelimit import Throttle
from sync.service import accounts, asof, attention, audit, dashboard, releases, sessions, wear
from sync.service.accounts import User
from sync.service.admin import AdminError, Forbidden, Unknown
from sync.service.collector import Collector
from sync.web import exports, i18n
from sync.web.auth import (
    LANG_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE_S,
    Sessions,
    csrf_ok,
)

HERE = pathlib.Path(__file__).resolve().parent
PREFIX = "/dashboard"
HEAT_DAYS = 28
TIMELINE_DAYS = 28
CHART_DAYS = 30
# A month of the whole fleet's presence is the largest export (docs/benchmarks.md, "Dashboard").
MAX_EXPORT_DAYS = 31
# A form with an attachment (5 MB at most, sync.service.cases.MAX_FILE) and its fields.
MAX_FORM_BYTES = 6 * 1024 * 1024


# Scripts and styles only from the collector itself; inline style attributes (bar widths, timeline
# positions) are the one exception. No framing (clickjacking), forms post only here.
_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class Ctx:
    """One request: its language, session, user and the response cookies to set."""

    def __init__(self, web: Web, request: Request, form: FormData | None) -> None:
        self.web = web
        self.request = request
        self.form = form if form is not None else FormData()
        lang = request.cookies.get(LANG_COOKIE, i18n.DEFAULT_LANG)
        self.lang = lang if lang in i18n.LANGS else i18n.DEFAULT_LANG
        self.session = web.sessions.load(request.cookies.get(SESSION_COOKIE))
        sid = self.session.get("s")
        self.user: User | None = sessions.user_of(web.c, sid) if isinstance(sid, str) else None
        self.now = web.c.now()
        self._when: asof.AsOf | None = None

    def _resolved(self) -> asof.AsOf:
        if self._when is None:
            self._when = asof.resolve(self.web.c, now=self.now)
        return self._when

    @property
    def at(self) -> int:
        """The moment the data pages describe: now, or the newest data when it is more than a
        day old (a kept database), as ``python -m sync report …`` does (``asof.resolve``)."""
        return self._resolved().at

    @property
    def day(self) -> dt.date:
        """The local day of ``at``: the case work's "today" (``sync.service.days.as_of``)."""
        return self._resolved().day

    @property
    def stale(self) -> bool:
        return self.at != self.now

    @property
    def scope(self) -> list[int] | None:
        assert self.user is not None
        return self.user.scope.ids()

    def t(self, key: str, **args: object) -> str:
        return i18n.t(self.lang, key, **args)

    def reason(self, code: str) -> str:
        return i18n.reason(self.lang, code)

    def pct_ratio(self, x: float) -> str:
        """0.853 -> ``85,3 %`` (``85.3 %`` in English)."""
        text = f"{100 * x:.1f}\u00a0%"
        return text.replace(".", ",") if self.lang == "id" else text

    def finish(self, response: Response) -> Response:
        response.set_cookie(
            SESSION_COOKIE,
            self.web.sessions.dump(self.session),
            max_age=SESSION_MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=self.request.url.scheme == "https",
            path=PREFIX,
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def render(self, name: str, status: int = 200, **data: object) -> Response:
        lang = self.lang
        html = self.web.env.get_template(name).render(
            lang=lang,
            t=self.t,
            n=lambda v: i18n.fmt_int(int(v), lang),
            ratio=self.pct_ratio,
            reason=self.reason,
            pct=lambda pm: f"{pm / 10:.1f}\u00a0%".replace(".", "," if lang == "id" else "."),
            user=self.user,
            csrf=self.session["c"],
            here=str(self.request.url.path)
            + (f"?{self.request.url.query}" if self.request.url.query else ""),
            now_text=i18n.fmt_datetime(self.at, lang),
            stale_text=i18n.fmt_datetime(self.at, lang) if self.stale else None,
            static=lambda p: f"{PREFIX}/static/{p}",
            **data,
        )
        return self.finish(HTMLResponse(html, status_code=status))


Handler = Callable[[Ctx], Response]


class Web:
    def __init__(self, collector: Collector, secret: bytes, throttle: Throttle) -> None:
        self.c = collector
        self.sessions = Sessions(secret)
        self.throttle = throttle
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _run(
        self, handler: Handler, login: bool, request: Request, form: FormData | None
    ) -> Response:
        ctx = Ctx(self, request, form)
        if login and ctx.user is None:
            target = quote(str(request.url.path), safe="/")
            return ctx.finish(RedirectResponse(f"{PREFIX}/login?next={target}", 303))
        if form is not None and request.url.path != f"{PREFIX}/login":
            if not csrf_ok(ctx.session, str(form.get("csrf") or "")):
                return ctx.render("error.html", 403, title=ctx.t("err.403"),
                                  body=ctx.t("err.csrf"))  # fmt: skip
        if ctx.user is not None and login and _audited(request.method, request.url.path):
            peer = request.client.host if request.client else ""
            audit.record(
                self.c,
                audit.Who(ctx.user.name, "dashboard", peer),
                audit.classify(request.method, request.url.path, request.url.query),
                f"{request.method} {request.url.path}",
                detail=dict(request.query_params),
            )
        try:
            return handler(ctx)
        except Refused as exc:
            if exc.status == 404:
                return ctx.render("error.html", 404, title=ctx.t("err.404"), body="")
            return ctx.render("error.html", 403, title=ctx.t("err.403"),
                              body=ctx.t("err.403.body"))  # fmt: skip
        except (dashboard.NotFound, Unknown):
            return ctx.render("error.html", 404, title=ctx.t("err.404"), body="")
        except Forbidden:
            return ctx.render("error.html", 403, title=ctx.t("err.403"),
                              body=ctx.t("err.403.body"))  # fmt: skip
        except AdminError as exc:  # a refused change: its one-line reason, nothing stored
            return ctx.render("error.html", 400, title=ctx.t("err.400"), body=str(exc),
                              back=_local_back(ctx.request.headers.get("referer")))  # fmt: skip

    def _signed_in(self, request: Request) -> bool:
        sid = self.sessions.load(request.cookies.get(SESSION_COOKIE)).get("s")
        return isinstance(sid, str) and sessions.user_of(self.c, sid) is not None

    def page(self, handler: Handler, login: bool = True):
        """Wrap a handler: build the context, demand a login, turn refusals into error pages."""

        async def endpoint(request: Request) -> Response:
            form = None
            if request.method == "POST":
                # A body is read only for a signed-in user (the login form aside) and only up to
                # MAX_FORM_BYTES, declared: nobody unauthenticated makes the collector spool an
                # upload to disk.
                length = request.headers.get("content-length", "")
                if not length.isdigit() or int(length) > MAX_FORM_BYTES:
                    return Response("413 / 411", status_code=413 if length.isdigit() else 411)
                signed_in = not login or await run_in_threadpool(self._signed_in, request)
                form = await request.form(max_files=2, max_fields=50) if signed_in else None
            # Pages read the database (the review queue runs the detector): off the event loop,
            # so terminal uploads are not held up by a dashboard user.
            return await run_in_threadpool(self._run, handler, login, request, form)

        return endpoint


# Pages that show a person (a resident, a household, a case and its files, a visit list) or send
# a file out: each view is an access-audit row; so is every form (a change), but the language's.
_AUDITED_VIEWS = ("/resident/", "/flat/", "/flats/", "/case/", "/file/", "/visits/", "/audit",
                  "/register/")  # fmt: skip


def _audited(method: str, path: str) -> bool:
    rest = path[len(PREFIX) :]
    if method == "POST":
        return rest not in ("/logout",)
    return rest.startswith(_AUDITED_VIEWS)


def _local_back(referer: str | None) -> str | None:
    """The dashboard page a refused form came from (its path only), for a "back" link."""
    path = urlsplit(referer or "").path
    return path if path.startswith(PREFIX + "/") and not path.startswith("//") else None


def _safe_next(target: str | None) -> str:
    """Only local dashboard paths: never redirect to another site after login."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


def _day_heads(days: list[int], lang: str) -> list[dict]:
    out = []
    for i, d in enumerate(days):
        date = i18n.date_of_day(d)
        out.append(
            {
                "label": i18n.fmt_day_short(date, lang),
                "wd": i18n.weekday_short(date, lang),
                "dom": date.day,
                # Heat-map heads name the month only where it starts, to stay narrow.
                "month": i18n.month_short(date, lang) if i == 0 or date.day == 1 else "",
                "weekend": date.weekday() >= 5,
            }
        )
    return out


# --- pages --------------------------------------------------------------------------------------


def login_form(ctx: Ctx) -> Response:
    return ctx.render("login.html", page="login", failed=False,
                      next=_safe_next(ctx.request.query_params.get("next")))  # fmt: skip


def login_post(ctx: Ctx) -> Response:
    form = ctx.form
    target = _safe_next(str(form.get("next") or ""))
    if not csrf_ok(ctx.session, str(form.get("csrf") or "")):
        return ctx.render("error.html", 403, title=ctx.t("err.403"), body=ctx.t("err.csrf"))
    name = str(form.get("username") or "").strip()
    address = ctx.request.client.host if ctx.request.client else ""
    if ctx.web.throttle.blocked(address, name, ctx.now):
        return ctx.render("login.html", 429, page="login", failed="throttled", next=target)
    if accounts.authenticate(ctx.web.c, name, str(form.get("password") or "")) is None:
        ctx.web.throttle.failed(address, name, ctx.now)
        return ctx.render("login.html", 401, page="login", failed=True, next=target)
    ctx.web.throttle.succeeded(address, name)
    # A new session row, and a new CSRF token with it.
    ctx.session = ctx.web.sessions.login(sessions.start(ctx.web.c, name))
    return ctx.finish(RedirectResponse(target, 303))


def logout(ctx: Ctx) -> Response:
    sid = ctx.session.get("s")
    if isinstance(sid, str):
        sessions.end(ctx.web.c, sid)  # the old cookie, wherever a copy is, names nothing now
    ctx.session = ctx.web.sessions.load(None)
    return ctx.finish(RedirectResponse(f"{PREFIX}/login", 303))


def set_lang(ctx: Ctx) -> Response:
    lang = ctx.request.path_params["lang"]
    target = _safe_next(ctx.request.query_params.get("next"))
    resp = RedirectResponse(target, 303)
    if lang in i18n.LANGS:
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path=PREFIX)
    return ctx.finish(resp)


def overview(ctx: Ctx) -> Response:
    data = dashboard.overview(ctx.web.c, ctx.at, ctx.scope, CHART_DAYS)
    terms = dashboard.terminal_health(ctx.web.c, ctx.at, ctx.scope)
    items, _p, _period = dashboard.review_queue(ctx.web.c, ctx.at, ctx.scope)
    found = attention.incidents(ctx.web.c, ctx.at, ctx.scope)
    counts = dashboard.review_counts(items)
    heads = _day_heads(data["days"], ctx.lang)
    # The six busiest rusun get their own colour in the stacked chart, the rest one "others".
    ranked = sorted(data["daily"].items(), key=lambda kv: -sum(kv[1]))
    series = [{"label": name, "values": vals} for name, vals in ranked[:5]]
    if len(ranked) > 5:
        rest = [sum(v[i] for _n, v in ranked[5:]) for i in range(len(data["days"]))]
        series.append({"label": ctx.t("common.all_rusun") + " (lain)" if ctx.lang == "id"
                       else "Other rusun", "values": rest})  # fmt: skip
    chart = {
        "labels": [f"{h['wd']} {h['label']}" for h in heads],
        "series": series,
        "locale": "id-ID" if ctx.lang == "id" else "en-GB",
    }
    return ctx.render(
        "overview.html",
        page="overview",
        today_text=i18n.fmt_date(ctx.at, ctx.lang),
        totals=data["totals"],
        per_rusun=data["per_rusun"],
        chart=chart,
        attention=[t for t in terms if t["alarms"]],
        incidents=[_incident_view(i, ctx.lang) for i in found],
        action_days=attention.ACTION_DAYS,
        incomplete={t["rusun"] for t in terms if "silent" in t["alarms"]},
        review_open=counts["open"],
        review_counts=counts,
        silent_hours=dashboard.SILENT_AFTER_S // 3600,
    )


def _incident_view(i: dict, lang: str) -> dict:
    """One incident's words: what, and since when (a span for an outage)."""
    when = i18n.fmt_datetime(i["since"], lang)
    if i["ongoing"]:
        text = i18n.t(lang, "incident.since", t=when) + " · " + i18n.t(lang, "incident.ongoing")
    elif i["kind"] == "outage":
        hours = round((i["last"] - i["since"]) / 3600)
        text = i18n.t(lang, "incident.span", a=when, b=i18n.fmt_datetime(i["last"], lang), h=hours)
        if i["count"] > 1:
            text += " · " + i18n.t(lang, "incident.times", n=i["count"],
                                   t=i18n.fmt_datetime(i["last"], lang))  # fmt: skip
    else:
        text = i18n.t(lang, "incident.since", t=when)
        if i["count"] > 1:
            text += " · " + i18n.t(lang, "incident.times", n=i["count"],
                                   t=i18n.fmt_datetime(i["last"], lang))  # fmt: skip
    return {**i, "what": i18n.t(lang, "incident." + i["kind"]), "when": text}


def rusun(ctx: Ctx) -> Response:
    name = ctx.request.path_params["name"]
    if name not in dashboard.rusun_names(ctx.web.c, ctx.scope):
        raise Refused(404)  # unknown, or another rusun's: the same answer
    data = dashboard.rusun_heatmap(ctx.web.c, name, ctx.at, HEAT_DAYS)
    return ctx.render("rusun.html", page="rusun", rusun=name, units=data["units"],
                      days=_day_heads(data["days"], ctx.lang))  # fmt: skip


def _mark_view(m: dict, lang: str) -> dict:
    return {**m, "at_text": i18n.fmt_datetime(m["at"], lang)}


def review(ctx: Ctx) -> Response:
    items, params, (t0, t1) = dashboard.review_queue(ctx.web.c, ctx.at, ctx.scope)
    q = ctx.request.query_params
    chosen = {
        "rusun": q.get("rusun", ""),
        "reason": q.get("reason", "") if q.get("reason", "") in dashboard.REASONS else "",
        "status": q.get("status", "all") if q.get("status") in dashboard.REVIEW_STATUSES
        else "all",
        "sort": q.get("sort", "rusun") if q.get("sort") in dashboard.REVIEW_SORTS else "rusun",
    }  # fmt: skip
    counts = dashboard.review_counts(items)
    shown = dashboard.review_filter(items, **chosen)
    for it in shown:
        it["trail"] = [_mark_view(m, ctx.lang) for m in it["trail"]]
        if it["mark"]:
            it["mark"] = _mark_view(it["mark"], ctx.lang)
        if it.get("unknown") and it.get("last"):
            it["first_text"] = i18n.fmt_datetime(it["first"], ctx.lang)
            it["last_text"] = i18n.fmt_datetime(it["last"], ctx.lang)
    return ctx.render(
        "review.html",
        page="review",
        items=[it for it in shown if not it.get("unknown")],
        unknown=[it for it in shown if it.get("unknown")],
        counts=counts,
        chosen=chosen,
        rusun_names=sorted({it["rusun"] for it in items}),
        reasons=dashboard.REASONS,
        sorts=dashboard.REVIEW_SORTS,
        statuses=dashboard.REVIEW_STATUSES,
        period_days=(t1 + 1 - t0) // 86400,
        not_seen_days=params.not_seen_days,
        period_start=i18n.fmt_date(t0, ctx.lang, weekday=False),
        period_end=i18n.fmt_date(t1, ctx.lang, weekday=False),
        saved=ctx.request.query_params.get("saved") == "1",
    )


def review_mark(ctx: Ctx) -> Response:
    form = ctx.form
    kind, key = str(form.get("kind") or ""), str(form.get("key") or "")
    note = str(form.get("note") or "").strip()
    assert ctx.user is not None
    if not ctx.user.is_admin:
        raise Refused(403)  # viewers read; marking is an admin's decision (as in the admin API)
    if not dashboard.subject_in_scope(ctx.web.c, kind, key, ctx.scope):
        raise Refused(404)  # unknown, or another rusun's: the same answer
    if not note:
        return ctx.finish(RedirectResponse(f"{PREFIX}/review", 303))
    dashboard.mark_reviewed(ctx.web.c, kind, key, str(form.get("reasons") or ""), note,
                            ctx.user.name, ctx.now, scope=ctx.scope)  # fmt: skip
    return ctx.finish(RedirectResponse(f"{PREFIX}/review?saved=1", 303))


def resident(ctx: Ctx) -> Response:
    assert ctx.user is not None
    data = dashboard.resident_page(
        ctx.web.c, ctx.request.path_params["rid"], ctx.at, TIMELINE_DAYS, scope=ctx.scope
    )  # another rusun's resident is NotFound, as an unknown one: 404 either way
    res = data["resident"]
    timeline = []
    for d, head in zip(data["days"], _day_heads(data["days"], ctx.lang)):
        taps = []
        for tp in data["taps"].get(d, []):
            secs = (tp["time"] + dashboard.OFFSET) % dashboard.DAY
            where = f"{tp['rusun']} #{tp['terminal']}"
            taps.append({"pos": round(secs / dashboard.DAY * 100, 2), "flagged": tp["flagged"],
                         "time": i18n.fmt_time(tp["time"], ctx.lang), "where": where})  # fmt: skip
        timeline.append({**head, "taps": taps})
    cards = [
        {**c, "last_text": i18n.fmt_datetime(c["last_tap"], ctx.lang) if c["last_tap"] else "—"}
        for c in data["cards"]
    ]
    return ctx.render("resident.html", page="resident", res=res, cards=cards,
                      household=data["household"], timeline=timeline)  # fmt: skip


def terminals(ctx: Ctx) -> Response:
    rows = dashboard.terminal_health(ctx.web.c, ctx.at, ctx.scope)
    for r in rows:
        if r["last_seen"] is not None:
            r["ago"] = i18n.fmt_ago(max(0, ctx.at - r["last_seen"]), ctx.lang)
            r["last_seen_text"] = i18n.fmt_datetime(r["last_seen"], ctx.lang)
        if r["newest_record"] is not None:
            r["newest_text"] = i18n.fmt_datetime(r["newest_record"], ctx.lang)
    release = releases.newest(ctx.web.c)
    updates = releases.status(ctx.web.c, release["id"], ctx.scope) if release else []
    return ctx.render("terminals.html", page="terminals", terminals=rows,
                      silent_hours=dashboard.SILENT_AFTER_S // 3600,
                      endurance=wear.ENDURANCE_CYCLES, release=release,
                      updates=updates)  # fmt: skip


def _audit_rows(ctx: Ctx) -> list[dict]:
    q = ctx.request.query_params
    kind = q.get("kind") if q.get("kind") in ("view", "export", "change") else None
    who = (q.get("who") or "")[:100] or None
    assert ctx.user is not None
    if not audit.may_read(ctx.user):
        raise Refused(403)
    return audit.query(ctx.web.c, ctx.user, who=who, kind=kind, limit=1000)


def audit_page(ctx: Ctx) -> Response:
    rows = _audit_rows(ctx)
    for r in rows:
        r["at_text"] = i18n.fmt_datetime(r["at"], ctx.lang)
    q = ctx.request.query_params
    return ctx.render("audit.html", page="audit", rows=rows, who=q.get("who"),
                      kind=q.get("kind"), query=ctx.request.url.query)  # fmt: skip


def audit_csv(ctx: Ctx) -> Response:
    resp = Response(audit.to_csv(_audit_rows(ctx)), media_type="text/csv; charset=utf-8")
    resp.headers["Content-Disposition"] = 'attachment; filename="access-audit.csv"'
    return ctx.finish(resp)


def exports_page(ctx: Ctx) -> Response:
    return ctx.render("exports.html", page="exports", max_days=MAX_EXPORT_DAYS,
                      until=i18n.local_day(ctx.at).isoformat())  # fmt: skip


def _export_params(ctx: Ctx) -> tuple[str, int, dt.date]:
    """format, days (1-MAX_EXPORT_DAYS) and the window's last day (default the pages' day):
    anything else is a one-line 400, nothing silently clamped."""
    form = ctx.form
    fmt = str(form.get("format") or "csv")
    if fmt not in ("csv", "xlsx"):
        raise AdminError(f"format harus csv atau xlsx / format must be csv or xlsx: {fmt[:20]}")
    text = str(form.get("days") or "30").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_EXPORT_DAYS:
        raise AdminError(f"jumlah hari harus 1-{MAX_EXPORT_DAYS} / days must be "
                         f"1-{MAX_EXPORT_DAYS}: {text[:20]}")  # fmt: skip
    last = i18n.local_day(ctx.at)
    end = str(form.get("until") or "").strip()
    if end:
        try:
            last = dt.date.fromisoformat(end)
        except ValueError:
            raise AdminError(
                f"bukan tanggal (YYYY-MM-DD) / not a date (YYYY-MM-DD): {end[:20]}"
            ) from None
    return fmt, int(text), last


def export_file(ctx: Ctx) -> Response:
    what = ctx.request.path_params["what"]
    if what not in ("presence", "review"):
        raise Refused(404)
    fmt, days, last = _export_params(ctx)
    at = i18n.day_start(last) + 86400 - 1  # the window is exactly the days asked, to ``last``
    if what == "presence":
        first = last - dt.timedelta(days=days - 1)
        rows = dashboard.presence_rows(ctx.web.c, at, ctx.scope, days)
        table = exports.presence_table(rows, ctx.lang)
        name = f"hadir-presence-{first.isoformat()}_{last.isoformat()}.{fmt}"
    else:
        items, params, _period = dashboard.review_queue(ctx.web.c, at, ctx.scope)
        table = exports.review_table(items, params.not_seen_days, ctx.lang)
        name = f"hadir-review-{last.isoformat()}.{fmt}"
    if fmt == "csv":
        body, mime = exports.to_csv(table, ctx.lang), "text/csv; charset=utf-8"
    else:
        body = exports.to_xlsx(table, what)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    resp = Response(body, media_type=mime)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return ctx.finish(resp)


def mount(app: FastAPI) -> Web:
    """Add the dashboard to the collector ``app`` built by ``sync.app.create_app``. It uses the
    app's ``Collector`` (database, clock) and signs session cookies with a key derived from the
    master key (HMAC-SHA256 under a purpose label: the cookie key reveals nothing of it)."""
    collector: Collector = app.state.collector
    secret = hmac.new(app.state.settings.master_key, b"hadir-dashboard-session", "sha256")
    web = Web(collector, secret.digest(), app.state.throttle)
    routes: list[tuple[str, Handler, list[str], bool]] = [
        ("/login", login_form, ["GET"], False),
        ("/login", login_post, ["POST"], False),
        ("/logout", logout, ["POST"], True),
        ("/lang/{lang}", set_lang, ["GET"], False),
        ("/", overview, ["GET"], True),
        ("/rusun/{name}", rusun, ["GET"], True),
        ("/review", review, ["GET"], True),
        ("/review/mark", review_mark, ["POST"], True),
        ("/resident/{rid}", resident, ["GET"], True),
        ("/terminals", terminals, ["GET"], True),
        ("/exports", exports_page, ["GET"], True),
        ("/exports/{what}", export_file, ["POST"], True),
        ("/audit", audit_page, ["GET"], True),
        ("/audit.csv", audit_csv, ["GET"], True),
    ]
    from sync.web.casework import ROUTES as CASEWORK  # the register and the case work

    routes += [(path, handler, methods, True) for path, handler, methods in CASEWORK]
    app.add_api_route(PREFIX, lambda: RedirectResponse(PREFIX + "/", 308), methods=["GET"],
                      include_in_schema=False)  # fmt: skip
    for path, handler, methods, login in routes:
        app.add_api_route(PREFIX + path, web.page(handler, login), methods=methods,
                          include_in_schema=False)  # fmt: skip
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
    return web
