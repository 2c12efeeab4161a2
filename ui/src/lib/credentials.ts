/**
 * Provider credentials on the Staff screen (`credential_show`, `credential_set`,
 * `credential_expiring`): the form both ways and its checks, certifications that expired or
 * expire soon in words, and a refused change in words.
 */
import type {
  ApiError,
  Credentials,
  CredentialVerification,
  ExpiringCertification,
  ProviderCredentials,
} from './bindings';
import { isCalendarDate } from './format';
import type { MessageKey } from './i18n';
import type { FormProblem } from './visitForm';

/** How many days ahead an expiry is told on the Staff screen. */
export const EXPIRING_DAYS = 60;

export const VERIFICATIONS: readonly CredentialVerification[] = [
  'unverified',
  'verified',
  'rejected',
];

export type CertificationRow = {
  name: string;
  issuer: string;
  issued_on: string;
  expires_on: string;
};

export type CredentialsForm = {
  licence: string;
  specialisations: string[];
  affiliations: string[];
  certifications: CertificationRow[];
  verification: CredentialVerification;
};

/** A certification not filled in yet. */
export function blankCertification(): CertificationRow {
  return { name: '', issuer: '', issued_on: '', expires_on: '' };
}

/**
 * The form for `stored` credentials, or an empty one when none were recorded yet; without
 * any certification it offers one to fill in (left out if it stays blank).
 */
export function credentialsForm(stored: ProviderCredentials | null): CredentialsForm {
  const certifications = (stored?.certifications ?? []).map((c) => ({
    name: c.name,
    issuer: c.issuer ?? '',
    issued_on: c.issued_on ?? '',
    expires_on: c.expires_on ?? '',
  }));
  return {
    licence: stored?.licence_number ?? '',
    specialisations: [...(stored?.specialisations ?? [])],
    affiliations: [...(stored?.affiliations ?? [])],
    certifications: certifications.length > 0 ? certifications : [blankCertification()],
    verification: stored?.verification ?? 'unverified',
  };
}

const isBlank = (row: CertificationRow) => Object.values(row).every((v) => !v.trim());
const text = (value: string) => value.trim() || null;
const texts = (list: string[]) => list.map((x) => x.trim()).filter(Boolean);

/** The form as `Credentials`: blank entries and certifications left out. */
export function credentialsFrom(form: CredentialsForm): Credentials {
  return {
    licence_number: text(form.licence),
    specialisations: texts(form.specialisations),
    certifications: form.certifications
      .filter((row) => !isBlank(row))
      .map((row) => ({
        name: row.name.trim(),
        issuer: text(row.issuer),
        issued_on: text(row.issued_on),
        expires_on: text(row.expires_on),
      })),
    affiliations: texts(form.affiliations),
    verification: form.verification,
  };
}

/**
 * What the form can see before asking the backend: each certification needs its name, its
 * dates must be dates, and it cannot expire before it was issued. Fields are
 * `cert-<row>-<name|issued_on|expires_on>`.
 */
export function credentialsProblems(form: CredentialsForm): FormProblem[] {
  const problems: FormProblem[] = [];
  form.certifications.forEach((row, i) => {
    if (isBlank(row)) return;
    if (!row.name.trim()) problems.push({ field: `cert-${i}-name`, key: 'form.required' });
    const issued = row.issued_on.trim();
    const expires = row.expires_on.trim();
    if (issued && !isCalendarDate(issued)) {
      problems.push({ field: `cert-${i}-issued_on`, key: 'credentials.error.date' });
    }
    if (expires && !isCalendarDate(expires)) {
      problems.push({ field: `cert-${i}-expires_on`, key: 'credentials.error.date' });
    } else if (isCalendarDate(issued) && expires && expires < issued) {
      problems.push({
        field: `cert-${i}-expires_on`,
        key: 'credentials.error.expiresBeforeIssued',
      });
    }
  });
  return problems;
}

/**
 * An expiry in words, by the days left: expired that many days ago, today, or in that many
 * days. Its message takes `cert`, `user`, `date` and `count`.
 */
export function expiryWords(daysLeft: number): { key: MessageKey; count: number } {
  if (daysLeft < 0) return { key: 'credentials.expiring.expired', count: -daysLeft };
  if (daysLeft === 0) return { key: 'credentials.expiring.today', count: 0 };
  return { key: 'credentials.expiring.soon', count: daysLeft };
}

/** For each staff member with one: whether a certification expired, or only expires soon. */
export function expiryByUser(
  items: readonly ExpiringCertification[],
): Map<string, 'expired' | 'soon'> {
  const found = new Map<string, 'expired' | 'soon'>();
  for (const item of items) {
    if (item.days_left < 0) found.set(item.username, 'expired');
    else if (!found.has(item.username)) found.set(item.username, 'soon');
  }
  return found;
}

const INVALID_WORDS: Record<string, MessageKey> = {
  'certification name': 'credentials.error.certName',
  'certification issue date': 'credentials.error.certDates',
  'certification expiry': 'credentials.error.certDates',
  account: 'credentials.error.account',
};

/**
 * Why a change was refused, in words: changed by someone else meanwhile, a certification
 * without a name or with wrong dates, an account that keeps no credentials (not a
 * clinician's), the role, or anything else.
 */
export function credentialsErrorText(error: ApiError): MessageKey {
  switch (error.code) {
    case 'conflict':
      return 'credentials.error.conflict';
    case 'invalid':
      return INVALID_WORDS[error.field ?? ''] ?? 'credentials.error.invalid';
    case 'denied':
      return 'credentials.error.denied';
    default:
      return 'credentials.error.other';
  }
}
