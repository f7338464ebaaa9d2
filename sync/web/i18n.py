# i18n: the dashboard's messages in Bahasa Indonesia (default) and English; Jakarta date formats.
# SPDX-License-Identifier: MIT
"""``t(lang, key, **args)`` looks a message up; ``fmt_*`` format Unix times in Asia/Jakarta.

Indonesian formats follow everyday government usage: ``Selasa, 1 Desember 2026 07.15`` (a full
stop between hours and minutes, day before month, no leading zero on the day), thousands with a
full stop (``13.731``), decimals with a comma (``0,95``). Asia/Jakarta is UTC+7 all year (no
daylight saving), so a fixed offset is exact and needs no tz database.
"""

import datetime as dt

from firmware import wire
from sync import review

LANGS = ("id", "en")
DEFAULT_LANG = "id"
JAKARTA = dt.timezone(dt.timedelta(minutes=wire.UTC_OFFSET_MIN), "WIB")

_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_DAYS_SHORT = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip
_MONTHS_SHORT = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

# key: (Bahasa Indonesia, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("hadir — Kehadiran Rusun", "hadir — Rusun attendance"),
    "nav.overview": ("Ringkasan", "Overview"),
    "nav.review": ("Antrean tinjauan", "Review queue"),
    "nav.terminals": ("Terminal", "Terminals"),
    "nav.exports": ("Ekspor", "Exports"),
    "nav.rusun": ("Rusun", "Rusun"),
    "nav.logout": ("Keluar", "Log out"),
    "lang.switch": ("English", "Bahasa Indonesia"),
    "login.title": ("Masuk", "Log in"),
    "login.user": ("Nama pengguna", "User name"),
    "login.password": ("Kata sandi", "Password"),
    "login.submit": ("Masuk", "Log in"),
    "login.failed": ("Nama pengguna atau kata sandi salah.", "Wrong user name or password."),
    "login.throttled": (
        "Terlalu banyak percobaan yang salah. Coba lagi dalam 15 menit.",
        "Too many wrong attempts. Try again in 15 minutes.",
    ),
    "role.admin": ("admin", "admin"),
    "role.viewer": ("pemantau", "viewer"),
    "err.403": ("Akses ditolak", "Access refused"),
    "err.403.body": (
        "Akun Anda tidak berhak membuka halaman ini.",
        "Your account may not open this page.",
    ),
    "err.404": ("Tidak ditemukan", "Not found"),
    "err.csrf": (
        "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        "The form expired or is not valid. Reload the page and try again.",
    ),
    "overview.title": ("Ringkasan hari ini", "Today at a glance"),
    "overview.taps_today": ("Tap hari ini", "Taps today"),
    "overview.residents_today": ("Penghuni hadir hari ini", "Residents seen today"),
    "overview.registered": ("Penghuni terdaftar", "Registered residents"),
    "overview.chart": ("Tap per hari, 30 hari terakhir", "Taps per day, last 30 days"),
    "overview.per_rusun": ("Tap hari ini per rusun", "Taps today per rusun"),
    "overview.attention": ("Terminal yang perlu perhatian", "Terminals needing attention"),
    "overview.all_ok": ("Semua terminal sehat.", "All terminals are healthy."),
    "overview.incomplete": ("data belum lengkap", "data incomplete"),
    "overview.incomplete.long": (
        "Ada terminal yang belum mengirim data; tap yang tersimpan di terminal belum terlihat.",
        "A terminal has not sent its data; taps stored on it are not shown yet.",
    ),
    "overview.review_open": ("Menunggu tinjauan", "Awaiting review"),
    "col.rusun": ("Rusun", "Rusun"),
    "col.taps": ("Tap", "Taps"),
    "col.residents": ("Penghuni", "Residents"),
    "col.seen": ("Hadir", "Seen"),
    "col.units": ("Unit", "Units"),
    "col.unit": ("Unit", "Unit"),
    "col.resident": ("Penghuni", "Resident"),
    "col.subject": ("Subjek", "Subject"),
    "col.reasons": ("Alasan", "Reasons"),
    "col.status": ("Status", "Status"),
    "col.action": ("Tindakan", "Action"),
    "col.terminal": ("Terminal", "Terminal"),
    "col.door": ("Pintu", "Door"),
    "col.last_seen": ("Terakhir terhubung", "Last seen"),
    "col.backlog": ("Antrean data", "Backlog"),
    "col.recoveries": ("Pemulihan pembaca", "Reader recoveries"),
    "col.clock": ("Mutu jam", "Clock quality"),
    "col.storage": ("Penyimpanan", "Storage"),
    "col.firmware": ("Firmware", "Firmware"),
    "col.alarms": ("Alarm", "Alarms"),
    "col.card": ("Kartu", "Card"),
    "col.card_status": ("Status kartu", "Card status"),
    "col.time": ("Waktu", "Time"),
    "col.note": ("Catatan", "Note"),
    "col.by": ("Oleh", "By"),
    "col.date": ("Tanggal", "Date"),
    "col.last_tap": ("Tap terakhir", "Last tap"),
    "rusun.title": ("Rusun {name}", "Rusun {name}"),
    "rusun.heat": (
        "Kehadiran per unit, {days} hari terakhir",
        "Presence per unit, last {days} days",
    ),
    "rusun.legend": (
        "Angka = jumlah penghuni unit yang tap hari itu, warna = bagian dari anggota keluarga.",
        "Number = residents of the unit who tapped that day, colour = share of the household.",
    ),
    "rusun.none": ("tidak ada", "nobody"),
    "rusun.some": ("kurang dari separuh", "less than half"),
    "rusun.most": ("separuh atau lebih", "half or more"),
    "rusun.all": ("seluruh anggota", "everyone"),
    "resident.legend": (
        "Setiap garis = satu tap. Merah = di rusun lain, ditolak, atau petunjuk kloning.",
        "Each mark = one tap. Red = at another rusun, refused, or a clone hint.",
    ),
    "rusun.honest": (
        "Tidak ada tap bukan bukti tidak tinggal: kartu bisa lupa dibawa, terminal bisa mati. "
        "Periksa kesehatan terminal sebelum menyimpulkan.",
        "No tap is not proof of absence: a card can be left at home, a terminal can be down. "
        "Check terminal health before drawing conclusions.",
    ),
    "review.title": ("Antrean tinjauan: dugaan alih sewa", "Review queue: possible subletting"),
    "review.intro": (
        "Daftar ini berisi petunjuk, bukan bukti. Kunjungi unit dan catat hasilnya sebelum "
        "mengambil tindakan.",
        "These are hints, not proof. Visit the unit and record the outcome before acting.",
    ),
    "review.open": ("Belum ditinjau", "Not reviewed"),
    "review.done": ("Sudah ditinjau", "Reviewed"),
    "review.mark": ("Tandai sudah ditinjau", "Mark reviewed"),
    "review.add_note": ("Tambah catatan", "Add a note"),
    "review.note": ("Catatan kunjungan", "Visit note"),
    "review.trail": ("Riwayat tinjauan", "Review history"),
    "review.empty": ("Tidak ada yang perlu ditinjau.", "Nothing to review."),
    "review.saved": ("Tinjauan disimpan.", "Review saved."),
    "review.period": ("Periode: {start} – {end}", "Period: {start} – {end}"),
    "subject.unit": ("Unit", "Unit"),
    "subject.card": ("Kartu", "Card"),
    "subject.unknown": ("kartu tak dikenal", "unknown card"),
    "resident.title": ("Penghuni {name}", "Resident {name}"),
    "resident.timeline": ("Linimasa kehadiran, {days} hari", "Presence timeline, {days} days"),
    "resident.cards": ("Kartu", "Cards"),
    "resident.no_taps": ("Tidak ada tap.", "No taps."),
    "resident.household": ("Anggota keluarga di unit {unit}", "Household members in unit {unit}"),
    "terminals.title": ("Kesehatan terminal", "Terminal health"),
    "terminals.missing": ("{n} slot belum diterima", "{n} slots missing"),
    "terminals.jumps": ("{n} lompatan jam", "{n} clock jumps"),
    "terminals.undated": ("{n} rekaman tanpa waktu", "{n} undated records"),
    "terminals.never": ("belum pernah", "never"),
    "alarm.silent": ("terminal diam", "silent terminal"),
    "alarm.silent.long": (
        "tidak terhubung lebih dari {h} jam",
        "no contact for more than {h} hours",
    ),
    "alarm.no_peak": ("tidak ada tap pagi", "no taps in the morning peak"),
    "alarm.no_peak.long": (
        "tidak ada tap pada jam sibuk pagi (05.00–09.00) hari ini",
        "no taps in this morning's peak (05.00–09.00)",
    ),
    "alarm.storage": ("penyimpanan hampir penuh", "storage nearly full"),
    "alarm.clock": ("jam belum diatur", "clock not set"),
    "alarm.reader": ("pembaca sering dipulihkan", "reader often recovered"),
    "alarm.held": ("waktu catatan ditahan", "record times held back"),
    "alarm.fork": ("kunci terminal disalin", "terminal key copied"),
    "clock.0": ("belum diatur", "not set"),
    "clock.1": ("NTP", "NTP"),
    "clock.2": ("dari kolektor", "from collector"),
    "clock.3": ("RTC", "RTC"),
    "exports.title": ("Ekspor data", "Export data"),
    "exports.presence": ("Kehadiran harian per penghuni", "Daily presence per resident"),
    "exports.review": ("Antrean tinjauan", "Review queue"),
    "exports.privacy": (
        "Berkas berisi nama penghuni (data pribadi). Simpan di perangkat kantor saja, jangan "
        "dikirim lewat aplikasi pesan. Nomor kartu tidak pernah diekspor.",
        "Files contain residents' names (personal data). Keep them on office devices only, do "
        "not send them through chat apps. Card numbers are never exported.",
    ),
    "exports.days": ("Jumlah hari", "Number of days"),
    "exports.csv": ("Unduh CSV", "Download CSV"),
    "exports.xlsx": ("Unduh XLSX", "Download XLSX"),
    "card.active": ("aktif", "active"),
    "card.revoked": ("dicabut", "revoked"),
    "card.lost": ("hilang", "lost"),
    "common.today": ("hari ini", "today"),
    "common.none": ("—", "—"),
    "common.all_rusun": ("Semua rusun", "All rusun"),
    "common.updated": ("Data per {time}", "Data as of {time}"),
    "common.days": ("{n} hari", "{n} days"),
    "common.hours_ago": ("{n} jam lalu", "{n} h ago"),
    "common.minutes_ago": ("{n} menit lalu", "{n} min ago"),
    "common.days_ago": ("{n} hari lalu", "{n} days ago"),
}
# The review reasons' texts are the collector's (sync/review.py), shared with its CSV report.
MESSAGES.update({"reason." + r: text for r, text in review.TEXT.items()})


def t(lang: str, key: str, **args: object) -> str:
    """The message ``key`` in ``lang`` (falls back to Indonesian, then the key itself)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**args) if args else text


def local(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, JAKARTA)


def fmt_time(ts: float, lang: str = DEFAULT_LANG) -> str:
    d = local(ts)
    return f"{d.hour:02d}.{d.minute:02d}" if lang == "id" else f"{d.hour:02d}:{d.minute:02d}"


def fmt_date(ts: float, lang: str = DEFAULT_LANG, weekday: bool = True) -> str:
    d = local(ts)
    day = _DAYS[lang][d.weekday()] + ", " if weekday else ""
    if lang == "en":
        return f"{day}{d.day} {_MONTHS['en'][d.month - 1]} {d.year}"
    return f"{day}{d.day} {_MONTHS['id'][d.month - 1]} {d.year}"


def fmt_datetime(ts: float, lang: str = DEFAULT_LANG) -> str:
    """``Selasa, 1 Desember 2026 07.15`` / ``Tuesday, 1 December 2026 07:15``."""
    return f"{fmt_date(ts, lang)} {fmt_time(ts, lang)}"


def fmt_day_short(day: dt.date, lang: str = DEFAULT_LANG) -> str:
    """``Sel 1/12`` style column heads for heat maps and charts: ``1 Des``."""
    return f"{day.day} {_MONTHS_SHORT[lang][day.month - 1]}"


def month_short(day: dt.date, lang: str = DEFAULT_LANG) -> str:
    return _MONTHS_SHORT[lang][day.month - 1]


def weekday_short(day: dt.date, lang: str = DEFAULT_LANG) -> str:
    return _DAYS_SHORT[lang][day.weekday()]


def fmt_int(n: int, lang: str = DEFAULT_LANG) -> str:
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "id" else s


def fmt_ago(seconds: float, lang: str = DEFAULT_LANG) -> str:
    if seconds < 3600:
        return t(lang, "common.minutes_ago", n=max(0, int(seconds // 60)))
    if seconds < 2 * 86400:
        return t(lang, "common.hours_ago", n=int(seconds // 3600))
    return t(lang, "common.days_ago", n=int(seconds // 86400))


def local_day(ts: float) -> dt.date:
    return local(ts).date()


def day_start(day: dt.date) -> int:
    """Unix time of 00.00 in Jakarta on ``day``."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=JAKARTA).timestamp())


def date_of_day(d: int) -> dt.date:
    """The calendar date of local day number ``d`` (``(t + 7 h) // 1 day``)."""
    return dt.date(1970, 1, 1) + dt.timedelta(days=d)
