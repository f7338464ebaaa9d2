# schema: the collector's tables, one text for SQLite and PostgreSQL, and their version.
# SPDX-License-Identifier: MIT
"""``create(tx)`` makes every table of a fresh database, or upgrades an existing one: the version
it holds (``meta.schema_version``) is moved to ``SCHEMA_VERSION`` by the steps of
``sync.store.migrations``, then any table or index still missing is made. docs/collector.md
describes each column.

Times are integer Unix seconds (UTC). Booleans are 0/1 small integers so both dialects agree.
Secrets (``*_enc`` columns) are AES-GCM ciphertexts under the master key (``sync.vault``).
"""

from __future__ import annotations

import time

from firmware import wire
from sync.store import migrations, partitions
from sync.store.db import Tx

SCHEMA_VERSION = 5
# The records people are told of (sync.store.notices.device_events): a literal condition, the
# same text in the partial index and in the query, so both databases see the index applies.
EVENT_RECORDS = (
    f"(kind = {wire.TAMPER} OR (kind = {wire.READER_FAULT} AND flags = 4)"
    f" OR (kind = {wire.STORAGE} AND flags = {wire.STORAGE_FULL}))"
)

_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rusun (
    id {serial},
    name TEXT NOT NULL UNIQUE,
    card_key_gen INTEGER NOT NULL DEFAULT 0,
    allowlist_version INTEGER NOT NULL DEFAULT 1,
    district TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS card_keys (  -- every generation of each rusun's card key
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    gen INTEGER NOT NULL,
    key_enc {blob} NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (rusun_id, gen)
);
CREATE TABLE IF NOT EXISTS units (
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    name TEXT NOT NULL,
    block TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'occupied',
    status_at BIGINT,
    lease_no TEXT NOT NULL DEFAULT '',
    let_since BIGINT,
    UNIQUE (rusun_id, name)
);
CREATE TABLE IF NOT EXISTS residents (
    resident_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    registered_at BIGINT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'member',
    relation TEXT NOT NULL DEFAULT '',
    lease_holder SMALLINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'active',
    status_at BIGINT,
    valid_until BIGINT
);
CREATE TABLE IF NOT EXISTS cards (
    id {serial},
    uid_hash {blob} NOT NULL UNIQUE,
    uid_enc {blob} NOT NULL,
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    resident_id TEXT NOT NULL REFERENCES residents(resident_id),
    token BIGINT NOT NULL,
    fingerprint INTEGER,
    status TEXT NOT NULL DEFAULT 'active',
    enrolled_at BIGINT NOT NULL,
    status_at BIGINT,
    replaces BIGINT
);
CREATE INDEX IF NOT EXISTS cards_token ON cards (rusun_id, token);
CREATE INDEX IF NOT EXISTS cards_resident ON cards (resident_id);
CREATE TABLE IF NOT EXISTS card_tokens (
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    token BIGINT NOT NULL,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    gen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rusun_id, token, gen, card_id)
);
CREATE INDEX IF NOT EXISTS card_tokens_card ON card_tokens (card_id);
-- Tokens tapped at a rusun that no card had there after the district match (strangers' cards
-- and cards of other districts), for the city-wide sweep (sync.service.cardsweep): each was
-- compared with every card up to id checked_upto (a match moves it into card_tokens).
CREATE TABLE IF NOT EXISTS unknown_tokens (
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    token BIGINT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    checked_upto BIGINT NOT NULL DEFAULT 0,
    UNIQUE (rusun_id, token)
);
CREATE INDEX IF NOT EXISTS unknown_tokens_checked ON unknown_tokens (checked_upto);
CREATE TABLE IF NOT EXISTS terminals (
    id BIGINT PRIMARY KEY,  -- a terminal id is a u32 on the wire
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    door INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'active',
    k0_enc {blob} NOT NULL,
    gen INTEGER NOT NULL DEFAULT 0,
    key_epoch BIGINT NOT NULL DEFAULT 0,
    key_enc {blob},
    req_epoch BIGINT NOT NULL DEFAULT -1,
    req_macs {blob},
    acked BIGINT NOT NULL DEFAULT 0,
    config_json TEXT NOT NULL,
    config_version INTEGER NOT NULL DEFAULT 1,
    card_key_gen INTEGER NOT NULL DEFAULT 0,
    fork_seq BIGINT,
    created_at BIGINT NOT NULL,
    last_seen BIGINT,
    revoked_at BIGINT
);
CREATE TABLE IF NOT EXISTS blocks (
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    gen INTEGER NOT NULL,
    seal_seq BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    prev_mac {blob} NOT NULL,
    mac {blob} NOT NULL,
    received_at BIGINT NOT NULL,
    dating TEXT,
    PRIMARY KEY (terminal_id, gen, seal_seq)
);
CREATE TABLE IF NOT EXISTS fork_blocks (  -- evidence: blocks that conflict with the stored chain
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    gen INTEGER NOT NULL,
    seal_seq BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    epoch BIGINT NOT NULL,
    prev_mac {blob} NOT NULL,
    mac {blob} NOT NULL,
    slots {blob} NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (terminal_id, gen, seal_seq, mac)
);
CREATE INDEX IF NOT EXISTS fork_blocks_mac ON fork_blocks (terminal_id, gen, mac);
CREATE TABLE IF NOT EXISTS records (
    terminal_id BIGINT NOT NULL,
    gen INTEGER NOT NULL,
    seq BIGINT NOT NULL,
    kind SMALLINT NOT NULL,
    flags SMALLINT NOT NULL,
    payload BIGINT NOT NULL,
    boot BIGINT,
    uptime_ms BIGINT,
    wall_time BIGINT,
    time_derived SMALLINT NOT NULL DEFAULT 0,
    clock_jump SMALLINT NOT NULL DEFAULT 0,
    received_at BIGINT NOT NULL,
    claimed_time BIGINT,
    held SMALLINT NOT NULL DEFAULT 0,
    PRIMARY KEY (terminal_id, gen, seq)
);
CREATE INDEX IF NOT EXISTS records_wall ON records (wall_time);
CREATE INDEX IF NOT EXISTS records_boot ON records (terminal_id, gen, boot);
-- One rusun's records of a window, door by door: the review reads no other rusun's taps.
CREATE INDEX IF NOT EXISTS records_terminal_wall ON records (terminal_id, wall_time);
-- A card's records at any rusun (its token under each rusun's key): the review's snapshot of a
-- rusun reads its cards' taps elsewhere, the resident page one card's.
CREATE INDEX IF NOT EXISTS records_payload ON records (payload, terminal_id);
-- The alert pass's records (tamper, a reader declared faulty, a tap refused: EVENT_RECORDS), few
-- among millions of taps: the newly received ones are an index probe, not a scan of them all.
CREATE INDEX IF NOT EXISTS records_events ON records (received_at) WHERE {events};
-- Roll-ups kept at ingest in the batch's transaction, by sync.store.rollups: what reports read
-- instead of the record history. Days are Jakarta local day numbers.
CREATE TABLE IF NOT EXISTS tap_days (
    rusun_id INTEGER NOT NULL,
    token BIGINT NOT NULL,
    day INTEGER NOT NULL,
    taps INTEGER NOT NULL,
    denied INTEGER NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (rusun_id, token, day)
);
CREATE INDEX IF NOT EXISTS tap_days_day ON tap_days (rusun_id, day);
-- The review's per-tap rules read each card-day's times of day and flag counts: bursts, the
-- same minute, a change of routine. One row per tap_days row, kept with it by sync.store.rollups.
CREATE TABLE IF NOT EXISTS tap_times (
    rusun_id INTEGER NOT NULL,
    token BIGINT NOT NULL,
    day INTEGER NOT NULL,
    times TEXT NOT NULL,  -- seconds of the local day of each counted record, comma-separated
    clone INTEGER NOT NULL,  -- records with a clone flag (wire.CARD_FINGERPRINT_MISMATCH, _MAGIC_)
    plain INTEGER NOT NULL,  -- records without wire.CARD_RANDOM_UID
    PRIMARY KEY (rusun_id, token, day)
);
CREATE TABLE IF NOT EXISTS terminal_days (
    terminal_id BIGINT NOT NULL,
    day INTEGER NOT NULL,
    records INTEGER NOT NULL,
    held INTEGER NOT NULL,
    undated INTEGER NOT NULL,
    clock_jumps INTEGER NOT NULL,
    PRIMARY KEY (terminal_id, day)
);
CREATE TABLE IF NOT EXISTS gaps (
    id {serial},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    gen INTEGER NOT NULL,
    from_seq BIGINT NOT NULL,
    to_seq BIGINT NOT NULL,
    detected_at BIGINT NOT NULL,
    filled_at BIGINT
);
CREATE TABLE IF NOT EXISTS alerts (
    id {serial},
    terminal_id BIGINT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
-- the alert pass reads the rows written since its last pass
CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_at);
CREATE TABLE IF NOT EXISTS terminal_secrets (  -- settings too secret for config_json
    terminal_id BIGINT PRIMARY KEY REFERENCES terminals(id),
    wifi_password_enc {blob} NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS terminal_commands (  -- remote commands: queued, offered, answered
    id {serial},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    command TEXT NOT NULL,
    queued_by TEXT NOT NULL,
    queued_at BIGINT NOT NULL,
    sent_at BIGINT,
    done_at BIGINT,
    result TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS terminal_commands_open ON terminal_commands (terminal_id, done_at);
CREATE TABLE IF NOT EXISTS terminal_reports (  -- reports without a command: settings, wear
    id {serial},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    received_at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    result TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS terminal_reports_kind ON terminal_reports (terminal_id, kind, id);
CREATE TABLE IF NOT EXISTS alert_recipients (  -- who is told: e-mail or signed webhook
    id {serial},
    rusun_id INTEGER REFERENCES rusun(id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    secret_enc {blob},
    quiet_from INTEGER,
    quiet_to INTEGER,
    digest SMALLINT NOT NULL DEFAULT 1,
    digest_day BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_notices (  -- one per terminal and trouble: de-duplication
    notice_key TEXT PRIMARY KEY,
    terminal_id BIGINT NOT NULL,
    rusun_id INTEGER NOT NULL,
    category TEXT NOT NULL,
    detail TEXT NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS alert_sends (  -- when each recipient was last told of each notice
    notice_key TEXT NOT NULL,
    recipient_id BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    seen INTEGER NOT NULL,
    PRIMARY KEY (notice_key, recipient_id)
);
CREATE TABLE IF NOT EXISTS alert_runs (  -- how far the delivery has read the event sources
    name TEXT PRIMARY KEY,
    at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_lease (  -- one delivery pass at a time, across processes
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS health (
    id {serial},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    received_at BIGINT NOT NULL,
    firmware_version INTEGER NOT NULL,
    taps_today INTEGER NOT NULL,
    read_errors INTEGER NOT NULL,
    reader_recoveries INTEGER NOT NULL,
    backlog_slots BIGINT NOT NULL,
    oldest_unsynced_s BIGINT NOT NULL,
    storage_per_mille INTEGER NOT NULL,
    clock_quality INTEGER NOT NULL,
    wifi_rssi INTEGER NOT NULL,
    boot_counter BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS health_terminal ON health (terminal_id, received_at);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    all_rusun SMALLINT NOT NULL DEFAULT 0,  -- 1: every rusun, 0: those in user_rusun
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_rusun (  -- the rusun a user bound to some rusun may act on
    user_name TEXT NOT NULL REFERENCES users(name),
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    PRIMARY KEY (user_name, rusun_id)
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash {blob} PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (  -- dashboard sign-ins, by the cookie's id hashed
    id_hash {blob} PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS review_marks (  -- append-only audit trail: never updated or deleted
    id {serial},
    subject_kind TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    reasons TEXT NOT NULL,
    note TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS review_marks_subject ON review_marks (subject_kind, subject_key);
CREATE INDEX IF NOT EXISTS residents_unit ON residents (unit_id);
CREATE TABLE IF NOT EXISTS register_events (  -- append-only audit trail of the register
    id {serial},
    at BIGINT NOT NULL,  -- when it happened (the date the admin gave), not when it was recorded
    kind TEXT NOT NULL,
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    unit_id INTEGER,
    resident_id TEXT,
    card_id BIGINT,
    detail TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS register_events_unit ON register_events (unit_id);
CREATE TABLE IF NOT EXISTS absences (
    id {serial},
    resident_id TEXT NOT NULL REFERENCES residents(resident_id),
    first_day BIGINT NOT NULL,
    last_day BIGINT NOT NULL,
    kind TEXT NOT NULL,
    note TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT
);
CREATE TABLE IF NOT EXISTS holidays (
    id {serial},
    day BIGINT NOT NULL,
    rusun_id INTEGER REFERENCES rusun(id),  -- NULL: every rusun
    name TEXT NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS thresholds (  -- append-only: the newest row per (rusun, name) holds
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    name TEXT NOT NULL,
    value INTEGER,  -- NULL: back to the default
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    reasons TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    opened_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX IF NOT EXISTS cases_unit ON cases (unit_id);
CREATE TABLE IF NOT EXISTS case_steps (  -- append-only: a case's history
    id {serial},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    state TEXT NOT NULL,
    outcome TEXT,
    day BIGINT NOT NULL,
    letter_no TEXT,
    note TEXT NOT NULL,
    visit_id BIGINT,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS case_steps_case ON case_steps (case_id);
CREATE TABLE IF NOT EXISTS case_files (
    id {serial},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    step_id BIGINT,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 {blob} NOT NULL,
    data {blob} NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS letter_counters (
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    year INTEGER NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (rusun_id, year)
);
CREATE TABLE IF NOT EXISTS visit_lists (
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    day BIGINT NOT NULL,
    sample_size INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS visits (
    id {serial},
    list_id BIGINT NOT NULL REFERENCES visit_lists(id),
    case_id BIGINT NOT NULL REFERENCES cases(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    risk REAL NOT NULL,
    reasons TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS releases (  -- signed code releases (docs/fleet.md, "Releases")
    id INTEGER PRIMARY KEY,  -- the release id terminals see: only grows
    version TEXT NOT NULL,
    manifest {blob} NOT NULL,  -- wire.Manifest, signed with the release key
    blob {blob} NOT NULL,  -- the files one after the other, fetched in chunks
    chunk_size INTEGER NOT NULL,
    state TEXT NOT NULL,  -- 'canary', 'all' (waves), 'paused', 'halted' (a canary failed)
    paused_from TEXT NOT NULL,  -- the wave a pause or a halt resumes
    user_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS release_terminals (  -- each terminal's progress on a release
    release_id INTEGER NOT NULL REFERENCES releases(id),
    terminal_id INTEGER NOT NULL,
    state TEXT NOT NULL,  -- 'downloading', 'installed', 'refused', 'rolled_back', 'no_room'
    chunks INTEGER NOT NULL,  -- chunks fetched
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (release_id, terminal_id)
);
CREATE TABLE IF NOT EXISTS release_room (  -- a terminal's last "no room" for a release
    release_id INTEGER NOT NULL REFERENCES releases(id),
    terminal_id INTEGER NOT NULL,
    need INTEGER NOT NULL,  -- littlefs blocks the update needs (reserve for /data included)
    free INTEGER NOT NULL,  -- littlefs blocks free on the terminal then
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (release_id, terminal_id)
);
CREATE TABLE IF NOT EXISTS access_audit (  -- append-only (a trigger refuses UPDATE): who did what
    id {serial},
    at BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    via TEXT NOT NULL,  -- api, dashboard, cli, or the process that acted (scheduler)
    peer TEXT NOT NULL,  -- the client's address ('' on the command line)
    kind TEXT NOT NULL,  -- view (personal data read), export (a file out), change
    action TEXT NOT NULL,  -- e.g. "POST /api/terminals/{{terminal_id}}/revoke", "cli purge"
    target TEXT NOT NULL,  -- e.g. "terminal_id=7", "resident:R12"
    rusun_id INTEGER,  -- the target's rusun when known (a scoped supervisor sees those)
    detail TEXT NOT NULL  -- JSON, never a secret
);
CREATE INDEX IF NOT EXISTS access_audit_at ON access_audit (at);
CREATE TABLE IF NOT EXISTS retention (  -- days each kind of data is kept, if not the default
    kind TEXT PRIMARY KEY,
    days INTEGER NOT NULL,
    user_name TEXT NOT NULL,
    set_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS flat_days (  -- taps past their retention, by flat and day: no person
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    day BIGINT NOT NULL,  -- local day number (days since 1970-01-01, UTC+7)
    taps INTEGER NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE TABLE IF NOT EXISTS purge_runs (  -- what each purge removed (the purge report)
    id {serial},
    at BIGINT NOT NULL,
    user_name TEXT NOT NULL,
    dry_run SMALLINT NOT NULL,
    report TEXT NOT NULL  -- JSON: per data kind, the cut-off and the rows removed
)
"""

# Run after the tables: statements that hold a ";" of their own (one list per dialect).
_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS access_audit_append_only BEFORE UPDATE ON access_audit"
        " BEGIN SELECT RAISE(ABORT, 'access_audit is append-only'); END",
    ],
    "postgres": [
        "CREATE OR REPLACE FUNCTION hadir_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'access_audit is append-only'; END $$",
        "CREATE OR REPLACE TRIGGER access_audit_append_only BEFORE UPDATE ON access_audit"
        " FOR EACH ROW EXECUTE FUNCTION hadir_append_only()",
    ],
}

# Columns added to a table after it was first made (schema version 3, the tenant register):
# (table, column, definition), the same text as in ``_TABLES`` (a test compares an upgraded
# database with a new one); ``sync.store.migrations`` adds them to an older database.
ADDED_COLUMNS = migrations.REGISTER_COLUMNS

_DIALECT = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB"},
    "postgres": {"serial": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA"},
}


class SchemaError(Exception):
    """A database this collector cannot use (written by a newer version)."""


def statements(kind: str) -> list[str]:
    text = _TABLES.format(**_DIALECT[kind], events=EVENT_RECORDS)
    return [s.strip() for s in text.split(";") if s.strip()]


def statement(kind: str, name: str) -> str:
    """The CREATE statement of one table or index (a migration makes a new table with it)."""
    for stmt in statements(kind):
        head = stmt.split("(", 1)[0].split()
        if head[-1] == name:
            return stmt
    raise KeyError(name)


def create(tx: Tx) -> None:
    """A fresh database gets every table at ``SCHEMA_VERSION``; an older one is upgraded."""
    version = _stored_version(tx)
    if version is not None and version > SCHEMA_VERSION:
        raise SchemaError(
            f"skema basis data versi {version} lebih baru / database schema {version} is newer "
            f"than this collector's ({SCHEMA_VERSION})"
        )
    if version is not None:
        migrations.upgrade(tx, version, lambda name: tx.run(statement(tx.kind, name)))
    for stmt in statements(tx.kind):
        tx.run(stmt)
    for stmt in _TRIGGERS[tx.kind]:
        tx.run(stmt)
    if tx.value("SELECT value FROM meta WHERE key = 'schema_version'") is None:
        tx.run(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
    else:
        tx.run("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
    partitions.ensure_months(tx, int(time.time()))  # nothing unless records is partitioned


def columns(tx: Tx, table: str) -> set[str]:
    """The column names ``table`` has now."""
    if tx.kind == "postgres":
        rows = tx.all(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
    else:
        rows = tx.all("SELECT name FROM pragma_table_info(?)", (table,))
    return {r[0] for r in rows}


def _stored_version(tx: Tx) -> int | None:
    """The schema version the database holds; None for an empty database."""
    if tx.kind == "postgres":
        exists = tx.value(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_name = 'meta'"
        )
    else:
        exists = tx.value("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    if not exists:
        return None
    value = tx.value("SELECT value FROM meta WHERE key = 'schema_version'")
    return int(value) if value is not None else 1
