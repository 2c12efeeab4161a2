-- Visits can be corrected: amended (the earlier version kept) or voided (kept, marked, left
-- out of the chart). Nothing about a visit is ever overwritten without a trace.
ALTER TABLE encounters ADD COLUMN voided_at INTEGER;
ALTER TABLE encounters ADD COLUMN voided_by TEXT;
ALTER TABLE encounters ADD COLUMN void_reason TEXT;

-- Each version an amendment replaced, as it was (the encounter's JSON), with who replaced
-- it, when and why.
CREATE TABLE encounter_revisions (
    encounter_id TEXT NOT NULL REFERENCES encounters (id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    content      TEXT NOT NULL,
    replaced_at  INTEGER NOT NULL,
    replaced_by  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (encounter_id, version)
) STRICT;
