-- A duplicate record merged into another: which one survived, what moved, and whether the
-- merge was undone. The merged-away patient waits in the bin, so the merge can be undone
-- until the bin empties; after that this row only redirects its ids to the survivor. No
-- foreign keys: the row outlives the merged-away patient, and erasing either patient
-- deletes it.
CREATE TABLE patient_merges (
    merged_id       TEXT PRIMARY KEY NOT NULL,
    merged_human_id TEXT NOT NULL UNIQUE,
    survivor_id     TEXT NOT NULL,
    -- The rows that moved, by table: {"encounters": [ids], "narratives": [...], ...}.
    moved           TEXT NOT NULL,
    merged_at       INTEGER NOT NULL,
    merged_by       TEXT NOT NULL,
    undone_at       INTEGER,
    undone_by       TEXT,
    -- When the merged-away patient left the bin for good: the merge can no longer be undone.
    settled_at      INTEGER
) STRICT;

CREATE INDEX patient_merges_survivor ON patient_merges (survivor_id);

-- Likely duplicates are looked for by birth date at every registration.
CREATE INDEX patients_birth ON patients (date_of_birth) WHERE deleted_at IS NULL;
