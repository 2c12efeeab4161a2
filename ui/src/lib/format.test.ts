import { describe, expect, it } from 'vitest';

import {
  addDays,
  ageInYears,
  confirmsLastGroup,
  formatCalendarDate,
  formatDateTime,
  formatNumber,
  formatOccurredAt,
  formatTakenAt,
  formatVitals,
  fromOccurredAt,
  isCalendarDate,
  localDate,
  lockoutSeconds,
  parseDecimal,
  parseHumanId,
  recoveryKeyGroups,
  toOccurredAt,
} from './format';

describe('dates', () => {
  it('checks calendar dates', () => {
    expect(isCalendarDate('1984-03-09')).toBe(true);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2026-13-01')).toBe(false);
    expect(isCalendarDate('9 March 1984')).toBe(false);
  });

  it('formats a birth date without time-zone shifts, in each language', () => {
    expect(formatCalendarDate('1984-03-09', 'en')).toBe('9 Mar 1984');
    expect(formatCalendarDate('1984-03-09', 'fr')).toBe('9 mars 1984');
    expect(formatCalendarDate('not a date', 'en')).toBe('not a date');
  });

  it('shows a visit entered as a plain date as that date, whatever the time zone', () => {
    expect(formatOccurredAt('2024-03-01T00:00:00Z', 'en', 'America/Los_Angeles')).toBe(
      '1 Mar 2024',
    );
    expect(formatOccurredAt('2024-03-01', 'fr')).toBe('1 mars 2024');
  });

  it('shows a visit with a time in local time', () => {
    expect(formatOccurredAt('2024-03-01T14:30:00Z', 'en', 'Europe/Lisbon')).toBe(
      '1 Mar 2024, 14:30',
    );
    expect(formatDateTime('2024-03-01T14:30:00Z', 'fr', 'Europe/Paris')).toBe('1 mars 2024, 15:30');
    expect(formatDateTime('garbage', 'en')).toBe('garbage');
  });

  it('shows when a photo was taken as the camera clock read it', () => {
    expect(formatTakenAt('2024-03-01T23:30:00', 'en')).toBe('1 Mar 2024, 23:30');
    expect(formatTakenAt('2024-03-01T23:30:00-05:00', 'fr')).toBe('1 mars 2024, 23:30');
    expect(formatTakenAt('2024-03-01T23:30:00', 'en', true)).toBe('1 Mar 2024');
    expect(formatTakenAt('sometime', 'en')).toBe('sometime');
  });

  it('builds the occurred_at the backend takes', () => {
    expect(toOccurredAt('2026-03-01', '')).toBe('2026-03-01');
    expect(toOccurredAt('2026-03-01', '9:05', 60)).toBe('2026-03-01T09:05:00+01:00');
    expect(toOccurredAt('2026-03-01', '14:30', -210)).toBe('2026-03-01T14:30:00-03:30');
    expect(toOccurredAt('2026-03-01', '14:30', 0)).toBe('2026-03-01T14:30:00+00:00');
  });

  it('reads a visit’s instant back into the form’s date and time', () => {
    expect(fromOccurredAt('2026-03-01T00:00:00Z')).toEqual({ date: '2026-03-01', time: '' });
    expect(fromOccurredAt('2026-03-01')).toEqual({ date: '2026-03-01', time: '' });
    expect(fromOccurredAt(toOccurredAt('2026-03-01', '9:05'))).toEqual({
      date: '2026-03-01',
      time: '09:05',
    });
    expect(fromOccurredAt('soon')).toEqual({ date: 'soon', time: '' });
  });

  it('computes ages in full years', () => {
    expect(ageInYears('1984-03-09', '2026-03-08')).toBe(41);
    expect(ageInYears('1984-03-09', '2026-03-09')).toBe(42);
    expect(ageInYears(null, '2026-03-09')).toBeNull();
    expect(ageInYears('2030-01-01', '2026-03-09')).toBeNull();
  });

  it('adds days across month ends and gives local dates', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(localDate(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
  });
});

describe('numbers and vital signs', () => {
  it('parses decimals with a point or a comma', () => {
    expect(parseDecimal('36.8')).toBe(36.8);
    expect(parseDecimal(' 36,8 ')).toBe(36.8);
    expect(parseDecimal('')).toBeNull();
    expect(parseDecimal('fast')).toBeNaN();
    expect(parseDecimal('1.2.3')).toBeNaN();
  });

  it('formats numbers in the language', () => {
    expect(formatNumber(36.8, 'en')).toBe('36.8');
    expect(formatNumber(36.8, 'fr')).toBe('36,8');
    expect(formatNumber(70, 'fr')).toBe('70');
  });

  it('formats vital signs with units, in order, skipping those not taken', () => {
    const texts = formatVitals(
      { bp_systolic: 135, bp_diastolic: 85, pulse: 72, temperature_c: 36.8, pain: 3 },
      'fr',
    );
    expect(texts).toEqual([
      { field: 'bp', text: '135/85 mmHg' },
      { field: 'pulse', text: '72 bpm' },
      { field: 'temperature_c', text: '36,8 °C' },
      { field: 'pain', text: '3/10' },
    ]);
    expect(formatVitals({}, 'en')).toEqual([]);
    expect(formatVitals({ weight_kg: 70.5, height_cm: 172, spo2: 98 }, 'en')).toEqual([
      { field: 'spo2', text: '98 %' },
      { field: 'weight_kg', text: '70.5 kg' },
      { field: 'height_cm', text: '172 cm' },
    ]);
  });
});

describe('human ids', () => {
  it('accepts the typing variants the backend accepts', () => {
    expect(parseHumanId('TS-1234-567M')).toBe('TS-1234-567M');
    expect(parseHumanId('ts1234567m')).toBe('TS-1234-567M');
    expect(parseHumanId('1234 567m')).toBe('TS-1234-567M');
    expect(parseHumanId('TS-I234-567M')).toBe('TS-1234-567M');
    expect(parseHumanId('ts-l234-567m')).toBe('TS-1234-567M');
    expect(parseHumanId('TS-OOOO-OOOO')).toBe('TS-0000-0000');
    expect(parseHumanId('TS-7K3M-9Q2R')).toBe('TS-7K3M-9Q2R');
  });

  it('refuses wrong shapes and every single mistyped symbol', () => {
    for (const bad of ['', 'TS-1234', 'TS-7K3M-9Q2R-1', 'TS-7K3M-9Q2U', 'patient', 'José']) {
      expect(parseHumanId(bad), bad).toBeNull();
    }
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const good = '7K3M9Q2R';
    for (let pos = 0; pos < good.length; pos++) {
      for (const c of alphabet) {
        if (c === good[pos]) continue;
        const typo = good.slice(0, pos) + c + good.slice(pos + 1);
        expect(parseHumanId(typo), typo).toBeNull();
      }
    }
  });
});

describe('recovery key and lock-out', () => {
  const key = 'ABCDE-FGHJK-MNPQR-STVWX-YZ234-56789-ABCDE-FGHJK-MNPQR-STVWX-Y2Z3Q';

  it('splits the recovery key in groups of five', () => {
    const groups = recoveryKeyGroups(key);
    expect(groups).toHaveLength(11);
    expect(groups[0]).toBe('ABCDE');
    expect(groups.at(-1)).toBe('Y2Z3Q');
  });

  it('confirms the last group, ignoring case and spaces', () => {
    expect(confirmsLastGroup(key, 'y2z3q')).toBe(true);
    expect(confirmsLastGroup(key, ' Y2Z3Q ')).toBe(true);
    expect(confirmsLastGroup(key, 'ABCDE')).toBe(false);
    expect(confirmsLastGroup('', '')).toBe(false);
  });

  it('reads the seconds to wait from a lock-out message', () => {
    expect(
      lockoutSeconds('too many failed sign-ins: this account is locked for another 30 s'),
    ).toBe(30);
    expect(lockoutSeconds('locked')).toBeNull();
  });
});
