# Backup and restore: the restore drill (back up, destroy, restore, terminals keep syncing with
# nothing lost or duplicated) and the encrypted file, on SQLite and PostgreSQL.
# SPDX-License-Identifier: MIT
import os
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from fastapi.testclient import TestClient

from firmware import wire
from sync.app import create_app
from sync.service import backup, backupfile, reports
from sync.settings import Settings
from sync.store import records
from tests.kit.collector_calls import TOKEN_A, TOKEN_B, day_of_taps, post, register, reply
from tests.kit.liveserver import MASTER_KEY


def _destroy(url):
    """The disk died: SQLite's file is gone; PostgreSQL's schema is dropped."""
    if url.startswith("postgresql://"):
        import psycopg

        opts = unquote(parse_qs(urlsplit(url).query)["options"][0])
        schema = opts.split("search_path=", 1)[1]
        with psycopg.connect(url.split("?", 1)[0], autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
        return
    for path in (url, url + "-wal", url + "-shm"):
        if os.path.exists(path):
            os.unlink(path)


def _seqs(url, clock, tid):
    app = create_app(Settings(db=url, master_key=MASTER_KEY, clock=clock))
    try:
        c = app.state.collector
        with c.db.read() as tx:
            rows = records.records_of(tx, tid)
        return [r["seq"] for r in rows], reports.gaps(c)
    finally:
        app.state.collector.db.close()


def _more_taps(term, n):
    for i in range(n):
        term.tap(TOKEN_A if i % 2 else TOKEN_B, advance_ms=30_000)
    return term.batch({"backlog_slots": 0})


@pytest.mark.parametrize("journal", [True, False], ids=["journal", "no-journal"])
def test_restore_drill_terminals_lose_nothing(db_url, clock, tmp_path, journal):
    folder = str(tmp_path / "journal") if journal else None
    settings = Settings(db=db_url, master_key=MASTER_KEY, clock=clock, journal=folder)
    app = create_app(settings)
    with TestClient(app) as client:
        c = app.state.collector
        term = register(c)
        first = day_of_taps(term, taps=3)
        assert reply(term, first, post(client, first))[:2] == (wire.REPLY_OK, 6)
        clock.now += 3600
        made = backup.make(db_url, MASTER_KEY, str(tmp_path / "b.hbk"), c.now())
        # Acknowledged after the backup: the terminal reclaims these slots and never sends
        # them again.
        clock.now += 3600
        second = _more_taps(term, 4)
        assert reply(term, second, post(client, second))[:2] == (wire.REPLY_OK, term.next_seq)
    app.state.collector.db.close()
    assert oct(os.stat(tmp_path / "b.hbk").st_mode & 0o777) == "0o600"
    assert made["database"] == ("postgres" if db_url.startswith("postgresql") else "sqlite")

    _destroy(db_url)
    done = backup.restore(db_url, MASTER_KEY, str(tmp_path / "b.hbk"), folder)
    assert done.header["created_at"] == made["created_at"]

    clock.now += 3600
    app = create_app(Settings(db=db_url, master_key=MASTER_KEY, clock=clock, journal=folder))
    with TestClient(app) as client:
        third = _more_taps(term, 2)
        status, acked = reply(term, third, post(client, third))[:2]
    app.state.collector.db.close()
    seqs, gaps = _seqs(db_url, clock, term.terminal_id)
    if journal:
        # The journal brought back what was acknowledged after the backup: every record once.
        assert (done.replayed, done.refused, done.records) == (1, 0, 4)
        assert (status, acked) == (wire.REPLY_OK, term.next_seq)
        assert len(seqs) == len(set(seqs)) == 5 + 4 + 2  # the 3 batches' records, once each
        assert gaps == []
    else:
        # Without one, what was acknowledged after the backup is gone: the collector says so.
        assert done.replayed == 0
        assert status == wire.REPLY_GAP
        assert len(seqs) == 5 + 2 and len(gaps) == 1


def test_backup_of_another_master_key_or_damaged_is_refused(db_url, app, tmp_path):
    path = str(tmp_path / "b.hbk")
    backup.make(db_url, MASTER_KEY, path, 1_797_000_000)
    with pytest.raises(backupfile.BackupFileError, match="another master key"):
        backup.restore(db_url, bytes(32), path, None)
    data = bytearray(open(path, "rb").read())
    data[-5] ^= 1
    open(path, "wb").write(bytes(data))
    with pytest.raises(backupfile.BackupFileError, match="damaged"):
        backup.restore(db_url, MASTER_KEY, path, None)
    open(path, "wb").write(bytes(data[:-40]))
    with pytest.raises(backupfile.BackupFileError):
        backup.restore(db_url, MASTER_KEY, path, None)


def test_backup_file_holds_no_plain_text(tmp_path):
    import io

    plain = b"Siti Rahayu MRD-A101 " * 100_000  # more than one chunk
    out = io.BytesIO()
    backupfile.CHUNK, chunk = 1 << 20, backupfile.CHUNK
    try:
        backupfile.seal(MASTER_KEY, io.BytesIO(plain), out, {"database": "sqlite"})
    finally:
        backupfile.CHUNK = chunk
    assert b"Siti" not in out.getvalue()
    back = io.BytesIO()
    backupfile.open_into(MASTER_KEY, io.BytesIO(out.getvalue()), back)
    assert back.getvalue() == plain


def test_the_command_line_backs_up_and_restores(tmp_path):
    import subprocess
    import sys

    from tests.kit.paths import ROOT

    env = dict(os.environ, HADIR_MASTER_KEY="11" * 32, HADIR_DB=str(tmp_path / "h.db"))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "sync", *args], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=120)  # fmt: skip

    (tmp_path / "pw").write_text("kata-sandi-benar\n")
    assert run("users", "add", "kepala", "--password-file", str(tmp_path / "pw")).returncode == 0
    r = run("backup", str(tmp_path / "b.hbk"))
    assert r.returncode == 0, r.stderr
    assert b"kepala" not in (tmp_path / "b.hbk").read_bytes()
    run("users", "remove", "kepala")
    r = run("restore", str(tmp_path / "b.hbk"))
    assert r.returncode == 0, r.stderr
    assert "no journal" in r.stdout
    assert "kepala" in run("users", "list").stdout
    env["HADIR_MASTER_KEY"] = "22" * 32
    r = run("restore", str(tmp_path / "b.hbk"))
    assert r.returncode == 1 and "another master key" in r.stderr
