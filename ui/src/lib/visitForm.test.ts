import { describe, expect, it } from 'vitest';

import { emptyVisitForm, visitFromForm, vitalsFromForm } from './visitForm';

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
