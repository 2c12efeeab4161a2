-- Tessera schema 7: the export log. One row per PDF, JSON or CSV export that was written:
-- who made it, of whom, what it holds and the SHA-256 of the file as written, so a file
-- handed back later can be checked against what left the vault. Times are unix
-- milliseconds (UTC).

CREATE TABLE exports (
    id          TEXT PRIMARY KEY NOT NULL,            -- UUIDv7; a PDF's seal carries it
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    kind        TEXT NOT NULL CHECK (kind IN ('summary', 'full', 'referral')),
    format      TEXT NOT NULL CHECK (format IN ('pdf', 'json', 'csv')),
    range_from  TEXT,                                 -- YYYY-MM-DD, inclusive
    range_to    TEXT,                                 -- YYYY-MM-DD, inclusive
    encrypted   INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    sha256      TEXT NOT NULL,                        -- hex, of the file as written
    content_sha256 TEXT,                              -- hex, what a PDF's seal signs
    bytes       INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL                         -- user name
) STRICT;

CREATE INDEX exports_patient ON exports (patient_id, created_at);
CREATE INDEX exports_sha256 ON exports (sha256);
