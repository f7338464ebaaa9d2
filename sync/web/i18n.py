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
    "role.supervisor": ("pengawas", "supervisor"),
    "err.403": ("Akses ditolak", "Access refused"),
    "err.403.body": (
        "Akun Anda tidak berhak membuka halaman ini.",
        "Your account may not open this page.",
    ),
    "err.404": ("Tidak ditemukan", "Not found"),
    "err.400": ("Perubahan ditolak", "Change refused"),
    "err.back": ("Kembali", "Back"),
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
    "col.wear": ("Aus flash", "Flash wear"),
    "terminals.wear_years": ("± {y} tahun lagi", "± {y} years left"),
    "terminals.wear_none": ("belum terukur", "not measured yet"),
    "terminals.wear_note": (
        "Aus flash: hapus terbanyak satu sektor log; perkiraan tahun sampai {n} siklus hapus "
        "(ketahanan flash SPI NOR modul ESP32).",
        "Flash wear: most erases of one log sector; years projected to {n} erase cycles (the "
        "rated endurance of the ESP32 modules' SPI NOR flash).",
    ),
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
    "review.counts": (
        "{flats} unit di antrean, {cards} kartu terdaftar, {unknown} kartu tak terdaftar; "
        "{days} hari s.d. {end}",
        "{flats} flats on the queue, {cards} registered cards, {unknown} cards nobody registered; "
        "{days} days up to {end}",
    ),
    "review.filter": ("Saring", "Filter"),
    "review.all_rusun": ("semua rusun", "every rusun"),
    "review.all_reasons": ("semua alasan", "every reason"),
    "review.status.all": ("semua status", "every status"),
    "review.status.open": ("belum ditinjau", "not reviewed"),
    "review.status.done": ("sudah ditinjau", "reviewed"),
    "review.sort": ("Urutkan", "Sort"),
    "review.sort.rusun": ("menurut rusun", "by rusun"),
    "review.sort.reason": ("menurut alasan", "by reason"),
    "review.sort.status": ("menurut status", "by status"),
    "review.shown": ("{n} ditampilkan", "{n} shown"),
    "review.unknown.title": ("Kartu tak terdaftar", "Cards nobody registered"),
    "review.unknown.intro": (
        "Satu baris per kartu: kartu yang tidak dimiliki siapa pun di register, dikenali lewat "
        "tokennya di rusun itu.",
        "One row per card: cards nobody in the register holds, known by their token at that "
        "rusun.",
    ),
    "col.taps_days": ("Tap (hari)", "Taps (days)"),
    "col.first_last": ("Pertama – terakhir", "First – last"),
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
    "incident.silent": ("tidak ada kontak", "no contact"),
    "incident.outage": ("putus jaringan", "network outage"),
    "incident.refused": (
        "log penuh: tap ditolak, tidak tercatat",
        "log full: taps refused, not recorded",
    ),
    "incident.storage": ("log hampir penuh (80 %)", "log nearly full (80 %)"),
    "incident.reader": ("pembaca kartu di-reset", "card reader reset"),
    "incident.clock_jump": ("jam terminal melompat", "terminal clock jumped"),
    "incident.since": ("sejak {t}", "since {t}"),
    "incident.span": ("{a} s.d. {b} ({h} jam)", "{a} to {b} ({h} h)"),
    "incident.times": ("{n} kali, terakhir {t}", "{n} times, last {t}"),
    "incident.ongoing": ("masih berlangsung", "still going on"),
    "overview.action": (
        "Perlu tindakan ({days} hari terakhir)",
        "Needs action (last {days} days)",
    ),
    "data.stale": (
        "Data terakhir diterima {t}: halaman ini menunjukkan keadaan saat itu, bukan hari ini.",
        "The newest data is from {t}: these pages show that moment, not today.",
    ),
    "col.newest_record": ("Catatan terbaru (jam terminal)", "Newest record (terminal clock)"),
    "releases.title": (
        "Pembaruan perangkat lunak: rilis {id} ({version}), {wave}",
        "Software update: release {id} ({version}), {wave}",
    ),
    "releases.none": ("Belum ada rilis.", "No release yet."),
    "releases.col.state": ("Status pembaruan", "Update state"),
    "releases.col.chunks": ("Potongan diunduh", "Chunks fetched"),
    "releases.canary": ("kenari", "canary"),
    "release.wave.canary": ("gelombang kenari", "canary wave"),
    "release.wave.all": ("semua terminal", "all terminals"),
    "release.wave.paused": ("dijeda", "paused"),
    "release.wave.halted": ("dihentikan: kenari gagal", "halted: a canary failed"),
    "release.state.waiting": ("menunggu gelombang", "waiting for its wave"),
    "release.state.offered": ("ditawarkan", "offered"),
    "release.state.downloading": ("mengunduh", "downloading"),
    "release.state.installed": ("terpasang", "installed"),
    "release.state.refused": ("ditolak (tanda tangan/hash)", "refused (signature/hash)"),
    "release.state.rolled_back": ("dikembalikan ke versi lama", "rolled back"),
    "release.state.no_room": (
        "ruang tidak cukup: perlu {need} blok, kosong {free}; versi lama tetap",
        "no room: needs {need} blocks, {free} free; old version kept",
    ),
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
    "exports.until": ("Sampai tanggal", "Up to"),
    "exports.csv": ("Unduh CSV", "Download CSV"),
    "exports.xlsx": ("Unduh XLSX", "Download XLSX"),
    "card.active": ("aktif", "active"),
    "card.revoked": ("dicabut", "revoked"),
    "card.lost": ("hilang", "lost"),
    "common.today": ("hari ini", "today"),
    "common.yes": ("ya", "yes"),
    "common.none": ("—", "—"),
    "common.all_rusun": ("Semua rusun", "All rusun"),
    "common.updated": ("Data per {time}", "Data as of {time}"),
    "common.days": ("{n} hari", "{n} days"),
    "common.hours_ago": ("{n} jam lalu", "{n} h ago"),
    "common.minutes_ago": ("{n} menit lalu", "{n} min ago"),
    "common.days_ago": ("{n} hari lalu", "{n} days ago"),
}
# The register and the case work (docs/cases.md).
CASEWORK: dict[str, tuple[str, str]] = {
    "nav.register": ("Registrasi", "Registration"),
    "nav.cases": ("Kasus", "Cases"),
    "nav.visits": ("Kunjungan", "Visits"),
    "nav.normal": ("Izin & ambang", "Leave & thresholds"),
    "nav.audit": ("Jejak akses", "Access audit"),
    "audit.title": ("Jejak akses data pribadi", "Access audit of personal data"),
    "audit.note": (
        "Setiap tampilan halaman warga, ekspor, dan perubahan: siapa, kapan, apa, dari mana.",
        "Every view of a resident's page, every export and change: who, when, what, from where.",
    ),
    "audit.filter": ("Saring", "Filter"),
    "audit.col.at": ("Waktu (UTC)", "Time (UTC)"),
    "audit.col.user": ("Pengguna", "User"),
    "audit.col.via": ("Lewat", "Via"),
    "audit.col.peer": ("Alamat", "Address"),
    "audit.col.kind": ("Jenis", "Kind"),
    "audit.col.action": ("Tindakan", "Action"),
    "audit.col.target": ("Sasaran", "Target"),
    "audit.kind.view": ("lihat", "view"),
    "audit.kind.export": ("ekspor", "export"),
    "audit.kind.change": ("ubah", "change"),
    "evidence.honest": (
        "Tap adalah petunjuk, bukan bukti. Kartu bisa dipinjam, lupa dibawa, atau terminal mati; "
        "hanya kunjungan lapangan yang memastikan siapa yang tinggal di unit.",
        "Taps are evidence, never proof. A card can be lent or left at home, a terminal can be "
        "down; only a field visit establishes who lives in a flat.",
    ),
    "reg.title": ("Kemajuan registrasi kartu", "Card registration progress"),
    "reg.intro": (
        "Penghuni dengan kartu aktif dibanding penghuni dalam daftar penghuni (register) kantor.",
        "Residents with an active card against residents in the office's tenant register.",
    ),
    "reg.city": ("Seluruh kota", "City-wide"),
    "reg.per_district": ("Per wilayah", "Per district"),
    "reg.per_rusun": ("Per rusun", "Per rusun"),
    "reg.unregistered": (
        "Unit tanpa kartu terdaftar: {rusun}",
        "Flats without a card: {rusun}",
    ),
    "reg.unregistered.intro": (
        "Unit berpenghuni yang anggotanya belum punya kartu aktif: undang ke meja pendaftaran.",
        "Occupied flats whose members have no active card yet: invite them to the enrollment "
        "desk.",
    ),
    "reg.none_missing": (
        "Semua unit berpenghuni punya kartu.",
        "Every occupied flat has a card.",
    ),
    "col.district": ("Wilayah", "District"),
    "col.in_register": ("Dalam register", "In the register"),
    "col.with_card": ("Berkartu", "With a card"),
    "col.percent": ("Persen", "Percent"),
    "col.flats": ("Unit berpenghuni", "Occupied flats"),
    "col.flats_without_card": ("Unit tanpa kartu", "Flats without a card"),
    "col.flats_vacant": ("Unit kosong", "Vacant flats"),
    "col.block": ("Blok", "Block"),
    "col.lease_holder": ("Pemegang sewa", "Lease holder"),
    "col.members": ("Anggota", "Members"),
    "col.relation": ("Hubungan", "Relation"),
    "col.since": ("Sejak", "Since"),
    "col.kind": ("Jenis", "Kind"),
    "col.detail": ("Rincian", "Detail"),
    "col.rule": ("Aturan", "Rule"),
    "col.flags": ("Ditandai", "Flagged"),
    "col.visited": ("Dikunjungi", "Visited"),
    "col.confirmed": ("Terkonfirmasi", "Confirmed"),
    "col.precision": ("Presisi lapangan", "Field precision"),
    "col.interval": ("Rentang 95 %", "95 % interval"),
    "col.case": ("Kasus", "Case"),
    "col.state": ("Tahap", "Step"),
    "col.outcome": ("Hasil", "Outcome"),
    "col.letter": ("Nomor surat", "Letter number"),
    "col.risk": ("Risiko", "Risk"),
    "col.why": ("Alasan", "Why"),
    "col.first": ("Tap pertama", "First tap"),
    "col.last": ("Tap terakhir", "Last tap"),
    "col.night": ("Malam", "Night"),
    "col.seen": ("Terlihat", "Seen"),
    "col.expected": ("Diharapkan", "Expected"),
    "col.week": ("Minggu", "Week"),
    "col.days": ("Hari", "Days"),
    "col.days_present": ("Hari hadir", "Days present"),
    "col.nights": ("Malam hadir", "Nights present"),
    "col.value": ("Nilai rusun", "Rusun value"),
    "col.default": ("Bawaan", "Default"),
    "col.range": ("Rentang", "Range"),
    "col.meaning": ("Arti", "Meaning"),
    "col.name": ("Nama", "Name"),
    "col.file": ("Berkas", "File"),
    "col.size": ("Ukuran", "Size"),
    "flat.title": ("Unit {unit}", "Flat {unit}"),
    "flat.lease": ("No. SPS {lease}, sewa sejak {since}", "Lease {lease}, since {since}"),
    "flat.household": ("Anggota keluarga", "Household"),
    "flat.visitors": ("Pengunjung tetap dan pendamping", "Regular visitors and carers"),
    "flat.cards": ("Kartu yang tap untuk unit ini", "Cards that tap for this flat"),
    "flat.trail": ("Riwayat register", "Register history"),
    "flat.cases": ("Kasus", "Cases"),
    "flat.absences": ("Izin", "Leave (izin)"),
    "flat.evidence": ("Petunjuk dari tap, {days} hari", "What the taps show, {days} days"),
    "flat.nights": (
        "{n} dari {days} malam dengan tap keluarga",
        "{n} of {days} nights with a household tap",
    ),
    "flat.seen": (
        "Anggota terlihat: {seen} dari {expected} yang diharapkan",
        "Members seen: {seen} of {expected} expected",
    ),
    "flat.weeks": ("Perubahan per minggu", "Change week by week"),
    "flat.days": ("Tap pertama dan terakhir per hari", "First and last tap per day"),
    "flat.no_evidence": (
        "Belum ada data tap untuk unit ini.",
        "No tap data for this flat yet.",
    ),
    "flat.review": ("Alasan tinjauan saat ini", "Current review reasons"),
    "flat.actions": ("Perubahan (admin)", "Changes (admin)"),
    "flat.saved": ("Perubahan disimpan.", "Change saved."),
    "status.occupied": ("berpenghuni", "occupied"),
    "status.vacant": ("kosong", "vacant"),
    "status.sealed": ("disegel", "sealed"),
    "person.active": ("aktif", "active"),
    "person.moved_out": ("pindah", "moved out"),
    "person.deceased": ("meninggal", "deceased"),
    "kind.member": ("anggota", "member"),
    "kind.visitor": ("pengunjung tetap", "regular visitor"),
    "kind.carer": ("pendamping", "carer"),
    "relation.head": ("kepala keluarga", "head"),
    "relation.spouse": ("suami/istri", "spouse"),
    "relation.child": ("anak", "child"),
    "relation.parent": ("orang tua", "parent"),
    "relation.other": ("lainnya", "other"),
    "card.lost": ("hilang (diblokir)", "lost (blocked)"),
    "card.revoked": ("dicabut", "revoked"),
    "lease.holder": ("pemegang sewa", "lease holder"),
    "event.flat_added": ("unit masuk register", "flat entered the register"),
    "event.flat_updated": ("data unit diubah", "flat details changed"),
    "event.flat_vacant": ("unit dikosongkan", "flat vacated"),
    "event.flat_sealed": ("unit disegel", "flat sealed"),
    "event.flat_relet": ("unit disewakan lagi", "flat re-let"),
    "event.registered": ("terdaftar", "registered"),
    "event.person_updated": ("data penghuni diubah", "person's details changed"),
    "event.moved_out": ("pindah", "moved out"),
    "event.deceased": ("meninggal", "deceased"),
    "event.visitor_added": ("pengunjung tetap didaftarkan", "regular visitor registered"),
    "event.carer_added": ("pendamping didaftarkan", "carer registered"),
    "event.card_enrolled": ("kartu didaftarkan", "card enrolled"),
    "event.card_lost": ("kartu hilang, diblokir", "card lost, blocked"),
    "event.card_revoked": ("kartu dicabut", "card revoked"),
    "event.card_replaced": ("kartu pengganti", "replacement card"),
    "event.absence": ("izin", "leave (izin)"),
    "event.absence_cancelled": ("izin dibatalkan", "leave cancelled"),
    "action.move_out": ("Catat pindah", "Record move-out"),
    "action.deceased": ("Catat meninggal", "Record death"),
    "action.card_lost": ("Kartu hilang", "Card lost"),
    "action.vacate": ("Kosongkan unit", "Vacate the flat"),
    "action.relet": ("Sewakan lagi", "Re-let"),
    "action.add_member": ("Tambah anggota", "Add a member"),
    "action.add_visitor": ("Daftarkan pengunjung/pendamping", "Register a visitor or carer"),
    "action.absence": ("Catat izin", "Record leave"),
    "action.open_case": ("Buka kasus", "Open a case"),
    "form.date": ("Tanggal", "Date"),
    "form.first": ("Dari", "From"),
    "form.last": ("Sampai", "Until"),
    "form.note": ("Catatan", "Note"),
    "form.person": ("Penghuni", "Person"),
    "form.save": ("Simpan", "Save"),
    "form.id": ("ID penghuni", "Resident id"),
    "cases.title": ("Kasus verifikasi lapangan", "Field verification cases"),
    "cases.intro": (
        "Setiap tanda menjadi kasus: dijadwalkan, dikunjungi, lalu teguran, SP1-SP3, disegel "
        "atau selesai. Surat hanya setelah kunjungan menemukan penghuni lain atau unit kosong.",
        "Every flag becomes a case: scheduled, visited, then a warning, SP1-SP3, sealed, or "
        "cleared. Letters only after a visit found other occupants or an empty flat.",
    ),
    "cases.precision": ("Presisi lapangan per aturan", "Field precision per rule"),
    "cases.precision.intro": (
        "Dari hasil kunjungan yang tercatat: terkonfirmasi = penghuni lain atau unit kosong. "
        "Angka kecil berarti rentang lebar; sampel acak memperkirakan yang tidak tertandai.",
        "From the recorded visit outcomes: confirmed = other occupants or an empty flat. Few "
        "visits mean a wide interval; the random sample estimates what the review misses.",
    ),
    "cases.all_flags": ("Semua tanda", "All flags"),
    "cases.sample": ("Sampel acak (tidak ditandai)", "Random sample (not flagged)"),
    "cases.none": ("Belum ada kasus.", "No cases yet."),
    "cases.open_only": ("Kasus terbuka", "Open cases"),
    "case.title": ("Kasus #{id}: {unit}", "Case #{id}: {unit}"),
    "case.steps": ("Langkah", "Steps"),
    "case.next": ("Langkah berikutnya", "Next step"),
    "case.files": ("Lampiran", "Attachments"),
    "case.attach": (
        "Lampirkan foto atau PDF (maks. 5 MB)",
        "Attach a photo or PDF (max. 5 MB)",
    ),
    "case.pack": ("Paket bukti", "Evidence pack"),
    "case.saved": ("Langkah disimpan.", "Step saved."),
    "case.closed": ("Kasus ditutup.", "The case is closed."),
    "state.flagged": ("ditandai", "flagged"),
    "state.visit_scheduled": ("kunjungan dijadwalkan", "visit scheduled"),
    "state.visited": ("dikunjungi", "visited"),
    "state.teguran": ("teguran", "warning (teguran)"),
    "state.sp1": ("SP1", "SP1"),
    "state.sp2": ("SP2", "SP2"),
    "state.sp3": ("SP3", "SP3"),
    "state.sealed": ("disegel", "sealed"),
    "state.vacated": ("dikosongkan", "vacated"),
    "state.cleared": ("selesai, tanpa tindakan", "cleared"),
    "outcome.tenant_found": ("keluarga penyewa ada", "tenant household found"),
    "outcome.others_found": ("penghuni lain", "other occupants found"),
    "outcome.empty": ("unit kosong", "flat empty"),
    "outcome.no_answer": ("tidak ada jawaban", "no answer"),
    "source.flag": ("tanda tinjauan", "review flag"),
    "source.sample": ("sampel acak", "random sample"),
    "source.manual": ("manual", "manual"),
    "visits.title": ("Daftar kunjungan", "Visit lists"),
    "visits.plan": ("Buat daftar kunjungan", "Make a visit list"),
    "visits.sample": ("Sampel acak", "Random sample"),
    "visits.limit": ("Maks. unit ditandai", "Flagged flats at most"),
    "visits.list": ("Kunjungan {rusun}, {day}", "Visits {rusun}, {day}"),
    "visits.flagged": ("Unit ditandai, risiko tertinggi dulu", "Flagged flats, highest risk"),
    "visits.routine": (
        "Kunjungan rutin (sampel acak unit yang tidak ditandai)",
        "Routine visits (a random sample of flats not flagged)",
    ),
    "visits.routine.why": (
        "Sampel ini mengukur seberapa sering tinjauan melewatkan unit yang disewakan.",
        "This sample measures how often the review misses a sublet flat.",
    ),
    "visits.pdf": ("Cetak PDF", "Print PDF"),
    "visits.record": ("Catat hasil", "Record outcome"),
    "visits.none": ("Belum ada daftar kunjungan.", "No visit lists yet."),
    "visits.sign": (
        "Petugas: ____________  Tanda tangan: ____________",
        "Officer: ____________  Signature: ____________",
    ),
    "visits.saved": ("Hasil kunjungan disimpan.", "Visit outcome saved."),
    "normal.title": ("Izin, hari libur, ambang", "Leave, holidays, thresholds"),
    "normal.intro": (
        "Yang wajar tidak boleh menimbulkan tanda: izin penghuni, hari libur, pengunjung tetap, "
        "dan ambang per rusun. Setiap perubahan tercatat.",
        "What is normal must not raise a flag: residents' leave, holidays, regular visitors, "
        "and each rusun's thresholds. Every change is kept.",
    ),
    "normal.holidays": ("Hari libur", "Holidays"),
    "normal.absences": ("Izin penghuni", "Residents' leave"),
    "normal.thresholds": ("Ambang tinjauan: {rusun}", "Review thresholds: {rusun}"),
    "normal.all_rusun": ("semua rusun", "every rusun"),
    "absence.travel": ("perjalanan", "travel"),
    "absence.hospital": ("rumah sakit", "hospital"),
    "absence.mudik": ("mudik", "mudik"),
    "absence.work": ("pekerjaan", "work"),
    "absence.other": ("lainnya", "other"),
    "absence.cancelled": ("dibatalkan", "cancelled"),
    "pack.title": ("Paket bukti: {rusun} {unit}", "Evidence pack: {rusun} {unit}"),
    "pack.records": ("Rekaman tap ({n})", "Tap records ({n})"),
    "pack.verification": (
        "Setiap rekaman di bawah diterima kolektor dalam blok yang segel MAC-nya terverifikasi "
        "dengan kunci terminal itu dan tersambung ke blok sebelumnya; rekaman tidak dapat diubah "
        "tanpa ketahuan. Waktu bertanda * diturunkan mundur dari jangkar jam berikutnya; "
        "bertanda ! tercatat dengan lompatan jam.",
        "Each record below reached the collector in a block whose seal MAC verified under that "
        "terminal's key and chains to the block before it; a record cannot be changed unnoticed. "
        "Times marked * were dated backward from a later clock anchor; ! marks a clock jump.",
    ),
    "pack.generated": ("Dibuat {time} oleh {user}", "Generated {time} by {user}"),
    "pack.timeline": ("Riwayat kasus dan register", "Case and register history"),
    "pack.presence": ("Kehadiran per malam", "Presence per night"),
}
MESSAGES.update(CASEWORK)
# The review reasons' titles are the detector's (sync/review/texts.py), shared with the reports.
MESSAGES.update({"reason." + r: text for r, text in review.TEXT.items()})


def t(lang: str, key: str, **args: object) -> str:
    """The message ``key`` in ``lang`` (falls back to Indonesian, then the key itself)."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**args) if args else text


def reason(lang: str, code: str) -> str:
    """A review reason's short title; the code itself for one without a title."""
    text = t(lang, "reason." + code, n="")
    return code if text == "reason." + code else " ".join(text.split())


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
