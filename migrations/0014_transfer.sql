-- Tessera schema 14: moving records between vaults with no network (a field laptop and its
-- clinic) in signed, encrypted bundles. Times are unix milliseconds (UTC).

-- Vaults this one exchanges bundles with: their public keys, and how far each direction
-- has got. Audit sequence numbers measure "how far": a bundle carries the records its
-- sender's audit log names between two of its entries.
CREATE TABLE transfer_peers (
    vault_id        TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    recipient       TEXT NOT NULL,                 -- age X25519 public key (age1…)
    verify_key      BLOB NOT NULL CHECK (length(verify_key) = 32), -- Ed25519 public key
    paired_at       INTEGER NOT NULL,
    paired_by       TEXT NOT NULL,
    -- Sending: the last bundle number written to the peer, and the entry of our audit log
    -- up to which the peer has confirmed it holds everything (its receipt).
    sent_bundles    INTEGER NOT NULL DEFAULT 0,
    acknowledged_to INTEGER NOT NULL DEFAULT 0,
    -- Receiving: the entry of the peer's audit log up to which we hold everything it sent.
    received_to     INTEGER NOT NULL DEFAULT 0,
    received_bundle INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Every state a transferred record (a patient's profile, a visit, a photo's details) is
-- known to have passed through, by SHA-256 of its content. An incoming state that this
-- vault's current state is among the ancestors of is applied; one already among ours is
-- old news; anything else was changed on both sides and is a conflict.
CREATE TABLE transfer_versions (
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    hash          BLOB NOT NULL,
    PRIMARY KEY (resource_type, resource_id, hash)
) STRICT, WITHOUT ROWID;

-- What an import could not apply on its own, for a person to decide: a record changed on
-- both sides (both versions kept: ours in its table, theirs here), or a patient registered
-- elsewhere who may be one already here.
CREATE TABLE transfer_conflicts (
    id            TEXT PRIMARY KEY NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('edited_on_both_sides', 'possible_duplicate')),
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    patient_id    TEXT NOT NULL,
    from_vault    TEXT NOT NULL,
    -- Theirs: the record as it arrived (a possible duplicate: the patient id here it may be).
    incoming      TEXT NOT NULL,
    incoming_hash BLOB NOT NULL,
    received_at   INTEGER NOT NULL,
    resolved_at   INTEGER,
    resolved_by   TEXT,
    resolution    TEXT,
    UNIQUE (resource_type, resource_id, incoming_hash)
) STRICT;

CREATE INDEX transfer_conflicts_open ON transfer_conflicts (received_at) WHERE resolved_at IS NULL;

-- Every bundle imported: which, when, by whom and what it held.
CREATE TABLE transfer_imports (
    from_vault   TEXT NOT NULL,
    bundle       INTEGER NOT NULL,
    from_seq     INTEGER NOT NULL,
    to_seq       INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    imported_at  INTEGER NOT NULL,
    imported_by  TEXT NOT NULL,
    counts       TEXT NOT NULL,
    PRIMARY KEY (from_vault, bundle)
) STRICT;

-- The sending vault's audit entries about the records it sent, as they came: its account
-- of who did what there, vouched for by the bundle's signature (this vault's chain cannot
-- check them). Filed by patient, so erasing the patient here removes them too.
CREATE TABLE transfer_source_audit (
    from_vault TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    patient_id TEXT NOT NULL,
    entry      TEXT NOT NULL,
    PRIMARY KEY (from_vault, seq, patient_id)
) STRICT;

CREATE INDEX transfer_source_audit_patient ON transfer_source_audit (patient_id);
