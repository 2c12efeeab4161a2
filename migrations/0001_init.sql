-- Tessera schema 1: staff accounts, key-slot mapping, audit chain, vault settings.
-- Times are unix milliseconds (UTC) in INTEGER columns; ids are UUIDv7 text.

CREATE TABLE vault_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE staff (
    id           TEXT PRIMARY KEY NOT NULL,
    username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'clinician', 'social_worker', 'front_desk')),
    status       TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    slot_id      TEXT UNIQUE,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    disabled_at  INTEGER,
    CHECK ((status = 'active') = (slot_id IS NOT NULL))
) STRICT;

-- The audit chain. mac = HMAC(audit key, prev_mac || canonical(entry)); see core::audit.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY NOT NULL,
    at            INTEGER NOT NULL,
    actor_id      TEXT,
    actor_name    TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT,
    before_json   TEXT,
    after_json    TEXT,
    reason        TEXT,
    mac           BLOB NOT NULL
) STRICT;

CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_resource ON audit_log (resource_type, resource_id);
CREATE INDEX audit_log_actor ON audit_log (actor_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
