/**
 * The audit log in words: what an action code means ("Viewed a patient record" for
 * `patient.view`), who the actor was (their full name, not a user name or an id), and what
 * the entry is about. A code this UI does not know is shown as it is.
 */
import type { AuditRecord, Language, StaffAccount } from './bindings';
import { translate, type MessageKey } from './i18n';
import { en } from './i18n/en';

/**
 * The actions core records in the audit log under names of their own, besides those of its
 * policy (`Action`): sign-in events, refusals, checks, and what the retention policy did.
 */
export const OTHER_AUDIT_ACTIONS = [
  'auth.login_failed',
  'auth.login_refused_locked',
  'auth.backup_password_failed',
  'auth.events_lost',
  'access.denied',
  'access.verify',
  'access.photo',
  'audit.upgraded',
  'backup.failed',
  'backup.verify',
  'backup.prune',
  'patient.restore',
  'patient.unmerge',
  'retention.run',
  'retention.set',
  'retention.delete',
  'retention.anonymise',
  'vault.upgraded',
  'vault.replaced_removed',
  'vault.rekey_started',
  'vault.rekeyed',
] as const;

/** The actor core records for what was done with the recovery key. */
export const RECOVERY_ACTOR = 'recovery-key';

function known(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** An action code in words, or the code itself when this UI does not know it. */
export function actionWords(action: string, lang: Language): string {
  const key = `audit.what.${action}`;
  return known(key) ? translate(lang, key) : action;
}

/** Whether `action` has words of its own. */
export function hasActionWords(action: string): boolean {
  return known(`audit.what.${action}`);
}

/** A kind of resource in words (`patient`: "Patient record"), or the kind as it is. */
export function resourceWords(resourceType: string, lang: Language): string {
  const key = `audit.kind.${resourceType}`;
  return known(key) ? translate(lang, key) : resourceType;
}

/** The staff accounts an admin can list, by user name and by id, for naming actors. */
export type StaffNames = { byUsername: Map<string, string>; byId: Map<string, string> };

export function staffNames(staff: readonly StaffAccount[]): StaffNames {
  const byUsername = new Map<string, string>();
  const byId = new Map<string, string>();
  for (const account of staff) {
    const name = account.display_name.trim() || account.username;
    byUsername.set(account.username.toLowerCase(), name);
    byId.set(account.id, name);
  }
  return { byUsername, byId };
}

/** Who did it: the staff member's full name, else their user name; the recovery key by name. */
export function actorWords(record: AuditRecord, names: StaffNames, lang: Language): string {
  if (record.actor_id === null && record.actor === RECOVERY_ACTOR) {
    return translate(lang, 'audit.recoveryKey');
  }
  return (
    (record.actor_id !== null ? names.byId.get(record.actor_id) : undefined) ??
    names.byUsername.get(record.actor.toLowerCase()) ??
    record.actor
  );
}

/** Kinds of which a vault holds one: named even without an id. */
const ONE_OF_A_KIND = new Set([
  'vault',
  'settings',
  'retention_policy',
  'backup_schedule',
  'audit_log',
  'recovery_key',
  'credentials',
]);

/** Whether the entry is the check for likely duplicates made before registering a patient. */
function isDuplicateCheck(record: AuditRecord): boolean {
  const after = record.after;
  return (
    record.action === 'patient.search' &&
    typeof after === 'object' &&
    after !== null &&
    !Array.isArray(after) &&
    after.duplicates_of === 'registration'
  );
}

/**
 * What the entry is about, in words: the kind of record, a staff account by its holder's
 * name, a refused action by what it would have done, the duplicate check of a registration;
 * empty when it names no record (any other search). Ids stay in the details.
 */
export function aboutWords(record: AuditRecord, names: StaffNames, lang: Language): string {
  if (isDuplicateCheck(record)) return translate(lang, 'audit.duplicateCheck');
  if (!record.resource_id && !ONE_OF_A_KIND.has(record.resource_type)) return '';
  const kind = resourceWords(record.resource_type, lang);
  if (record.resource_type === 'action' && record.resource_id) {
    return translate(lang, 'audit.refused', { action: actionWords(record.resource_id, lang) });
  }
  if (record.resource_type === 'staff' && record.resource_id) {
    const name = names.byId.get(record.resource_id);
    if (name) return translate(lang, 'form.labelled', { label: kind, value: name });
  }
  return kind;
}
