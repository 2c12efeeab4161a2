/**
 * The visit entry form: its text fields and their conversion to a `NewEncounter`, for a new
 * visit or for the correction of one (prefilled from it, with why it is corrected).
 */
import type { Encounter, EncounterKind, Language, NewEncounter, Vitals } from './bindings';
import { fromOccurredAt, isCalendarDate, parseDecimal, toOccurredAt } from './format';
import type { MessageKey } from './i18n';

export type VitalField = keyof Vitals;

export const VITAL_FIELDS: readonly VitalField[] = [
  'bp_systolic',
  'bp_diastolic',
  'pulse',
  'temperature_c',
  'spo2',
  'weight_kg',
  'height_cm',
  'pain',
];

/** Plausible ranges, as the backend checks them; `integer` fields take whole numbers. */
export const VITAL_RANGES: Record<VitalField, { min: number; max: number; integer: boolean }> = {
  bp_systolic: { min: 40, max: 300, integer: true },
  bp_diastolic: { min: 20, max: 200, integer: true },
  pulse: { min: 20, max: 250, integer: true },
  temperature_c: { min: 25, max: 45, integer: false },
  spo2: { min: 50, max: 100, integer: true },
  weight_kg: { min: 0.2, max: 500, integer: false },
  height_cm: { min: 20, max: 272, integer: false },
  pain: { min: 0, max: 10, integer: true },
};

export type VisitForm = {
  date: string;
  time: string;
  kind: EncounterKind;
  reason: string;
  notes: string;
  /** One per line. */
  diagnoses: string;
  /** One per line. */
  treatments: string;
  vitals: Record<VitalField, string>;
};

export type FormProblem = {
  field: string;
  key: MessageKey;
  params?: Record<string, string | number>;
};

export function emptyVisitForm(today: string): VisitForm {
  return {
    date: today,
    time: '',
    kind: 'visit',
    reason: '',
    notes: '',
    diagnoses: '',
    treatments: '',
    vitals: {
      bp_systolic: '',
      bp_diastolic: '',
      pulse: '',
      temperature_c: '',
      spo2: '',
      weight_kg: '',
      height_cm: '',
      pain: '',
    },
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The vital signs typed, checked against the plausible ranges. */
export function vitalsFromForm(fields: Record<VitalField, string>): {
  vitals: Vitals;
  problems: FormProblem[];
} {
  const vitals: Vitals = {};
  const problems: FormProblem[] = [];
  for (const field of VITAL_FIELDS) {
    const value = parseDecimal(fields[field]);
    if (value === null) continue;
    const range = VITAL_RANGES[field];
    if (Number.isNaN(value) || (range.integer && !Number.isInteger(value))) {
      problems.push({
        field,
        key: range.integer ? 'visit.error.wholeNumber' : 'visit.error.number',
      });
      continue;
    }
    if (value < range.min || value > range.max) {
      problems.push({
        field,
        key: 'visit.error.range',
        params: { min: range.min, max: range.max },
      });
      continue;
    }
    vitals[field] = value;
  }
  const { bp_systolic: sys, bp_diastolic: dia } = vitals;
  const bpTyped = fields.bp_systolic.trim() !== '' || fields.bp_diastolic.trim() !== '';
  if (bpTyped && problems.every((p) => p.field !== 'bp_systolic' && p.field !== 'bp_diastolic')) {
    if (sys == null || dia == null) {
      problems.push({ field: 'bp_systolic', key: 'visit.error.bpBoth' });
    } else if (sys <= dia) {
      problems.push({ field: 'bp_systolic', key: 'visit.error.bpOrder' });
    }
  }
  return { vitals, problems };
}

/** The form as a `NewEncounter`, or the problems that stop it. */
export function visitFromForm(form: VisitForm): {
  encounter: NewEncounter | null;
  problems: FormProblem[];
} {
  const problems: FormProblem[] = [];
  if (!isCalendarDate(form.date)) problems.push({ field: 'date', key: 'visit.error.date' });
  if (form.time.trim() && !/^\d{1,2}:\d{2}$/.test(form.time.trim())) {
    problems.push({ field: 'time', key: 'visit.error.time' });
  }
  if (!form.reason.trim()) problems.push({ field: 'reason', key: 'form.required' });
  const { vitals, problems: vitalProblems } = vitalsFromForm(form.vitals);
  problems.push(...vitalProblems);
  if (problems.length > 0) return { encounter: null, problems };
  const notes = form.notes.trim();
  return {
    encounter: {
      occurred_at: toOccurredAt(form.date, form.time),
      kind: form.kind,
      reason: form.reason.trim(),
      notes: notes ? notes : null,
      diagnoses: lines(form.diagnoses),
      treatments: lines(form.treatments),
      vitals,
    },
    problems,
  };
}

/** The form as a correction: the visit's fields and why it is corrected. */
export type CorrectionForm = VisitForm & {
  /** Why it is corrected (required); unused by a new visit. */
  why: string;
};

/** A typed number as the user writes it: a decimal comma in French. */
function typedNumber(value: number, lang: Language): string {
  const text = String(value);
  return lang === 'fr' ? text.replace('.', ',') : text;
}

/** A recorded visit in the form's fields, to correct it (`why` left blank). */
export function correctionForm(e: Encounter, lang: Language): CorrectionForm {
  const { date, time } = fromOccurredAt(e.occurred_at);
  const vitals = emptyVisitForm(date).vitals;
  for (const field of VITAL_FIELDS) {
    const value = e.vitals[field];
    if (value != null) vitals[field] = typedNumber(value, lang);
  }
  return {
    date,
    time,
    kind: e.kind,
    reason: e.reason,
    notes: e.notes ?? '',
    diagnoses: e.diagnoses.join('\n'),
    treatments: e.treatments.join('\n'),
    vitals,
    why: '',
  };
}

/**
 * The correction of `before` as a `NewEncounter` and the reason, or the problems that stop
 * it. While the date and time read as they were prefilled, the visit keeps its instant as
 * recorded (seconds included), so that a correction of the notes alone does not move it.
 */
export function correctionFromForm(
  form: CorrectionForm,
  before: Encounter,
): { encounter: NewEncounter | null; reason: string; problems: FormProblem[] } {
  const { encounter, problems } = visitFromForm(form);
  const reason = form.why.trim();
  const all = reason
    ? problems
    : [...problems, { field: 'why', key: 'visits.amend.error.why' as const }];
  if (!encounter || all.length > 0) return { encounter: null, reason, problems: all };
  const start = fromOccurredAt(before.occurred_at);
  if (form.date === start.date && form.time.trim() === start.time) {
    encounter.occurred_at = before.occurred_at;
  }
  return { encounter, reason, problems: [] };
}
