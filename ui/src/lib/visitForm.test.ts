import { describe, expect, it } from 'vitest';

import type { Encounter } from './bindings';
import { toOccurredAt } from './format';
import {
  correctionForm,
  correctionFromForm,
  emptyVisitForm,
  visitFromForm,
  vitalsFromForm,
} from './visitForm';

describe('visit form', () => {
  it('builds a NewEncounter from the form', () => {
    const form = emptyVisitForm('2026-03-01');
    form.reason = ' follow-up ';
    form.kind = 'home_visit';
    form.diagnoses = 'hypertension\n\n  anaemia ';
    form.treatments = 'amlodipine 5 mg';
    form.vitals.bp_systolic = '135';
    form.vitals.bp_diastolic = '85';
    form.vitals.temperature_c = '36,8';
    form.vitals.weight_kg = '70.5';
    const { encounter, problems } = visitFromForm(form);
    expect(problems).toEqual([]);
    expect(encounter).toEqual({
      occurred_at: '2026-03-01',
      kind: 'home_visit',
      reason: 'follow-up',
      notes: null,
      diagnoses: ['hypertension', 'anaemia'],
      treatments: ['amlodipine 5 mg'],
      vitals: { bp_systolic: 135, bp_diastolic: 85, temperature_c: 36.8, weight_kg: 70.5 },
    });
  });

  it('requires a reason and a real date', () => {
    const form = emptyVisitForm('2026-02-30');
    form.time = '25h';
    const { encounter, problems } = visitFromForm(form);
    expect(encounter).toBeNull();
    expect(problems.map((p) => p.field)).toEqual(['date', 'time', 'reason']);
  });

  it('catches implausible and malformed vital signs, as the backend would', () => {
    const fields = emptyVisitForm('2026-03-01').vitals;
    fields.pulse = '720';
    fields.spo2 = '97.5';
    fields.temperature_c = 'warm';
    fields.pain = '0';
    const { vitals, problems } = vitalsFromForm(fields);
    expect(vitals).toEqual({ pain: 0 });
    expect(problems).toEqual([
      { field: 'pulse', key: 'visit.error.range', params: { min: 20, max: 250 } },
      { field: 'temperature_c', key: 'visit.error.number' },
      { field: 'spo2', key: 'visit.error.wholeNumber' },
    ]);
  });

  it('needs both blood pressure values, systolic above diastolic', () => {
    const fields = emptyVisitForm('2026-03-01').vitals;
    fields.bp_systolic = '120';
    expect(vitalsFromForm(fields).problems[0]?.key).toBe('visit.error.bpBoth');
    fields.bp_diastolic = '130';
    expect(vitalsFromForm(fields).problems[0]?.key).toBe('visit.error.bpOrder');
    fields.bp_diastolic = '80';
    expect(vitalsFromForm(fields)).toEqual({
      vitals: { bp_systolic: 120, bp_diastolic: 80 },
      problems: [],
    });
  });
});

describe('correcting a visit', () => {
  const recorded: Encounter = {
    id: 'v1',
    patient_id: 'p',
    version: 1,
    occurred_at: '2026-03-01T00:00:00Z',
    kind: 'home_visit',
    recorded_by: 'rui',
    reason: 'follow-up',
    notes: 'Slept badly.',
    diagnoses: ['hypertension', 'anaemia'],
    treatments: ['amlodipine 5 mg'],
    vitals: { bp_systolic: 135, bp_diastolic: 85, temperature_c: 36.8 },
    created_at: '2026-03-01T10:00:00Z',
  };

  it('prefills the form with the visit, in the user’s way of writing numbers', () => {
    const form = correctionForm(recorded, 'en');
    expect(form).toMatchObject({
      date: '2026-03-01',
      time: '',
      kind: 'home_visit',
      reason: 'follow-up',
      notes: 'Slept badly.',
      diagnoses: 'hypertension\nanaemia',
      treatments: 'amlodipine 5 mg',
      why: '',
    });
    expect(form.vitals).toMatchObject({
      bp_systolic: '135',
      bp_diastolic: '85',
      temperature_c: '36.8',
      pulse: '',
    });
    expect(correctionForm(recorded, 'fr').vitals.temperature_c).toBe('36,8');
  });

  it('gives back the visit as it was when nothing is edited (so core can say so)', () => {
    const form = correctionForm(recorded, 'fr');
    form.why = ' typo ';
    const { encounter, reason, problems } = correctionFromForm(form, recorded);
    expect(problems).toEqual([]);
    expect(reason).toBe('typo');
    expect(encounter).toEqual({
      occurred_at: recorded.occurred_at,
      kind: recorded.kind,
      reason: recorded.reason,
      notes: recorded.notes,
      diagnoses: recorded.diagnoses,
      treatments: recorded.treatments,
      vitals: recorded.vitals,
    });
  });

  it('keeps the recorded instant while the date and time are untouched, and takes new ones', () => {
    const at = new Date(toOccurredAt('2026-03-01', '14:30'));
    at.setSeconds(42);
    const timed = { ...recorded, occurred_at: at.toISOString() };
    const form = correctionForm(timed, 'en');
    expect([form.date, form.time]).toEqual(['2026-03-01', '14:30']);
    form.why = 'notes';
    form.notes = 'Slept well.';
    expect(correctionFromForm(form, timed).encounter?.occurred_at).toBe(timed.occurred_at);
    form.time = '15:00';
    expect(correctionFromForm(form, timed).encounter?.occurred_at).toBe(
      toOccurredAt('2026-03-01', '15:00'),
    );
  });

  it('requires why it is corrected, besides the visit’s own checks', () => {
    const form = correctionForm(recorded, 'en');
    form.reason = ' ';
    const { encounter, problems } = correctionFromForm(form, recorded);
    expect(encounter).toBeNull();
    expect(problems).toEqual([
      { field: 'reason', key: 'form.required' },
      { field: 'why', key: 'visits.amend.error.why' },
    ]);
  });
});
