# sign: the door sign (PDF) that tells residents what the terminal's lights and sounds mean.
# SPDX-License-Identifier: MIT
"""``python -m tools sign --out pintu.pdf [--office "Pengelola Rusun Marunda, 0812-…"]``

One A4 page: Bahasa Indonesia on the top half, English on the bottom half, to print and hang
next to the terminal. Each row is one outcome of a tap: a swatch of the light's colour, the
light and the sound in words, the display's words and what the resident should do. The light
and sound words are derived from the firmware's own table (``firmware.feedback.PATTERNS``) and
the display's words are ``firmware.texts``, so the sign cannot drift from what the terminal
does. reportlab's standard fonts (Helvetica, WinAnsi) cover both languages; nothing is
fetched."""

from __future__ import annotations

import io
import os
import pathlib
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import Frame, Paragraph, Table, TableStyle

from firmware import feedback, texts
from tools import ui
from tools.errors import HadirError

ROWS = (texts.OK, texts.OFFLINE, texts.DENIED, texts.FULL, texts.READER)
COLOURS = {
    (0, 1, 0): ("hijau", "green", "#1fa34a"),
    (0, 1, 1): ("biru-hijau", "blue-green", "#19b3b3"),
    (1, 0, 0): ("merah", "red", "#d62828"),
    (1, 1, 0): ("kuning", "yellow", "#f2c200"),
}
_NUMBER = {"id": ("", "satu", "dua", "tiga", "empat"), "en": ("", "one", "two", "three", "four")}
WORDS = {
    "id": {
        "title": "Arti lampu dan bunyi terminal kehadiran",
        "intro": "Tempelkan kartu Anda di terminal. Terminal menjawab dengan lampu dan bunyi:",
        "head": ("", "Lampu", "Bunyi", "Layar", "Artinya"),
        "none": "Tidak ada lampu dan bunyi? Tempelkan kartu sekali lagi, rata di tengah. "
        "Jika tetap tidak ada: hubungi pengelola.",
        "office": "Pengelola",
        "blink": "{c} berkedip {n} kali",
        "then": "{c}, lalu kilatan {d}",
        "beep": "{n} bunyi {l} {p}",
        "short": "pendek",
        "long": "panjang",
        "pitch": ("rendah", "sedang", "tinggi"),
        "meaning": {
            texts.OK: "Kehadiran Anda tercatat. Terima kasih.",
            texts.OFFLINE: "Kehadiran Anda tercatat dan dikirim ke kantor nanti. "
            "Tidak perlu apa-apa.",
            texts.DENIED: "Kartu tidak terdaftar atau diblokir: kehadiran TIDAK dihitung. "
            "Hubungi pengelola.",
            texts.FULL: "TIDAK tercatat: terminal tidak dapat menyimpan. Hubungi pengelola.",
            texts.READER: "Kartu tidak terbaca: terminal rusak. Hubungi pengelola.",
        },
    },
    "en": {
        "title": "What the attendance terminal's lights and sounds mean",
        "intro": "Hold your card to the terminal. It answers with a light and a sound:",
        "head": ("", "Light", "Sound", "Display", "What it means"),
        "none": "No light and no sound? Hold the card flat on the middle once more. "
        "If still nothing: tell the housing office.",
        "office": "Housing office",
        "blink": "{c} blinking {n} times",
        "then": "{c}, then a short {d} flash",
        "beep": "{n} {l} {p} {b}",
        "short": "short",
        "long": "long",
        "pitch": ("low", "mid", "high"),
        "meaning": {
            texts.OK: "Your presence is recorded. Thank you.",
            texts.OFFLINE: "Your presence is recorded and sent to the office later. "
            "Nothing to do.",
            texts.DENIED: "Card not registered or blocked: your presence is NOT counted. "
            "Tell the housing office.",
            texts.FULL: "NOT recorded: the terminal cannot store it. Tell the housing office.",
            texts.READER: "The card cannot be read: the terminal is broken. "
            "Tell the housing office.",
        },
    },
}


def _runs(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out


def colours(msg: int) -> list[tuple[int, int, int]]:
    """The lit colours of the pattern, in order (consecutive repeats merged, dark left out)."""
    lit = _runs([step[:3] for step in feedback.PATTERNS[msg]])
    return [c for c in lit if c != (0, 0, 0)]


def light(msg: int, lang: str) -> str:
    w, lit = WORDS[lang], colours(msg)
    name = 0 if lang == "id" else 1
    first = COLOURS[lit[0]][name]
    if len(set(lit)) == 1:
        return first if len(lit) == 1 else w["blink"].format(c=first, n=_NUMBER[lang][len(lit)])
    return w["then"].format(c=first, d=COLOURS[lit[-1]][name])


def sound(msg: int, lang: str) -> str:
    """The beeps in words: how many, short or long, low, mid or high (all alike in a pattern)."""
    w = WORDS[lang]
    tones = [(hz, ms) for _, _, _, hz, ms in feedback.PATTERNS[msg] if hz]
    hz, ms = tones[0]
    pitch = w["pitch"][0 if hz < 800 else 1 if hz < 2000 else 2]
    length = w["long"] if ms >= 500 else w["short"]
    n = len(tones)
    beep = ("tone" if ms >= 500 else "beep") + ("s" if n > 1 else "")
    return w["beep"].format(n=_NUMBER[lang][n], l=length, p=pitch, b=beep)


def rows(lang: str) -> list[tuple[str, str, str, str, str]]:
    """(swatch colour, light, sound, display words, meaning) per outcome."""
    out = []
    for msg in ROWS:
        shown = f"{texts.text(lang, msg)} - {texts.second(lang, msg)}"
        out.append((COLOURS[colours(msg)[0]][2], light(msg, lang), sound(msg, lang), shown,
                    WORDS[lang]["meaning"][msg]))  # fmt: skip
    return out


def _swatch(hex_colour: str) -> Drawing:
    d = Drawing(9 * mm, 9 * mm)
    d.add(Circle(4.5 * mm, 4.5 * mm, 4 * mm, fillColor=colors.HexColor(hex_colour),
                 strokeColor=colors.black, strokeWidth=0.5))  # fmt: skip
    return d


def _half(lang: str, office: str | None) -> list[Any]:
    styles = getSampleStyleSheet()
    body = styles["BodyText"].clone("sign", fontSize=11, leading=13.5)
    title = styles["Title"].clone("signtitle", fontSize=19, leading=23, spaceAfter=4)
    w = WORDS[lang]
    table = Table(
        [[Paragraph(f"<b>{h}</b>", body) for h in w["head"]]]
        + [[_swatch(c)] + [Paragraph(t, body) for t in rest] for c, *rest in rows(lang)],
        colWidths=[12 * mm, 34 * mm, 32 * mm, 40 * mm, 60 * mm],
    )
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))  # fmt: skip
    flow = [Paragraph(w["title"], title), Paragraph(w["intro"], body), table,
            Paragraph(w["none"], body)]  # fmt: skip
    if office:
        flow.append(Paragraph(f"<b>{w['office']}:</b> {_latin(office)}", body))
    return flow


def _latin(text: str) -> str:
    """What the standard fonts can draw (WinAnsi); markup characters escaped."""
    from xml.sax.saxutils import escape

    return escape(text.encode("cp1252", "replace").decode("cp1252"))


def build(office: str | None = None) -> bytes:
    """The sign as PDF bytes: one A4 page, Indonesian above the fold line, English below."""
    buf = io.BytesIO()
    page_w, page_h = A4
    c = pdfcanvas.Canvas(buf, pagesize=A4)
    c.setTitle("hadir: arti lampu dan bunyi / what the lights and sounds mean")
    margin, half = 12 * mm, page_h / 2
    for lang, bottom in (("id", half), ("en", 0.0)):
        frame = Frame(margin, bottom + 6 * mm, page_w - 2 * margin, half - 12 * mm,
                      showBoundary=0)  # fmt: skip
        flow = _half(lang, office)
        frame.addFromList(flow, c)
        if flow:  # what did not fit would be lost silently: refuse instead
            raise ValueError(f"door sign: the {lang} half does not fit")
    c.setDash(4, 4)
    c.line(margin, half, page_w - margin, half)
    c.showPage()
    c.save()
    return buf.getvalue()


def do_sign(state: Any, args: Any) -> int:
    try:
        data = build(args.office)
    except ValueError as exc:
        raise HadirError("papan pintu tidak muat", "the door sign does not fit",
                         f"{exc}; --office lebih pendek / shorter") from None  # fmt: skip
    if args.dry_run:
        ui.console.print(f"dry-run: {len(data)} B; tidak ada yang ditulis / nothing written")
        return 0
    out = pathlib.Path(args.out)
    with open(out, "wb") as f:  # a missing folder or no permission: the frame's one line
        f.write(data)
    os.chmod(out, 0o644)
    ui.console.print(f"papan pintu / door sign: {out} (A4, {len(data) // 1024} KiB)")
    return 0
