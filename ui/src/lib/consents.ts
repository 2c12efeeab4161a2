/**
 * A patient's consents (`consent_list`, `consent_record`): the purposes offered by name, the
 * decisions grouped by purpose (the newest in force, the earlier ones superseded), and a
 * refused decision in words.
 */
import type { Consent, ErrorCode } from './bindings';
import type { MessageKey } from './i18n';

/** The purposes offered by name, as core keeps them (lower case); any other is typed. */
export const COMMON_PURPOSES = ['photography', 'sharing with other services', 'research'] as const;

export type CommonPurpose = (typeof COMMON_PURPOSES)[number];

/** What the form's purpose is: one offered by name, or another typed in. */
export type PurposeChoice = CommonPurpose | 'other';

const PURPOSE_WORDS: Record<CommonPurpose, MessageKey> = {
  photography: 'consents.purpose.photography',
  'sharing with other services': 'consents.purpose.sharing',
  research: 'consents.purpose.research',
};

/** The words of a purpose offered by name, or null for one typed in (shown as it is). */
export function purposeKey(purpose: string): MessageKey | null {
  return (COMMON_PURPOSES as readonly string[]).includes(purpose)
    ? PURPOSE_WORDS[purpose as CommonPurpose]
    : null;
}

/** The purpose the form records: the one chosen, or the one typed (null when left blank). */
export function chosenPurpose(choice: PurposeChoice, typed: string): string | null {
  if (choice !== 'other') return choice;
  return typed.trim() || null;
}

/** One purpose's decisions, oldest first, and the one in force (the newest). */
export type PurposeHistory = { purpose: string; decisions: Consent[]; current: Consent };

/** The decisions (oldest first, as listed) by purpose, in the order purposes were first decided. */
export function byPurpose(consents: readonly Consent[]): PurposeHistory[] {
  const groups = new Map<string, Consent[]>();
  for (const c of consents) groups.set(c.purpose, [...(groups.get(c.purpose) ?? []), c]);
  return [...groups].map(([purpose, decisions]) => ({
    purpose,
    decisions,
    current: decisions.find((d) => d.current) ?? (decisions[decisions.length - 1] as Consent),
  }));
}

const ERROR_WORDS: Partial<Record<ErrorCode, MessageKey>> = {
  conflict: 'consents.error.conflict',
  invalid: 'consents.error.invalid',
  denied: 'consents.error.denied',
};

/**
 * Why a decision was refused, in words: a consent withdrawn already (or the record moved to
 * the bin) since the list was shown, no purpose, the role, or anything else.
 */
export function consentErrorText(code: ErrorCode): MessageKey {
  return ERROR_WORDS[code] ?? 'consents.error.other';
}
