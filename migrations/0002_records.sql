-- Tessera schema 2: patients, encounters (visits and vitals), narratives with every revision,
-- consents, provider credentials, and the full-text index over them.
-- Times are unix milliseconds (UTC); calendar dates (birth, certification expiry) are
-- ISO 8601 text (YYYY-MM-DD). The complete profile is kept as JSON in `profile_json`; the
-- columns beside it are copies of the fields that are listed, sorted or filtered on.

CREATE TABLE patients (
    id            TEXT PRIMARY KEY NOT NULL,
    human_id      TEXT NOT NULL UNIQUE,
    version       INTEGER NOT NULL CHECK (version >= 1),
    given_name    TEXT NOT NULL,
    family_name   TEXT NOT NULL,
    date_of_birth TEXT,
    sex           TEXT,
    phone         TEXT,
    status        TEXT NOT NULL,
    profile_json  TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    deleted_at    INTEGER,
    deleted_by    TEXT
) STRICT;

CREATE INDEX patients_name ON patients (family_name COLLATE NOCASE, given_name COLLATE NOCASE);
CREATE INDEX patients_deleted ON patients (deleted_at) WHERE deleted_at IS NOT NULL;

CREATE TABLE encounters (
    id            TEXT PRIMARY KEY NOT NULL,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    version       INTEGER NOT NULL CHECK (version >= 1),
    occurred_at   INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    staff_id      TEXT,
    reason        TEXT NOT NULL,
    notes         TEXT,
    diagnoses     TEXT NOT NULL,
    treatments    TEXT NOT NULL,
    bp_systolic   INTEGER,
    bp_diastolic  INTEGER,
    pulse         INTEGER,
    temperature_c REAL,
    spo2          INTEGER,
    weight_kg     REAL,
    height_cm     REAL,
    pain          INTEGER,
    created_at    INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX encounters_patient_time ON encounters (patient_id, occurred_at DESC);

CREATE TABLE narratives (
    id          TEXT PRIMARY KEY NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    photo_id    TEXT,
    author_id   TEXT,
    author_name TEXT NOT NULL,
    author_type TEXT NOT NULL CHECK (author_type IN ('patient', 'social_worker', 'clinician')),
    title       TEXT,
    body        TEXT NOT NULL,
    revision    INTEGER NOT NULL CHECK (revision >= 1),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX narratives_patient ON narratives (patient_id, created_at DESC);

-- Every version of every narrative, the first included; rows are never changed.
CREATE TABLE narrative_revisions (
    narrative_id TEXT NOT NULL REFERENCES narratives (id),
    revision     INTEGER NOT NULL,
    title        TEXT,
    body         TEXT NOT NULL,
    photo_id     TEXT,
    edited_by    TEXT,
    editor_name  TEXT NOT NULL,
    edited_at    INTEGER NOT NULL,
    PRIMARY KEY (narrative_id, revision)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER narrative_revisions_no_update BEFORE UPDATE ON narrative_revisions
BEGIN
    SELECT RAISE(ABORT, 'narrative revisions are kept as written');
END;

-- A consent decision; withdrawing adds a row, so the history is the table itself.
CREATE TABLE consents (
    id          TEXT PRIMARY KEY NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    purpose     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('granted', 'withdrawn')),
    recorded_by TEXT,
    recorder    TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    evidence_id TEXT,
    notes       TEXT
) STRICT;

CREATE INDEX consents_patient ON consents (patient_id, purpose, recorded_at);

CREATE TABLE provider_credentials (
    staff_id            TEXT PRIMARY KEY NOT NULL REFERENCES staff (id),
    version             INTEGER NOT NULL CHECK (version >= 1),
    credentials_json    TEXT NOT NULL,
    verification_status TEXT NOT NULL,
    updated_at          INTEGER NOT NULL,
    updated_by          TEXT NOT NULL
) STRICT;

-- One row per patient (rowid = patients.rowid), ranked with bm25 weights per column.
-- Accents are folded by the tokenizer (remove_diacritics 2); prefix indexes serve typeahead.
CREATE VIRTUAL TABLE patient_search USING fts5 (
    names,
    identifiers,
    narratives,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3 4'
);
