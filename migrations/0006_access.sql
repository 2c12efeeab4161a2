-- Tessera schema 6: access grants (a time-limited, read-only window on one patient's record
-- given to the patient as a 6-digit code and a signed QR), and failed code attempts.
-- Times are unix milliseconds (UTC).

CREATE TABLE access_grants (
    id           TEXT PRIMARY KEY NOT NULL,          -- UUIDv7, also the token's `cti`
    patient_id   TEXT NOT NULL REFERENCES patients (id),
    permissions  INTEGER NOT NULL CHECK (permissions > 0 AND permissions < 64),
    code_mac     BLOB NOT NULL,                      -- HMAC(access-code key, code); never the code
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    expires_at   INTEGER NOT NULL CHECK (expires_at > created_at),
    uses         INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    revoked_at   INTEGER,
    revoked_by   TEXT
) STRICT;

CREATE INDEX access_grants_patient ON access_grants (patient_id, expires_at);
CREATE INDEX access_grants_code ON access_grants (code_mac) WHERE revoked_at IS NULL;

-- One row per wrong or refused code, kept for an hour: the rate limit counts them per
-- workstation and, when the grant is known, per grant.
CREATE TABLE access_failures (
    at          INTEGER NOT NULL,
    workstation TEXT NOT NULL,
    grant_id    TEXT
) STRICT;

CREATE INDEX access_failures_workstation ON access_failures (workstation, at);
CREATE INDEX access_failures_grant ON access_failures (grant_id, at) WHERE grant_id IS NOT NULL;
