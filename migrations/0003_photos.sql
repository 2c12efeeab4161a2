-- Tessera schema 3: photos. The image files live in the blob store (media/), sealed; a row
-- names its blobs: the stripped original (the photo's own id), the thumbnail, and the
-- preview once the viewer has asked for it. Blobs are written before the row commits, so a
-- row never names a missing blob; a blob without a row is a crash leftover, swept on open.

CREATE TABLE photos (
    id            TEXT PRIMARY KEY NOT NULL,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    -- HMAC-SHA256 of the stripped image under a vault key: finds re-imports of the same
    -- photo without storing a plain hash anyone could match against a known image.
    content_mac   BLOB NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp')),
    byte_size     INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    orientation   INTEGER NOT NULL CHECK (orientation BETWEEN 1 AND 8),
    thumb_id      TEXT NOT NULL,
    thumb_width   INTEGER NOT NULL,
    thumb_height  INTEGER NOT NULL,
    preview_id    TEXT,
    -- The camera's clock, as it recorded it (no zone unless the camera wrote one).
    taken_at      TEXT,
    camera_make   TEXT,
    camera_model  TEXT,
    latitude      REAL,
    longitude     REAL,
    caption       TEXT,
    source_name   TEXT,
    privacy       TEXT NOT NULL CHECK (privacy IN ('private', 'staff')),
    imported_by   TEXT,
    importer_name TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    deleted_at    INTEGER,
    deleted_by    TEXT
) STRICT;

CREATE INDEX photos_patient ON photos (patient_id, imported_at DESC);
-- Not unique: a photo in the bin, or kept private by someone else, may be imported again.
CREATE INDEX photos_content ON photos (patient_id, content_mac);
