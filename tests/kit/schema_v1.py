# schema_v1: the collector's tables as version 1 made them, to test that such a database upgrades.
# SPDX-License-Identifier: MIT
"""Frozen: never edited. ``create_v1(tx)`` makes an empty version-1 database (as a collector
before schema version 2 left it); tests/sync/test_migrations.py fills it and opens it with the
current collector."""

from sync.store.db import Tx

V1_TABLES = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rusun (
    id {serial},
    name TEXT NOT NULL UNIQUE,
    card_key_enc {blob} NOT NULL,
    allowlist_version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS units (
    id {serial},
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    name TEXT NOT NULL,
    UNIQUE (rusun_id, name)
);
CREATE TABLE IF NOT EXISTS residents (
    resident_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    registered_at BIGINT NOT NULL
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
    enrolled_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_token ON cards (rusun_id, token);
CREATE INDEX IF NOT EXISTS cards_resident ON cards (resident_id);
CREATE TABLE IF NOT EXISTS card_tokens (
    rusun_id INTEGER NOT NULL REFERENCES rusun(id),
    token BIGINT NOT NULL,
    card_id INTEGER NOT NULL REFERENCES cards(id),
    PRIMARY KEY (rusun_id, token, card_id)
);
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
    acked BIGINT NOT NULL DEFAULT 0,
    config_json TEXT NOT NULL,
    config_version INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    last_seen BIGINT,
    revoked_at BIGINT,
    st_seq BIGINT NOT NULL DEFAULT 0,
    st_boot BIGINT,
    st_up BIGINT,
    st_anchor_wall BIGINT,
    st_anchor_up BIGINT
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
    PRIMARY KEY (terminal_id, gen, seal_seq)
);
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
    PRIMARY KEY (terminal_id, gen, seq)
);
CREATE INDEX IF NOT EXISTS records_wall ON records (wall_time);
CREATE INDEX IF NOT EXISTS records_boot ON records (terminal_id, gen, boot);
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
    rusun TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash {blob} PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL
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
CREATE INDEX IF NOT EXISTS review_marks_subject ON review_marks (subject_kind, subject_key)
"""

_DIALECT = {
    "sqlite": {"serial": "INTEGER PRIMARY KEY AUTOINCREMENT", "blob": "BLOB"},
    "postgres": {"serial": "BIGSERIAL PRIMARY KEY", "blob": "BYTEA"},
}


def create_v1(tx: Tx) -> None:
    text = V1_TABLES.format(**_DIALECT[tx.kind])
    for stmt in (s.strip() for s in text.split(";")):
        if stmt:
            tx.run(stmt)
    tx.run("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
