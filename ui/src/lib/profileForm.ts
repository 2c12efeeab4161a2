/**
 * The profile form: every field of a `Profile` as text inputs, and the conversion both ways.
 * Blank optional texts are left out (the backend would drop them too), so an untouched
 * form gives back the profile it was opened with.
 */
import type {
  Allergy,
  BloodType,
  Channel,
  EmergencyContact,
  Medication,
  PatientStatus,
  Profile,
  Severity,
  Sex,
} from './bindings';
import { isCalendarDate } from './format';
import type { FormProblem } from './visitForm';

export const SEXES: readonly Sex[] = ['female', 'male', 'intersex', 'unknown'];
export const BLOOD_TYPES: readonly BloodType[] = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'];
export const STATUSES: readonly PatientStatus[] = ['active', 'inactive', 'discharged', 'deceased'];
export const SEVERITIES: readonly Severity[] = ['mild', 'moderate', 'severe'];
export const CHANNELS: readonly Channel[] = ['phone', 'sms', 'email', 'post', 'in_person'];

/**
 * Which part of the profile a form edits: all of it; what a role that may not read the whole
 * profile (front desk) registers, the desk's part with the birth date and sex; or the desk's
 * correction (names and contact details).
 */
export type ProfileScope = 'whole' | 'registration' | 'desk';

export type AllergyRow = { substance: string; reaction: string; severity: Severity | '' };
export type MedicationRow = { name: string; dose: string; frequency: string; prescriber: string };
export type ContactRow = { name: string; phone: string; relationship: string; primary: boolean };

export type ProfileForm = {
  given_name: string;
  family_name: string;
  preferred_name: string;
  date_of_birth: string;
  sex: Sex | '';
  phone: string;
  location: string;
  preferred_language: string;
  blood_type: BloodType | '';
  /** `''` not recorded. */
  organ_donor: 'yes' | 'no' | '';
  allergies: AllergyRow[];
  chronic_conditions: string[];
  medications: MedicationRow[];
  emergency_contacts: ContactRow[];
  insurance_provider: string;
  insurance_policy_number: string;
  insurance_group_number: string;
  medical_alerts: string[];
  channel: Channel | '';
  interpreter_needed: boolean;
  may_leave_messages: boolean;
  communication_notes: string;
  status: PatientStatus;
};

export function emptyProfileForm(): ProfileForm {
  return profileToForm({ given_name: '', family_name: '', status: 'active' });
}

export function profileToForm(p: Profile): ProfileForm {
  return {
    given_name: p.given_name,
    family_name: p.family_name,
    preferred_name: p.preferred_name ?? '',
    date_of_birth: p.date_of_birth ?? '',
    sex: p.sex ?? '',
    phone: p.phone ?? '',
    location: p.location ?? '',
    preferred_language: p.preferred_language ?? '',
    blood_type: p.blood_type ?? '',
    organ_donor: p.organ_donor === undefined ? '' : p.organ_donor ? 'yes' : 'no',
    allergies: (p.allergies ?? []).map((a) => ({
      substance: a.substance,
      reaction: a.reaction ?? '',
      severity: a.severity ?? '',
    })),
    chronic_conditions: [...(p.chronic_conditions ?? [])],
    medications: (p.medications ?? []).map((m) => ({
      name: m.name,
      dose: m.dose ?? '',
      frequency: m.frequency ?? '',
      prescriber: m.prescriber ?? '',
    })),
    emergency_contacts: (p.emergency_contacts ?? []).map((c) => ({
      name: c.name,
      phone: c.phone,
      relationship: c.relationship ?? '',
      primary: c.primary,
    })),
    insurance_provider: p.insurance?.provider ?? '',
    insurance_policy_number: p.insurance?.policy_number ?? '',
    insurance_group_number: p.insurance?.group_number ?? '',
    medical_alerts: [...(p.medical_alerts ?? [])],
    channel: p.communication?.channel ?? '',
    interpreter_needed: p.communication?.interpreter_needed ?? false,
    may_leave_messages: p.communication?.may_leave_messages ?? false,
    communication_notes: p.communication?.notes ?? '',
    status: p.status,
  };
}

/** Sets `key` on `target` when `value` is not blank. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: string): void {
  const trimmed = value.trim();
  if (trimmed) target[key] = trimmed as T[K];
}

function isBlankRow(row: Record<string, unknown>): boolean {
  return Object.values(row).every((v) => typeof v !== 'string' || v.trim() === '');
}

/** The form as a `Profile`. Rows left entirely blank are dropped. */
export function formToProfile(f: ProfileForm): Profile {
  const p: Profile = {
    given_name: f.given_name.trim(),
    family_name: f.family_name.trim(),
    status: f.status,
  };
  put(p, 'preferred_name', f.preferred_name);
  put(p, 'date_of_birth', f.date_of_birth);
  if (f.sex) p.sex = f.sex;
  put(p, 'phone', f.phone);
  put(p, 'location', f.location);
  put(p, 'preferred_language', f.preferred_language);
  if (f.blood_type) p.blood_type = f.blood_type;
  if (f.organ_donor) p.organ_donor = f.organ_donor === 'yes';

  const allergies = f.allergies
    .filter((a) => !isBlankRow(a))
    .map((a) => {
      const out: Allergy = { substance: a.substance.trim() };
      put(out, 'reaction', a.reaction);
      if (a.severity) out.severity = a.severity;
      return out;
    });
  if (allergies.length) p.allergies = allergies;

  const conditions = f.chronic_conditions.map((c) => c.trim()).filter(Boolean);
  if (conditions.length) p.chronic_conditions = conditions;

  const medications = f.medications
    .filter((m) => !isBlankRow(m))
    .map((m) => {
      const out: Medication = { name: m.name.trim() };
      put(out, 'dose', m.dose);
      put(out, 'frequency', m.frequency);
      put(out, 'prescriber', m.prescriber);
      return out;
    });
  if (medications.length) p.medications = medications;

  const contacts = f.emergency_contacts
    .filter((c) => !isBlankRow(c))
    .map((c) => {
      const out: EmergencyContact = {
        name: c.name.trim(),
        phone: c.phone.trim(),
        primary: c.primary,
      };
      put(out, 'relationship', c.relationship);
      return out;
    });
  if (contacts.length) p.emergency_contacts = contacts;

  if (
    f.insurance_provider.trim() ||
    f.insurance_policy_number.trim() ||
    f.insurance_group_number.trim()
  ) {
    p.insurance = { provider: f.insurance_provider.trim() };
    put(p.insurance, 'policy_number', f.insurance_policy_number);
    put(p.insurance, 'group_number', f.insurance_group_number);
  }

  const alerts = f.medical_alerts.map((a) => a.trim()).filter(Boolean);
  if (alerts.length) p.medical_alerts = alerts;

  if (f.channel || f.interpreter_needed || f.may_leave_messages || f.communication_notes.trim()) {
    p.communication = {
      interpreter_needed: f.interpreter_needed,
      may_leave_messages: f.may_leave_messages,
    };
    if (f.channel) p.communication.channel = f.channel;
    put(p.communication, 'notes', f.communication_notes);
  }
  return p;
}

/** Problems the form can see before asking the backend (which checks everything again). */
export function profileProblems(f: ProfileForm, today: string): FormProblem[] {
  const problems: FormProblem[] = [];
  if (!f.given_name.trim()) problems.push({ field: 'given_name', key: 'form.required' });
  if (!f.family_name.trim()) problems.push({ field: 'family_name', key: 'form.required' });
  const dob = f.date_of_birth.trim();
  if (dob && !isCalendarDate(dob)) {
    problems.push({ field: 'date_of_birth', key: 'profile.error.date' });
  } else if (dob && dob > today) {
    problems.push({ field: 'date_of_birth', key: 'profile.error.future' });
  }
  f.allergies.forEach((a, i) => {
    if (!isBlankRow(a) && !a.substance.trim()) {
      problems.push({ field: `allergies-${i}-substance`, key: 'form.required' });
    }
  });
  f.medications.forEach((m, i) => {
    if (!isBlankRow(m) && !m.name.trim()) {
      problems.push({ field: `medications-${i}-name`, key: 'form.required' });
    }
  });
  f.emergency_contacts.forEach((c, i) => {
    if (isBlankRow(c)) return;
    if (!c.name.trim())
      problems.push({ field: `emergency_contacts-${i}-name`, key: 'form.required' });
    if (!c.phone.trim()) {
      problems.push({ field: `emergency_contacts-${i}-phone`, key: 'profile.error.contactPhone' });
    }
  });
  if (f.emergency_contacts.filter((c) => c.primary).length > 1) {
    problems.push({ field: 'emergency_contacts', key: 'profile.error.onePrimary' });
  }
  if (
    !f.insurance_provider.trim() &&
    (f.insurance_policy_number.trim() || f.insurance_group_number.trim())
  ) {
    problems.push({ field: 'insurance_provider', key: 'profile.error.insuranceProvider' });
  }
  return problems;
}
