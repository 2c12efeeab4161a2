/**
 * Transfer between vaults, in words: the identity file's suggested name, the split size's
 * check, what a bundle holds and what importing it did, a conflict's fields and values as
 * people read them, and refusals.
 */
import type { Applied, ApiError, Conflict, Counts, Language, VaultIdentity } from './backend';
import { formatDateTime } from './format';
import { translate, type MessageKey } from './i18n';

/** The name suggested for this vault's identity file: `tessera-<vault>.identity`. */
export function identityFileName(identity: Pick<VaultIdentity, 'vault_id'>): string {
  return `tessera-${identity.vault_id.slice(0, 8)}.identity`;
}

/**
 * The parts' size typed for a split bundle: `null` for one file (nothing typed), a whole
 * number of megabytes, or a problem.
 */
export function splitSize(text: string): { mb: number | null } | { problem: MessageKey } {
  const typed = text.trim();
  if (!typed) return { mb: null };
  if (!/^\d+$/.test(typed)) return { problem: 'transfer.send.splitInvalid' };
  const mb = Number(typed);
  if (mb < 1 || mb > 1_000_000) return { problem: 'transfer.send.splitInvalid' };
  return { mb };
}

type Line = { key: MessageKey; count: number };

/** What a bundle holds, the kinds it holds any of: "2 patients, 3 visits, …". */
export function holdings(counts: Counts): Line[] {
  const lines: Line[] = [
    { key: 'transfer.count.patients', count: counts.patients },
    { key: 'transfer.count.encounters', count: counts.encounters },
    { key: 'transfer.count.narratives', count: counts.narratives },
    { key: 'transfer.count.photos', count: counts.photos },
    { key: 'transfer.count.consents', count: counts.consents },
  ];
  return lines.filter((line) => line.count > 0);
}

/** What an import did, one line per outcome that happened. */
export function outcomeLines(outcome: Applied): Line[] {
  const lines: Line[] = [
    { key: 'transfer.receive.added', count: outcome.added },
    { key: 'transfer.receive.updated', count: outcome.updated },
    { key: 'transfer.receive.unchanged', count: outcome.unchanged },
    { key: 'transfer.receive.conflicts', count: outcome.conflicts },
    { key: 'transfer.receive.duplicates', count: outcome.possible_duplicates },
    { key: 'transfer.receive.erased', count: outcome.erased_here },
  ];
  return lines.filter((line) => line.count > 0);
}

/** Labels of the fields a conflict may show, by kind of record (core's column names). */
const LABELS: Record<string, Record<string, MessageKey>> = {
  patient: {
    given_name: 'profile.given_name',
    family_name: 'profile.family_name',
    preferred_name: 'profile.preferred_name',
    date_of_birth: 'profile.date_of_birth',
    sex: 'profile.sex',
    status: 'profile.status',
    phone: 'profile.phone',
    location: 'profile.location',
    preferred_language: 'profile.preferred_language',
    blood_type: 'profile.blood_type',
    organ_donor: 'profile.organ_donor',
    medical_alerts: 'profile.medical_alerts',
    allergies: 'profile.allergies',
    chronic_conditions: 'profile.chronic_conditions',
    medications: 'profile.medications',
    emergency_contacts: 'profile.emergency_contacts',
    insurance: 'profile.insurance',
    communication: 'profile.communication',
    deleted_at: 'transfer.field.deleted_at',
  },
  encounter: {
    occurred_at: 'visits.date',
    kind: 'visits.kind',
    reason: 'visits.reason',
    notes: 'visits.notes',
    diagnoses: 'visits.diagnoses',
    treatments: 'visits.treatments',
    bp_systolic: 'vitals.bp_systolic',
    bp_diastolic: 'vitals.bp_diastolic',
    pulse: 'vitals.pulse',
    temperature_c: 'vitals.temperature_c',
    spo2: 'vitals.spo2',
    weight_kg: 'vitals.weight_kg',
    height_cm: 'vitals.height_cm',
    pain: 'vitals.pain',
    voided_at: 'transfer.field.voided_at',
    void_reason: 'transfer.field.void_reason',
  },
  photo: {
    caption: 'photos.caption',
    privacy: 'photos.import.privacy',
    deleted_at: 'transfer.field.deleted_at',
  },
};

/** A field of a conflict's record as people call it (else its name, in words). */
export function fieldLabel(record: string, field: string, lang: Language): string {
  const key = LABELS[record]?.[field];
  if (key) return translate(lang, key);
  const words = field.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One of a conflict's values as people read it: dates as dates, lists one by one. */
export function valueText(field: string, value: unknown, lang: Language): string {
  const empty = translate(lang, 'transfer.conflicts.empty');
  const item = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '';
    if (typeof v === 'boolean') return translate(lang, v ? 'form.yes' : 'form.no');
    if (typeof v === 'number') {
      return field.endsWith('_at') ? formatDateTime(new Date(v).toISOString(), lang) : String(v);
    }
    if (typeof v === 'string') {
      // A list kept as JSON text (a visit's diagnoses).
      if (v.startsWith('[') || v.startsWith('{')) {
        try {
          return item(JSON.parse(v));
        } catch {
          return v;
        }
      }
      return v;
    }
    if (Array.isArray(v)) {
      return v.map(item).filter(Boolean).join(translate(lang, 'form.listSeparator'));
    }
    if (typeof v === 'object') {
      return Object.values(v as Record<string, unknown>)
        .map(item)
        .filter(Boolean)
        .join(', ');
    }
    return String(v);
  };
  return item(value) || empty;
}

/** Which record a conflict is about, in words. */
export function recordWords(conflict: Pick<Conflict, 'record'>): MessageKey {
  switch (conflict.record) {
    case 'encounter':
      return 'transfer.conflicts.record.encounter';
    case 'photo':
      return 'transfer.conflicts.record.photo';
    default:
      return 'transfer.conflicts.record.patient';
  }
}

/** How a settled conflict was settled, in words. */
export function resolutionWords(resolution: string | null): MessageKey | null {
  switch (resolution) {
    case 'kept_ours':
      return 'transfer.conflicts.how.kept_ours';
    case 'took_theirs':
      return 'transfer.conflicts.how.took_theirs';
    case 'different_people':
      return 'transfer.conflicts.how.different_people';
    default:
      return null;
  }
}

/** Core's reasons for refusing a transfer file (`TransferRefusal::name`), each in words. */
const REFUSALS: Record<string, MessageKey> = {
  not_identity: 'transfer.refused.not_identity',
  no_identity_here: 'transfer.refused.no_identity_here',
  for_another_vault: 'transfer.refused.for_another_vault',
  not_paired: 'transfer.refused.not_paired',
  bad_signature: 'transfer.refused.bad_signature',
  other_version: 'transfer.refused.other_version',
  gap: 'transfer.refused.gap',
  receipt_beyond: 'transfer.refused.receipt_beyond',
  not_receipt: 'transfer.refused.not_receipt',
};

/**
 * A refusal of a transfer in words: `text`, ours, replaces the backend's message (kept for
 * support under "Details", where core names the vaults and bundle numbers); without it the
 * backend's own words say why.
 */
export function refusalWords(error: ApiError): { text?: MessageKey; details?: boolean } {
  switch (error.code) {
    case 'bundle_refused': {
      const text = error.reason === undefined ? undefined : REFUSALS[error.reason];
      return text ? { text } : {};
    }
    case 'bundle_damaged':
      return { text: 'transfer.error.damaged' };
    case 'not_found':
      return { text: 'transfer.error.notFound' };
    case 'denied':
      return { text: 'transfer.error.denied' };
    case 'no_session':
      return { text: 'transfer.error.noSession', details: false };
    default:
      return {};
  }
}

/** The backend's message without its `field: ` prefix, to show at the field. */
export function fieldMessage(error: ApiError): string {
  const prefix = `${error.field ?? ''}: `;
  return error.field && error.message.startsWith(prefix)
    ? error.message.slice(prefix.length)
    : error.message;
}
