-- Tessera schema: audit redaction and retention (to be renumbered 0005 when the backup
-- migration lands first). See core::audit for the chain and docs/architecture.md.
--
-- v2 audit entries: `payload_mac` = HMAC(audit key, before_json, after_json, reason), and
-- the chain MAC covers the fixed fields and payload_mac instead of the payload text. So the
-- payload can be removed (redacted) later, for erasure and retention, and the chain still
-- proves the order, count, actor, action, resource and time of every entry. Rows written
-- before this schema have payload_mac NULL (v1) until the upgrade at unlock converts them.
ALTER TABLE audit_log ADD COLUMN payload_mac BLOB;
ALTER TABLE audit_log ADD COLUMN redacted_at INTEGER;

-- Retention may remove the oldest entries. The checkpoint holds the seq and MAC of the last
-- entry removed, MAC'd with the audit key, and verification starts from it.
CREATE TABLE audit_checkpoint (
    id             INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq            INTEGER NOT NULL CHECK (seq >= 1),
    mac            BLOB NOT NULL,
    at             INTEGER NOT NULL,
    checkpoint_mac BLOB NOT NULL
) STRICT;

-- The only update allowed: a v2 entry's payload set to NULL, once, with every chained
-- column unchanged.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (
    OLD.payload_mac IS NOT NULL AND OLD.redacted_at IS NULL AND NEW.redacted_at IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at AND NEW.actor_id IS OLD.actor_id
    AND NEW.actor_name IS OLD.actor_name AND NEW.session_id IS OLD.session_id
    AND NEW.action IS OLD.action AND NEW.resource_type IS OLD.resource_type
    AND NEW.resource_id IS OLD.resource_id AND NEW.mac IS OLD.mac
    AND NEW.payload_mac IS OLD.payload_mac
    AND NEW.before_json IS NULL AND NEW.after_json IS NULL AND NEW.reason IS NULL
)
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only (only a payload redaction is allowed)');
END;

-- The only delete allowed: entries at or before the retention checkpoint.
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > coalesce((SELECT seq FROM audit_checkpoint WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only (only entries before the retention checkpoint may go)');
END;

-- Deleting a row from the search index removes its tokens from the index itself, not only
-- the row, so an erased patient's name does not linger in FTS segments.
INSERT INTO patient_search (patient_search, rank) VALUES ('secure-delete', 1);
