/**
 * The front desk's card of a patient (`patient_desk`): its correction through the profile
 * form (names and contact details only), and a refused correction in words.
 */
import type { DeskCorrection, DeskRecord, ErrorCode } from './bindings';
import type { MessageKey } from './i18n';
import { formToProfile, profileToForm, type ProfileForm } from './profileForm';

/** The part of a desk record the desk corrects, as the profile form (the rest left blank). */
export function deskForm(record: DeskRecord): ProfileForm {
  return profileToForm({
    given_name: record.identity.given_name,
    family_name: record.identity.family_name,
    preferred_name: record.identity.preferred_name,
    ...record.contact,
    emergency_contacts: record.emergency_contacts,
    status: 'active',
  });
}

/** The desk's correction from the form: names and contact details, nothing else. */
export function formToDeskCorrection(f: ProfileForm): DeskCorrection {
  const p = formToProfile(f);
  return {
    given_name: p.given_name,
    family_name: p.family_name,
    preferred_name: p.preferred_name ?? null,
    contact: {
      phone: p.phone ?? null,
      location: p.location ?? null,
      preferred_language: p.preferred_language ?? null,
      communication: p.communication ?? null,
    },
    emergency_contacts: p.emergency_contacts ?? [],
  };
}

const ERROR_WORDS: Partial<Record<ErrorCode, MessageKey>> = {
  conflict: 'deskCard.error.conflict',
  invalid: 'deskCard.error.invalid',
  denied: 'deskCard.error.denied',
};

/**
 * Why a correction was refused, in words: the record changed meanwhile (saved by someone
 * else, or moved to the bin), details core would not take, the role, or anything else.
 */
export function deskErrorText(code: ErrorCode): MessageKey {
  return ERROR_WORDS[code] ?? 'deskCard.error.other';
}
