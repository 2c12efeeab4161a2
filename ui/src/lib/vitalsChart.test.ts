import { describe, expect, it } from 'vitest';

import type { Encounter, Vitals } from './bindings';
import { GEOMETRY, layout, polyline, valueRange, vitalsPoints, voidedLeftOut } from './vitalsChart';

function visit(id: string, occurred_at: string, vitals: Vitals): Encounter {
  return {
    id,
    patient_id: 'p',
    version: 1,
    occurred_at,
    kind: 'visit',
    recorded_by: 'ana',
    reason: 'check',
    diagnoses: [],
    treatments: [],
    vitals,
    created_at: occurred_at,
  };
}

const newestFirst = [
  visit('c', '2026-03-03T00:00:00Z', { bp_systolic: 130, bp_diastolic: 85, pulse: 70 }),
  visit('b', '2026-03-02T00:00:00Z', { temperature_c: 37 }),
  visit('a', '2026-03-01T00:00:00Z', { bp_systolic: 150, bp_diastolic: 95, pulse: 88 }),
];

describe('vitals chart', () => {
  it('keeps visits with blood pressure or pulse, oldest first', () => {
    expect(vitalsPoints(newestFirst).map((p) => p.id)).toEqual(['a', 'c']);
  });

  it('leaves voided visits out, and counts those it left out', () => {
    const voided = {
      ...visit('d', '2026-03-04T00:00:00Z', { bp_systolic: 220, bp_diastolic: 130, pulse: 40 }),
      voided: { at: '2026-03-05T09:00:00Z', by: 'ana', reason: 'wrong patient' },
    };
    const voidedNoVitals = {
      ...visit('e', '2026-03-05T00:00:00Z', { temperature_c: 38 }),
      voided: { at: '2026-03-05T09:00:00Z', by: 'ana', reason: 'twice' },
    };
    const all = [voidedNoVitals, voided, ...newestFirst];
    expect(vitalsPoints(all).map((p) => p.id)).toEqual(['a', 'c']);
    expect(valueRange(vitalsPoints(all)).max).toBe(160);
    expect(voidedLeftOut(all)).toBe(1);
    expect(voidedLeftOut(newestFirst)).toBe(0);
  });

  it('rounds the value axis to steps of 20', () => {
    const range = valueRange(vitalsPoints(newestFirst));
    expect(range).toEqual({ min: 60, max: 160, ticks: [60, 80, 100, 120, 140, 160] });
  });

  it('places the oldest point left and higher values higher', () => {
    const chart = layout(vitalsPoints(newestFirst));
    const [first, last] = chart.systolic;
    expect(first?.x).toBe(GEOMETRY.left);
    expect(last?.x).toBe(GEOMETRY.width - GEOMETRY.right);
    expect(first!.y).toBeLessThan(last!.y); // 150 is above 130
    expect(chart.pulse).toHaveLength(2);
    expect(polyline([{ x: 1, y: 2.25 }])).toBe('1.0,2.3');
  });

  it('centres a single measurement', () => {
    const chart = layout(vitalsPoints([newestFirst[0]!]));
    const centre = GEOMETRY.left + (GEOMETRY.width - GEOMETRY.left - GEOMETRY.right) / 2;
    expect(chart.systolic[0]?.x).toBe(centre);
  });
});
