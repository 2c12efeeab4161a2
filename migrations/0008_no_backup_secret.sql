-- Tessera schema 8: the vault keeps no backup secret. Scheduled backups encrypt to an age
-- public key whose private half lives elsewhere; a passphrase stored here would let anyone
-- who can unlock the vault open every off-site backup. The stored passphrase is deleted,
-- and a schedule that relied on it is switched off until an admin gives it a public key.

DELETE FROM vault_meta WHERE key = 'backup_passphrase';

UPDATE vault_meta
   SET value = json_remove(json_set(value, '$.enabled', json('false')), '$.has_passphrase')
 WHERE key = 'backup_schedule'
   AND json_extract(value, '$.recipient') IS NULL;

UPDATE vault_meta
   SET value = json_remove(value, '$.has_passphrase')
 WHERE key = 'backup_schedule';
