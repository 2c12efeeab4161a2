-- Tessera schema 13: HEIC photos. SQLite cannot change a CHECK constraint in place, so the
-- photos table is made again with 'heic' among its formats, its rows copied as they are
-- (same columns, same order), and its indexes remade. No table refers to photos by a
-- foreign key, so dropping the old one touches nothing else.

CREATE TABLE photos_with_heic (
    id            TEXT PRIMARY KEY NOT NULL,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    content_mac   BLOB NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'heic')),
    byte_size     INTEGER NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    orientation   INTEGER NOT NULL CHECK (orientation BETWEEN 1 AND 8),
    thumb_id      TEXT NOT NULL,
    thumb_width   INTEGER NOT NULL,
    thumb_height  INTEGER NOT NULL,
    preview_id    TEXT,
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

INSERT INTO photos_with_heic SELECT * FROM photos;
DROP TABLE photos;
ALTER TABLE photos_with_heic RENAME TO photos;

CREATE INDEX photos_patient ON photos (patient_id, imported_at DESC);
CREATE INDEX photos_content ON photos (patient_id, content_mac);
