# flash: hadir's partition table in ESP-IDF's binary format; firmware checked; hlog kept.
# SPDX-License-Identifier: MIT
import hashlib
import re
import struct
import tempfile

import pytest

from firmware import wire
from firmware.log import Log
from tests.kit.esp32 import firmware, reseal
from tests.kit.paths import DOCS
from tests.kit.technician import cli
from tools import flash, parttable
from tools.sim.flash import NorFlash

# The 160 meaningful bytes at 0x8000 of the official MicroPython v1.25.0 ESP32_GENERIC image
# (made by ESP-IDF's gen_esp32part.py): four entries, the MD5 entry; FF up to 0xC00 after it.
STOCK_V125 = bytes.fromhex(
    "aa50010200900000006000006e76730000000000000000000000000000000000"
    "aa50010100f00000001000007068795f696e6974000000000000000000000000"
    "aa5000000000010000001f00666163746f727900000000000000000000000000"
    "aa50018100002000000020007666730000000000000000000000000000000000"
    "ebebfffffffffffffffffffffffffffffcbb2b925747711e3b24bc188f657bac"
)
HLOG = parttable.by_label(parttable.hadir(), "hlog")
VFS = parttable.by_label(parttable.hadir(), "vfs")


def test_stock_table_comes_out_byte_for_byte_as_esp_idf_made_it():
    data = parttable.to_binary(parttable.STOCK)
    assert data == STOCK_V125 + b"\xff" * (0xC00 - len(STOCK_V125))
    assert parttable.from_binary(data) == parttable.STOCK


def test_table_out_needs_no_device_and_is_the_csv_in_esp_idf_format(tmp_path):
    out = tmp_path / "pt.bin"
    r = cli(None, "flash", "--table-out", str(out))
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert len(data) == 0xC00
    rows = [ln for ln in parttable.CSV.read_text().splitlines() if ln and ln[0] != "#"]
    n = len(rows)
    for i, row in enumerate(rows):
        magic, t, sub, offset, size, label, flags = struct.unpack_from("<2sBBII16sI", data, 32 * i)
        name, kind, subtype, at, length = (c.strip() for c in row.split(","))
        assert magic == b"\xaa\x50" and label.rstrip(b"\0").decode() == name and flags == 0
        assert (t, offset, size) == (parttable.TYPES[kind], int(at, 16), int(length, 16))
        assert sub == parttable.SUBTYPES[t].get(
            subtype, int(subtype, 0) if subtype[0] == "0" else -1
        )
    md5 = data[32 * n : 32 * n + 32]
    assert md5[:16] == b"\xeb\xeb" + b"\xff" * 14
    assert md5[16:] == hashlib.md5(data[: 32 * n]).digest()
    assert data[32 * (n + 1) :] == b"\xff" * (0xC00 - 32 * (n + 1))  # the end marker and padding
    assert parttable.from_binary(data) == parttable.hadir()


def test_a_table_with_a_wrong_md5_or_overlapping_partitions_is_refused():
    data = bytearray(parttable.to_binary(parttable.hadir()))
    data[40] ^= 1
    with pytest.raises(parttable.TableError, match="MD5"):
        parttable.from_binary(bytes(data))
    with pytest.raises(parttable.TableError, match="before"):
        parttable.parse_csv("a, data, nvs, 0x9000, 0x6000\nb, data, nvs, 0xe000, 0x1000\n")
    with pytest.raises(parttable.TableError, match="64 KiB"):
        parttable.parse_csv("app, app, factory, 0x11000, 0x10000\n")


def test_the_log_document_shows_the_table_of_the_csv():
    csv = [ln.split() for ln in parttable.CSV.read_text().splitlines() if ln and ln[0] != "#"]
    doc = (DOCS / "log.md").read_text()
    block = doc[doc.index("## ESP32 partition table") :]
    shown = re.findall(r"^(\w+),\s+(\w+),\s+(\w+),\s+(\w+),\s+(\w+)\s*$", block, re.M)
    assert [list(row) for row in shown] == [[c.rstrip(",") for c in row] for row in csv]


def test_diagnose_tells_hadir_stock_and_missing_hlog_apart():
    parts = [[p.label, p.type, p.subtype, p.offset, p.size] for p in parttable.hadir()]
    assert parttable.diagnose(parts) is None
    stock = [[p.label, p.type, p.subtype, p.offset, p.size] for p in parttable.STOCK]
    assert parttable.diagnose(stock) == "stock"
    assert parttable.diagnose([p for p in parts if p[0] != "hlog"]) == "no-hlog"


# --- with the official firmware image -----------------------------------------------------------


def _flash(tmp_path, image, *args):
    return cli(None, "flash", "--firmware", str(firmware()), "--image-out", str(image), *args)


def _log_in(image, tid=7):
    part = NorFlash(image=bytearray(image[HLOG.offset : HLOG.end]))
    return part, Log(part, tempfile.mkdtemp(), tid)


def _terminal_image(tmp_path, taps=30):
    """A terminal's flash: tools flash, then a log with a key and ``taps`` unsynced taps."""
    image = tmp_path / "flash.bin"
    assert _flash(tmp_path, image).exit_code == 0
    data = bytearray(image.read_bytes())
    part, log = _log_in(data)
    log.install_key(b"\x11" * 32)
    log.boot(1)
    for i in range(taps):
        log.append(wire.TAP, wire.CARD_ENROLLED, 0x01020304 + i, 1000 + i)
    log.seal()
    data[HLOG.offset : HLOG.end] = part.mem
    image.write_bytes(bytes(data))
    return image, data


def test_flash_writes_bootloader_hadir_table_and_app_of_the_checked_firmware(tmp_path):
    image = tmp_path / "flash.bin"
    r = _flash(tmp_path, image)
    assert r.exit_code == 0, r.output + r.stderr
    assert "MicroPython v1.25.0" in r.output and "image-info OK" in r.output
    data = image.read_bytes()
    merged = firmware().read_bytes()
    assert len(data) == 4 * 1024 * 1024
    assert data[0x8000:0x8C00] == parttable.to_binary(parttable.hadir())  # never the stock one
    assert data[0x1000:0x8000].rstrip(b"\xff") == merged[:0x7000].rstrip(b"\xff")
    app = merged[0xF000:]
    assert data[0x10000 : 0x10000 + len(app)] == app
    assert data[HLOG.offset : HLOG.end] == b"\xff" * HLOG.size


def test_reflashing_keeps_hlog_and_its_unsynced_records(tmp_path):
    image, before = _terminal_image(tmp_path)
    vfs = bytes(before[VFS.offset : VFS.end])
    r = _flash(tmp_path, image)
    assert r.exit_code == 0, r.output + r.stderr
    assert "hlog dipertahankan / hlog kept" in r.output
    after = image.read_bytes()
    assert after[HLOG.offset : HLOG.end] == before[HLOG.offset : HLOG.end]
    assert after[VFS.offset : VFS.end] == vfs
    _, log = _log_in(after)
    assert log.has_key() and log.backlog == 32  # BOOT, 30 taps, SEAL


def test_a_stock_image_flashed_over_a_terminal_is_undone_and_the_log_kept(tmp_path):
    """The accident of the issue: `esptool write-flash 0x1000 ESP32_GENERIC.bin` over a
    terminal brings back the stock table (no hlog); tools flash restores hadir's, log intact."""
    image, before = _terminal_image(tmp_path)
    merged = firmware().read_bytes()
    stock = bytearray(before)
    stock[0x1000 : 0x1000 + len(merged)] = merged  # what esptool leaves for that command
    table = parttable.from_binary(bytes(stock[0x8000:0x8C00]))
    found = [[p.label, p.type, p.subtype, p.offset, p.size] for p in table]
    assert parttable.diagnose(found) == "stock"  # what doctor and provision now report
    image.write_bytes(bytes(stock))
    r = _flash(tmp_path, image)
    assert r.exit_code == 0, r.output + r.stderr
    after = image.read_bytes()
    assert parttable.from_binary(after[0x8000:0x8C00]) == parttable.hadir()
    assert after[HLOG.offset : HLOG.end] == before[HLOG.offset : HLOG.end]
    assert after[VFS.offset : VFS.end] == b"\xff" * VFS.size  # formatted at the next boot


def test_a_stock_board_gets_its_stock_littlefs_erased_from_the_log_range(tmp_path):
    import littlefs

    image = tmp_path / "flash.bin"
    data = bytearray(b"\xff" * (4 * 1024 * 1024))
    merged = firmware().read_bytes()
    data[0x1000 : 0x1000 + len(merged)] = merged
    fs = littlefs.LittleFS(block_size=4096, block_count=512)
    with fs.open("boot.py", "w") as f:
        f.write("# stock\n")
    data[0x200000:0x400000] = fs.context.buffer
    image.write_bytes(bytes(data))
    r = _flash(tmp_path, image)
    assert r.exit_code == 0, r.output + r.stderr
    assert "stock littlefs in the hlog range erased" in r.output
    after = image.read_bytes()
    assert after[HLOG.offset : HLOG.end] == b"\xff" * HLOG.size


def test_erase_log_and_hlog_image_are_what_the_technician_asked(tmp_path):
    image, before = _terminal_image(tmp_path)
    r = _flash(tmp_path, image, "--erase-log")
    assert r.exit_code == 0
    assert image.read_bytes()[HLOG.offset : HLOG.end] == b"\xff" * HLOG.size
    hlog = tmp_path / "h.bin"
    hlog.write_bytes(bytes(before[HLOG.offset : HLOG.end]))
    r = _flash(tmp_path, image, "--hlog", str(hlog))
    assert r.exit_code == 0
    assert image.read_bytes()[HLOG.offset : HLOG.end] == hlog.read_bytes()
    assert image.stat().st_mode & 0o077 == 0  # it holds a log key


def _firmware_variant(tmp_path, edit):
    merged = bytearray(firmware().read_bytes())
    app = bytearray(merged[0xF000:])
    edit(app)
    merged[0xF000:] = app
    path = tmp_path / "fw.bin"
    path.write_bytes(bytes(merged))
    return path


def test_an_old_micropython_is_refused_with_one_line(tmp_path):
    def older(app):
        i = app.index(b"MicroPython v1.25.0")
        app[i : i + 19] = b"MicroPython v1.19.1"
        reseal(app)

    path = _firmware_variant(tmp_path, older)
    r = cli(None, "flash", "--firmware", str(path), "--image-out", str(tmp_path / "o.bin"))
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "hadir: versi MicroPython salah (wrong MicroPython version): 1.19.1; "
        "perlu / need >= 1.23.0"
    )
    assert not (tmp_path / "o.bin").exists()


def test_a_damaged_firmware_fails_image_info_and_nothing_is_written(tmp_path):
    def damaged(app):
        app[0x20000] ^= 0xFF

    path = _firmware_variant(tmp_path, damaged)
    r = cli(None, "flash", "--firmware", str(path), "--image-out", str(tmp_path / "o.bin"))
    assert r.exit_code == 1
    line = r.stderr.strip()
    assert line.startswith("hadir: firmware tidak sah (not a usable MicroPython firmware)")
    assert "\n" not in line and not (tmp_path / "o.bin").exists()
    assert flash.image_length(firmware().read_bytes(), 0xF000) == 1_640_800


# --- doctor and provision on a device without hadir's table ---------------------------------


def test_provision_on_the_stock_table_stops_before_writing_and_names_the_fix(tmp_path):
    from tests.kit.technician import Device, write_bundle

    dev = Device(tmp_path, table=parttable.STOCK)
    port = dev.plug()
    try:
        r = cli(port, "provision", "--bundle", str(write_bundle(tmp_path / "b.json")))
    finally:
        dev.unplug()
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "hadir: tabel partisi bukan milik hadir (not hadir's partition table): tabel stok "
        "MicroPython, tanpa hlog / stock MicroPython table, no hlog; perbaiki / fix: "
        f"python -m tools --port {port} flash --firmware ESP32_GENERIC-<version>.bin"
    )
    assert dev.files() == {}  # nothing was written


def test_doctor_shows_a_missing_hlog_and_the_one_fixing_command(tmp_path):
    from tests.kit.technician import Device

    dev = Device(tmp_path, table=[p for p in parttable.hadir() if p.label != "hlog"])
    port = dev.plug()
    try:
        r = cli(port, "doctor")
    finally:
        dev.unplug()
    assert r.exit_code == 2  # read, and a row needs attention (cliframe.ATTENTION)
    assert "tidak ada partisi hlog / no hlog partition" in r.output
    fix = f"python -m tools --port {port} flash --firmware ESP32_GENERIC-<version>.bin"
    assert r.output.strip().splitlines()[-1].endswith(fix)
