# The door sign: a PDF read back, both languages, built from the firmware's own patterns and words.
# SPDX-License-Identifier: MIT
import pypdf

from firmware import texts
from tests.kit.technician import cli
from tools import sign


def _text(path) -> tuple[int, str]:
    reader = pypdf.PdfReader(str(path))
    return len(reader.pages), " ".join(reader.pages[0].extract_text().split())


def test_the_sign_explains_every_outcome_in_indonesian_then_english(tmp_path):
    out = tmp_path / "pintu.pdf"
    r = cli(None, "sign", "--out", str(out), "--office", "Pengelola Rusun Marunda, 0812-555")
    assert r.exit_code == 0, r.output + r.stderr
    pages, text = _text(out)
    assert pages == 1
    english = text.index("What the attendance terminal's lights and sounds mean")
    indonesian, english_half = text[:english], text[english:]
    assert indonesian.startswith("Arti lampu dan bunyi terminal kehadiran")
    for lang, half in (("id", indonesian), ("en", english_half)):
        for msg in sign.ROWS:
            for words in (sign.light(msg, lang), sign.sound(msg, lang), texts.text(lang, msg),
                          sign.WORDS[lang]["meaning"][msg]):  # fmt: skip
                assert words in half, (lang, msg, words)
        assert "0812-555" in half
    # the words come from the firmware's table: what a resident meets when the log is full
    assert sign.light(texts.FULL, "id") == "merah berkedip tiga kali"
    assert sign.sound(texts.FULL, "id") == "satu bunyi panjang rendah"
    assert sign.light(texts.OK, "en") == "green" and sign.sound(texts.OK, "en") == (
        "one short high beep"
    )
    assert "TIDAK tercatat" in indonesian and "NOT recorded" in english_half


def test_a_sign_that_does_not_fit_is_refused_in_one_line(tmp_path):
    out = tmp_path / "pintu.pdf"
    r = cli(None, "sign", "--out", str(out), "--office", "nomor telepon " * 120)
    assert r.exit_code == 1
    assert r.stderr.startswith("hadir: papan pintu tidak muat (the door sign does not fit)")
    assert not out.exists()
