-- Backup history: every backup attempt with its outcome, and which blobs each backup file
-- physically holds, so the next backup to the same destination can refer to them instead
-- of copying them again (incremental backups).

CREATE TABLE backups (
    id             TEXT PRIMARY KEY NOT NULL,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    destination    TEXT NOT NULL,
    file_name      TEXT,
    kind           TEXT NOT NULL CHECK (kind IN ('full', 'incremental')),
    trigger_kind   TEXT NOT NULL CHECK (trigger_kind IN ('manual', 'scheduled')),
    status         TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'pruned', 'missing')),
    error          TEXT,
    byte_size      INTEGER,
    blobs_stored   INTEGER NOT NULL DEFAULT 0,
    blobs_referred INTEGER NOT NULL DEFAULT 0,
    -- Other backup files (ids) this one refers to for blobs; a JSON array.
    depends_on     TEXT NOT NULL DEFAULT '[]',
    encryption     TEXT NOT NULL CHECK (encryption IN ('passphrase', 'recipient')),
    verified_at    INTEGER,
    created_by     TEXT NOT NULL
) STRICT;

CREATE INDEX backups_destination ON backups (destination, started_at DESC);

CREATE TABLE backup_blobs (
    backup_id TEXT NOT NULL REFERENCES backups (id) ON DELETE CASCADE,
    blob_id   TEXT NOT NULL,
    byte_size INTEGER NOT NULL,
    sha256    BLOB NOT NULL,
    PRIMARY KEY (backup_id, blob_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX backup_blobs_blob ON backup_blobs (blob_id);
