/**
 * What the verify and restore dialogs ask to open a backup: the file, its key (the
 * passphrase, or an age identity file for a backup made to a public key) and the signed-in
 * user's password, typed again, or, signed out (a vault too damaged to open), a user name
 * and that user's password. Holds the fields, the checks made before anything is sent, and
 * the backend's word on a wrong key or password; `BackupAccessFields` shows them.
 */
import type { BackupKeyArgs } from './backend';
import { keyErrors, pathProblem, type KeyErrors } from './backups';
import type { MessageKey } from './i18n';

export type KeyMode = 'passphrase' | 'identity';
type AccessField = 'file' | 'passphrase' | 'identity' | 'username' | 'password';

export class BackupAccess {
  file = $state('');
  mode = $state<KeyMode>('passphrase');
  passphrase = $state('');
  identityFile = $state('');
  /** Nobody is signed in: the user to act as is asked, with their password. */
  readonly signedOut: boolean = false;
  username = $state('');
  password = $state('');
  /**
   * What was missing when sending was last tried, field by field: only those fields say so
   * (until the next try), so a field emptied after a good try (the password, once a check
   * passed) is not flagged.
   */
  flagged = $state<Partial<Record<AccessField, boolean>>>({});
  /** What the backend said of the last try: a wrong key or a wrong password. */
  refused = $state<KeyErrors>({});

  /** What is missing or wrong, field by field, before anything is sent. */
  readonly problems = $derived({
    file: pathProblem(this.file),
    passphrase:
      this.mode === 'passphrase' && !this.passphrase
        ? ('backups.error.passphraseMissing' as const)
        : null,
    identity: this.mode === 'identity' ? pathProblem(this.identityFile) : null,
    username:
      this.signedOut && !this.username.trim() ? ('backups.error.usernameMissing' as const) : null,
    password: !this.password ? ('backups.error.passwordMissing' as const) : null,
  });
  readonly complete = $derived(
    !this.problems.file &&
      !this.problems.passphrase &&
      !this.problems.identity &&
      !this.problems.username &&
      !this.problems.password,
  );
  /**
   * What each field shows: its problem, if it was missing or wrong when sending was tried,
   * else the backend's word.
   */
  readonly shown: KeyErrors & { file?: MessageKey; username?: MessageKey } = $derived({
    file: (this.flagged.file && this.problems.file) || undefined,
    username: (this.flagged.username && this.problems.username) || undefined,
    passphrase: (this.flagged.passphrase && this.problems.passphrase) || this.refused.passphrase,
    identity: (this.flagged.identity && this.problems.identity) || this.refused.identity,
    password: (this.flagged.password && this.problems.password) || this.refused.password,
  });
  /** Every field as typed: a check made with other inputs does not hold. */
  readonly inputs = $derived(
    JSON.stringify([
      this.file,
      this.mode,
      this.passphrase,
      this.identityFile,
      this.username,
      this.password,
    ]),
  );

  /**
   * `encryption` is how the backup was encrypted, when the history knows (else a passphrase
   * is asked first, and an identity file can be chosen); `username`, given when nobody is
   * signed in, the user name to offer.
   */
  constructor(file: string, encryption: string | null, username: string | null = null) {
    this.file = file;
    this.mode = encryption === 'recipient' ? 'identity' : 'passphrase';
    this.signedOut = username !== null;
    this.username = username ?? '';
  }

  /**
   * A try at sending: flags the fields missing or wrong now (and only those), forgets the
   * backend's last word; true when nothing is missing.
   */
  attempt(): boolean {
    const p = this.problems;
    this.flagged = {
      file: !!p.file,
      passphrase: !!p.passphrase,
      identity: !!p.identity,
      username: !!p.username,
      password: !!p.password,
    };
    this.refused = {};
    return this.complete;
  }

  /** The file, the key and the password as `backup_verify` and `backup_restore` take them. */
  args(): BackupKeyArgs & { file: string; password: string } {
    return {
      file: this.file.trim(),
      passphrase: this.mode === 'passphrase' ? this.passphrase : null,
      identity_file: this.mode === 'identity' ? this.identityFile.trim() : null,
      password: this.password,
    };
  }

  /**
   * Keeps an error of `backup_verify`/`backup_restore` that belongs to a field (a wrong key,
   * a wrong password) for that field; false for any other error, which the dialog shows.
   */
  refusedBy(error: { code: string; field?: string }): boolean {
    const fields = keyErrors(error, this.mode);
    if (fields) this.refused = fields;
    return fields !== null;
  }
}
