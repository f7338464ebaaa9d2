# flash_migrate: a terminal on an older hadir table is moved to today's without losing a record.
# SPDX-License-Identifier: MIT
import json
import os
import tempfile

import littlefs

from firmware import wire
from firmware.log import Log
from tests.kit.esp32 import firmware, reseal
from tests.kit.technician import cli
from tools import flash, image, migrate, parttable
from tools.sim.flash import NorFlash

OLD = parttable.OLDER["4cd1054cc4a6b243c5095b294701cb02"]  # hlog 0x200000, vfs 0x3C0000
OLD_LOG, OLD_FS = parttable.by_label(OLD, "hlog"), parttable.by_label(OLD, "vfs")
NEW = parttable.hadir()
HLOG, VFS = parttable.by_label(NEW, "hlog"), parttable.by_label(NEW, "vfs")
TAPS = 300  # unsynced, over a sector boundary (452 slots a sector: also a sealed block)
TID = 7


def test_every_older_table_is_keyed_by_its_md5_and_keeps_the_log_size():
    for md5, parts in parttable.OLDER.items():
        assert parttable.digest(parttable.to_binary(parts)) == md5
        assert parttable.identify(parttable.to_binary(parts)) == ("older", parts)
        assert parttable.by_label(parts, "hlog").size == HLOG.size  # the ring moves as it is
    assert parttable.identify(parttable.to_binary(NEW))[0] == "current"
    assert parttable.identify(parttable.to_binary(parttable.STOCK))[0] == "stock"
    found = [[p.label, p.type, p.subtype, p.offset, p.size] for p in OLD]
    assert parttable.diagnose(found) == "older"  # what doctor and provision report


def _old_terminal(tmp_path):
    """A terminal flashed and provisioned under the older table: its log holds TAPS unsynced
    taps and a key, its 64-block vfs the firmware, config, secrets and the log's state (on
    littlefs 2.1, as the board leaves it after its first write)."""
    merged = firmware().read_bytes()
    data = bytearray(b"\xff" * flash.FLASH_SIZE)
    data[0x1000 : 0x1000 + len(merged)] = merged
    data[0x8000:0x8C00] = parttable.to_binary(OLD)
    part = NorFlash(OLD_LOG.size // 4096)
    state = tempfile.mkdtemp()
    log = Log(part, state, TID)
    log.install_key(b"\x11" * 32)
    log.boot(1)
    for i in range(TAPS):
        log.append(wire.TAP, wire.CARD_ENROLLED, 0x01020304 + i, 1000 + i)
        log.maintain()
    log.seal()
    data[OLD_LOG.offset : OLD_LOG.end] = part.mem
    fs = littlefs.LittleFS(block_size=4096, block_count=64, read_size=32, prog_size=32,
                           lookahead_size=32, cache_size=128)  # fmt: skip
    fs.makedirs("/firmware/log", exist_ok=True)
    fs.makedirs("/data", exist_ok=True)
    fs.makedirs("/empty", exist_ok=True)
    files = {
        "/config.json": json.dumps({"terminal_id": TID, "rusun": "Marunda", "door": 1}).encode(),
        "/secrets.json": json.dumps({"request_key": "ab" * 32, "card_key": "22" * 16}).encode(),
        "/firmware/app.mpy": bytes(range(256)) * 40,
        "/firmware/log/ring.mpy": b"M" * 5000,
        "/main.py": b"import firmware.start\n",
    }
    for name in os.listdir(state):
        with open(os.path.join(state, name), "rb") as f:
            files["/data/" + name] = f.read()
    for path, body in files.items():
        with fs.open(path, "wb") as f:
            f.write(body)
    data[OLD_FS.offset : OLD_FS.end] = fs.context.buffer
    path = tmp_path / "flash.bin"
    path.write_bytes(bytes(data))
    return path, data, files, log.backlog


def _flash(image_file, backup, *args):
    return cli(None, "flash", "--firmware", str(firmware()), "--image-out", str(image_file),
               "--backup", str(backup), *args)  # fmt: skip


def _log_at_new_offset(data, files):
    """The log as the terminal opens it after the move: the hlog partition at its new offset,
    its state files from the new vfs."""
    state = tempfile.mkdtemp()
    for path, body in files.items():
        if path.startswith("/data/"):
            with open(f"{state}/{path[6:]}", "wb") as f:
                f.write(body)
    part = NorFlash(image=bytearray(data[HLOG.offset : HLOG.end]))
    return Log(part, state, TID)


def test_an_older_terminal_moves_with_every_record_its_config_and_its_keys(tmp_path):
    path, before, files, backlog = _old_terminal(tmp_path)
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0, r.output + r.stderr
    assert "moved: hlog 0x200000 -> 0x1c0000, vfs 0x3c0000 -> 0x380000" in r.output
    assert "moved and verified" in r.output
    after = path.read_bytes()
    assert parttable.from_binary(after[0x8000:0x8C00]) == NEW
    # the ring, its key and every record: the same bytes, at the new offset
    assert after[HLOG.offset : HLOG.end] == before[OLD_LOG.offset : OLD_LOG.end]
    moved, dirs = image.read_image(after[VFS.offset : VFS.end], VFS.size // 4096)
    assert moved == files  # config, secrets, firmware, the log's state
    assert {"/data", "/empty", "/firmware", "/firmware/log"} <= set(dirs)
    log = _log_at_new_offset(after, moved)
    assert log.has_key() and log.backlog == backlog == TAPS + 2  # BOOT, taps, SEAL
    assert path.stat().st_mode & 0o077 == 0  # it holds the log key and the secrets


def test_the_backup_is_private_and_marked_done(tmp_path):
    path, before, _, _ = _old_terminal(tmp_path)
    assert _flash(path, tmp_path / "backup").exit_code == 0
    (folder,) = (tmp_path / "backup").iterdir()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in folder.iterdir()) == [
        "hlog.bin", "migration.json", "table.bin", "vfs.bin"]  # fmt: skip
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in folder.iterdir())
    assert (folder / "hlog.bin").read_bytes() == before[OLD_LOG.offset : OLD_LOG.end]
    assert (folder / "vfs.bin").read_bytes() == before[OLD_FS.offset : OLD_FS.end]
    assert json.loads((folder / "migration.json").read_text())["state"] == "done"
    # flashed again (now the current table): kept as it is, nothing moved a second time
    again = path.read_bytes()
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0 and "moved" not in r.output and "hlog kept" in r.output
    assert path.read_bytes()[HLOG.offset :] == again[HLOG.offset :]


def _cut_while_writing(monkeypatch, path, backup):
    """tools flash with the cable pulled while hlog is written: the app and the new hlog's
    first 65 sectors are on the chip -- the last one over the old log's key sector at 0x200000
    --, the old vfs untouched, and the old table (it goes last)."""
    real = flash.ImageFile.carry_out

    def cut(self, p):
        data = [w for w in p.writes if w[0] not in (parttable.OFFSET, HLOG.offset, VFS.offset)]
        half = [(o, d[: 65 * 4096], w) for o, d, w in p.writes if o == HLOG.offset]
        real(self, flash.Plan(writes=data + half))
        raise OSError(5, "kabel dicabut / cable pulled")

    monkeypatch.setattr(flash.ImageFile, "carry_out", cut)
    r = _flash(path, backup)
    monkeypatch.setattr(flash.ImageFile, "carry_out", real)
    return r


def test_a_move_cut_while_writing_is_completed_from_the_backup_by_the_same_command(
    tmp_path, monkeypatch
):
    path, before, files, backlog = _old_terminal(tmp_path)
    r = _cut_while_writing(monkeypatch, path, tmp_path / "backup")
    assert r.exit_code != 0 and "cable pulled" in r.stderr, r.output + r.stderr
    torn = path.read_bytes()
    assert parttable.identify(torn[0x8000:0x8C00])[0] == "older"  # the table goes last
    assert torn[OLD_LOG.offset : OLD_LOG.end] != before[OLD_LOG.offset : OLD_LOG.end]
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0, r.output + r.stderr
    assert "an interrupted move is completed from the backup" in r.output
    after = path.read_bytes()
    assert parttable.identify(after[0x8000:0x8C00])[0] == "current"
    assert after[HLOG.offset : HLOG.end] == before[OLD_LOG.offset : OLD_LOG.end]
    moved, _ = image.read_image(after[VFS.offset : VFS.end], VFS.size // 4096)
    assert moved == files
    log = _log_at_new_offset(after, moved)
    assert log.has_key() and log.backlog == backlog


def test_a_move_cut_after_the_table_was_written_is_checked_and_completed(tmp_path, monkeypatch):
    """Everything written, the table last, then the laptop lost before its check: the next run
    verifies the chip against the backup and marks it done, writing nothing more."""
    path, before, files, _ = _old_terminal(tmp_path)
    real = migrate.Backup.done

    def lost(self):
        raise OSError(5, "laptop mati / laptop died")

    monkeypatch.setattr(migrate.Backup, "done", lost)
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code != 0, r.output
    monkeypatch.setattr(migrate.Backup, "done", real)
    written = path.read_bytes()
    assert parttable.identify(written[0x8000:0x8C00])[0] == "current"
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0, r.output + r.stderr
    assert "the move had finished: verified" in r.output
    assert path.read_bytes()[HLOG.offset :] == written[HLOG.offset :]
    (folder,) = (tmp_path / "backup").iterdir()
    assert json.loads((folder / "migration.json").read_text())["state"] == "done"


def test_a_backup_older_than_the_terminals_log_never_overwrites_it(tmp_path, monkeypatch):
    """The move finished but was never marked done, and the terminal then logged more taps: a
    later re-flash keeps the newer log and sets the old backup aside."""
    path, before, files, backlog = _old_terminal(tmp_path)
    monkeypatch.setattr(migrate.Backup, "done", lambda self: None)  # the mark never written
    assert _flash(path, tmp_path / "backup").exit_code == 0
    monkeypatch.undo()
    data = bytearray(path.read_bytes())
    moved, _ = image.read_image(data[VFS.offset : VFS.end], VFS.size // 4096)
    log = _log_at_new_offset(data, moved)
    log.boot(1)
    log.append(wire.TAP, wire.CARD_ENROLLED, 0x0A0B0C0D, 5000)
    data[HLOG.offset : HLOG.end] = log.ring.flash.mem  # the terminal ran on: a newer log
    assert bytes(data[HLOG.offset : HLOG.end]) != before[OLD_LOG.offset : OLD_LOG.end]
    path.write_bytes(bytes(data))
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0, r.output + r.stderr
    assert "an older backup ignored: the terminal ran since" in r.output
    assert path.read_bytes()[HLOG.offset : HLOG.end] == bytes(data[HLOG.offset : HLOG.end])


def test_a_dry_run_of_a_move_reads_only(tmp_path):
    path, before, _, _ = _old_terminal(tmp_path)
    r = _flash(path, tmp_path / "backup", "--dry-run")
    assert r.exit_code == 0 and "moved: hlog 0x200000" in r.output, r.output
    assert path.read_bytes() == bytes(before)
    assert not (tmp_path / "backup").exists()


def test_a_stock_image_flashed_over_an_older_terminal_still_moves_its_log(tmp_path):
    """The stock table has no hlog; the older layout's log is found by its key records at the
    older offset and moved (the stock vfs at 0x200000 would have been formatted only if the
    board had booted MicroPython's inisetup on it: here it did not)."""
    path, before, files, backlog = _old_terminal(tmp_path)
    data = bytearray(before)
    data[0x8000:0x8C00] = parttable.to_binary(parttable.STOCK)
    path.write_bytes(bytes(data))
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 0, r.output + r.stderr
    after = path.read_bytes()
    assert after[HLOG.offset : HLOG.end] == before[OLD_LOG.offset : OLD_LOG.end]
    assert image.read_image(after[VFS.offset : VFS.end], VFS.size // 4096)[0] == files


def test_a_vfs_that_does_not_mount_stops_the_move_before_anything_is_written(tmp_path):
    path, before, _, _ = _old_terminal(tmp_path)
    data = bytearray(before)
    data[OLD_FS.offset : OLD_FS.offset + 8192] = b"\x00" * 8192  # both superblocks gone
    path.write_bytes(bytes(data))
    r = _flash(path, tmp_path / "backup")
    assert r.exit_code == 1
    assert r.stderr.strip().startswith(
        "hadir: vfs lama tidak terbaca (the old vfs does not mount)"
    )
    assert path.read_bytes() == bytes(data) and not (tmp_path / "backup").exists()


def test_an_app_bigger_than_the_factory_partition_is_refused_with_both_sizes(tmp_path):
    merged = bytearray(firmware().read_bytes())
    app = bytearray(merged[0xF000:])
    factory = parttable.by_label(NEW, "factory").size
    grow = (factory - flash.image_length(bytes(app)) + 4096) & ~3
    n = int.from_bytes(app[28:32], "little")  # segment 0 (DROM data): padded with zero bytes
    body = app[:28] + (n + grow).to_bytes(4, "little") + app[32 : 32 + n] + bytes(grow)
    body += app[32 + n :]
    big = reseal(bytearray(body) + bytes(64))
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(merged[:0xF000]) + bytes(big))
    length = flash.image_length(bytes(big))
    r = cli(None, "flash", "--firmware", str(path), "--image-out", str(tmp_path / "o.bin"))
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "hadir: firmware tidak sah (not a usable MicroPython firmware): "
        f"app {length} B > factory partition {factory} B"
    )
    assert not (tmp_path / "o.bin").exists()


def test_migrate_finds_a_hadir_log_by_its_key_or_its_first_sector():
    part = NorFlash(8)
    assert not migrate.hadir_log(bytes(part.mem[: 3 * 4096]))
    Log(part, tempfile.mkdtemp(), TID).install_key(b"\x11" * 32)
    assert migrate.hadir_log(bytes(part.mem[: 3 * 4096]))
    fs = littlefs.LittleFS(block_size=4096, block_count=8)
    assert not migrate.hadir_log(bytes(fs.context.buffer[: 3 * 4096]))
