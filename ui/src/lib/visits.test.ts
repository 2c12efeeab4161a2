import { describe, expect, it } from 'vitest';

import type { Action, ApiError, Encounter, EncounterRevision, NewEncounter } from './bindings';
import { POLICY } from './bindings/policy';
import { formatDateTime } from './format';
import { translate } from './i18n';
import { createFakeBackend } from './testing/fakeBackend';
import {
  mayCorrect,
  newestVersionsFirst,
  replaceVisit,
  revisionWords,
  visitErrorWords,
  voidedWords,
} from './visits';

function visit(id: string, occurred_at: string, fields: Partial<Encounter> = {}): Encounter {
  return {
    id,
    patient_id: 'p',
    version: 1,
    occurred_at,
    kind: 'visit',
    recorded_by: 'rui',
    reason: 'check',
    diagnoses: [],
    treatments: [],
    vitals: {},
    created_at: occurred_at,
    ...fields,
  };
}

const allowed =
  (...actions: Action[]) =>
  (a: Action) =>
    actions.includes(a);

describe('who may correct or void a visit', () => {
  it('is offered to those allowed encounter.amend: admins, clinicians and social workers', () => {
    expect(POLICY.admin).toContain('encounter.amend');
    expect(POLICY.clinician).toContain('encounter.amend');
    expect(POLICY.social_worker).toContain('encounter.amend');
    expect(POLICY.front_desk).not.toContain('encounter.amend');
    const e = visit('a', '2026-03-01T00:00:00Z');
    expect(mayCorrect(e, {}, allowed('encounter.amend'))).toBe(true);
    expect(mayCorrect(e, {}, allowed('encounter.view', 'encounter.record'))).toBe(false);
    const frontDesk = (a: Action) => POLICY.front_desk.includes(a);
    expect(mayCorrect(e, {}, frontDesk)).toBe(false);
  });

  it('is not offered on a voided visit, nor on a patient in the bin', () => {
    const may = allowed('encounter.amend');
    const voided = visit('a', '2026-03-01T00:00:00Z', {
      voided: { at: '2026-03-02T10:00:00Z', by: 'rui', reason: 'wrong patient' },
    });
    expect(mayCorrect(voided, {}, may)).toBe(false);
    const e = visit('b', '2026-03-01T00:00:00Z');
    expect(mayCorrect(e, { deleted_at: '2026-03-05T00:00:00Z' }, may)).toBe(false);
    expect(mayCorrect(e, { deleted_at: null }, may)).toBe(true);
  });
});

describe('the voided mark', () => {
  const voided = { at: '2026-03-02T10:05:00Z', by: 'rui', reason: 'entered on the wrong patient' };

  it('says who voided the visit, when (as dates are shown elsewhere) and why', () => {
    const date = formatDateTime(voided.at, 'en');
    expect(voidedWords(voided, 'en')).toBe(
      `Voided by rui on ${date}: entered on the wrong patient`,
    );
    expect(voidedWords(voided, 'fr')).toBe(
      `Invalidée par rui le ${formatDateTime(voided.at, 'fr')}\u00a0: entered on the wrong patient`,
    );
    expect(date).toContain('2026');
  });

  it('says only when, once anonymisation removed who and why', () => {
    const anonymised = { at: '2026-03-01T00:00:00Z', by: '', reason: '' };
    expect(voidedWords(anonymised, 'en')).toBe(`Voided on ${formatDateTime(anonymised.at, 'en')}`);
  });
});

describe('earlier versions', () => {
  const revision = (version: number, reason: string): EncounterRevision => ({
    encounter: visit('a', '2026-03-01T00:00:00Z', { version }),
    replaced_at: `2026-03-0${version + 1}T09:30:00Z`,
    replaced_by: 'ana',
    reason,
  });

  it('tells each version, who replaced it, when and why', () => {
    const r = revision(1, 'blood pressure typed the wrong way round');
    expect(revisionWords(r, 'en')).toBe(
      `Version 1, replaced by ana on ${formatDateTime(r.replaced_at, 'en')}: blood pressure typed the wrong way round`,
    );
    expect(revisionWords(r, 'fr')).toContain('Version 1, remplacée par ana le ');
  });

  it('lists the newest first', () => {
    const list = [revision(1, 'a'), revision(2, 'b'), revision(3, 'c')];
    expect(newestVersionsFirst(list).map((r) => r.encounter.version)).toEqual([3, 2, 1]);
    expect(list.map((r) => r.encounter.version)).toEqual([1, 2, 3]);
  });

  it('keeps the chart newest first when a correction moves a visit', () => {
    const list = [
      visit('c', '2026-03-03T00:00:00Z'),
      visit('b', '2026-03-02T00:00:00Z'),
      visit('a', '2026-03-01T00:00:00Z'),
    ];
    const moved = { ...list[2]!, occurred_at: '2026-03-04T00:00:00Z', version: 2 };
    expect(replaceVisit(list, moved).map((e) => `${e.id}${e.version}`)).toEqual(['a2', 'c1', 'b1']);
  });
});

describe('refusals in words', () => {
  const invalid = (field: string, message: string): ApiError => ({
    code: 'invalid',
    message: `${field}: ${message}`,
    field,
  });
  const said = (error: ApiError, change: 'amend' | 'void') => {
    const words = visitErrorWords(error, change);
    return translate('en', words.text, words.params);
  };

  it('says that a correction changing nothing changed nothing', () => {
    const error = invalid('encounter', 'the amendment changes nothing');
    expect(said(error, 'amend')).toBe(
      'Nothing was changed: the correction is the same as the visit.',
    );
    expect(visitErrorWords(error, 'amend')).toMatchObject({
      title: 'visits.amend.error.title',
      details: false,
    });
    expect(translate('fr', visitErrorWords(error, 'amend').text)).toBe(
      'Rien n’a été modifié\u00a0: la correction est identique à la consultation.',
    );
  });

  it('says a visit voided in the meantime can no longer be changed', () => {
    const error = invalid('encounter', 'this visit was voided; it cannot be changed');
    expect(visitErrorWords(error, 'amend').text).toBe('visits.error.voided');
    expect(visitErrorWords(error, 'void')).toMatchObject({
      title: 'visits.void.error.title',
      text: 'visits.error.voided',
    });
  });

  it('puts a blank reason at its field', () => {
    const error = invalid('reason', 'is required');
    expect(visitErrorWords(error, 'amend')).toMatchObject({
      text: 'visits.amend.error.why',
      field: 'why',
    });
    expect(visitErrorWords(error, 'void')).toMatchObject({
      text: 'visits.void.error.why',
      field: 'why',
    });
  });

  it('words the other refusals without the code, keeping unknown text under Details', () => {
    const conflict: ApiError = { code: 'conflict', message: 'patient x is deleted; restore it' };
    expect(said(conflict, 'amend')).toMatch(/^The patient is in the bin/);
    expect(visitErrorWords({ code: 'not_found', message: 'visit not found: x' }, 'void')).toEqual({
      title: 'visits.void.error.title',
      text: 'visits.error.notFound',
      details: false,
    });
    expect(visitErrorWords({ code: 'denied', message: 'front_desk may not' }, 'amend').text).toBe(
      'visits.error.denied',
    );
    expect(visitErrorWords(invalid('date', '2099-01-01 is in the future'), 'amend')).toEqual({
      title: 'visits.amend.error.title',
      text: 'visits.error.date',
      details: true,
    });
    expect(visitErrorWords({ code: 'internal', message: 'disk full' }, 'void')).toEqual({
      title: 'visits.void.error.title',
      text: 'visits.void.error.other',
      details: true,
    });
    for (const change of ['amend', 'void'] as const) {
      for (const code of ['invalid', 'conflict', 'not_found', 'denied', 'internal'] as const) {
        const words = said({ code, message: 'x', field: 'encounter' }, change);
        expect(words).not.toMatch(/invalid|conflict|not_found|denied|internal/);
      }
    }
  });
});

describe('the stand-in corrects and voids visits as core does', () => {
  const first: NewEncounter = {
    occurred_at: '2026-03-01',
    kind: 'visit',
    reason: 'Cough',
    notes: null,
    diagnoses: ['bronchitis'],
    treatments: [],
    vitals: { bp_systolic: 120, bp_diastolic: 80, pulse: 72 },
  };

  async function recorded(user = 'rui') {
    const fake = createFakeBackend();
    const password = user === 'ana' ? 'correct horse battery' : 'another long secret';
    await fake.sessionUnlock({ username: user, password });
    const p = await fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    const e = await fake.encounterAdd({ patient: p.id, encounter: first });
    return { fake, p, e };
  }

  it('raises the version, keeps the earlier one with who, when and why', async () => {
    const { fake, e } = await recorded();
    const amended = await fake.encounterAmend({
      id: e.id,
      encounter: { ...first, vitals: { ...first.vitals, pulse: 62 } },
      reason: ' pulse typed wrong ',
    });
    expect(amended).toMatchObject({ id: e.id, version: 2, recorded_by: 'rui' });
    expect(amended.vitals.pulse).toBe(62);
    const twice = await fake.encounterAmend({
      id: e.id,
      encounter: { ...first, reason: 'Cough and fever', vitals: amended.vitals },
      reason: 'reason incomplete',
    });
    expect(twice.version).toBe(3);
    const history = await fake.encounterHistory({ id: e.id });
    expect(history.map((r) => [r.encounter.version, r.replaced_by, r.reason])).toEqual([
      [1, 'rui', 'pulse typed wrong'],
      [2, 'rui', 'reason incomplete'],
    ]);
    expect(history[0]?.encounter.vitals.pulse).toBe(72);
    expect(fake.state.audit.filter((r) => r.action === 'encounter.amend')).toHaveLength(2);
  });

  it('refuses a correction that changes nothing, and a blank reason', async () => {
    const { fake, e } = await recorded();
    await expect(
      fake.encounterAmend({ id: e.id, encounter: { ...first, notes: '  ' }, reason: 'x' }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'encounter' });
    await expect(
      fake.encounterAmend({ id: e.id, encounter: { ...first, reason: 'Fever' }, reason: ' ' }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'reason' });
    await expect(fake.encounterVoid({ id: e.id, reason: '' })).rejects.toMatchObject({
      code: 'invalid',
      field: 'reason',
    });
    expect(await fake.encounterHistory({ id: e.id })).toEqual([]);
  });

  it('voids once: kept, marked, and no longer corrected or voided', async () => {
    const { fake, p, e } = await recorded();
    const voided = await fake.encounterVoid({ id: e.id, reason: 'wrong patient' });
    expect(voided.version).toBe(1);
    expect(voided.voided).toMatchObject({ by: 'rui', reason: 'wrong patient' });
    const chart = await fake.patientChart({ patient: p.id });
    expect(chart.encounters.map((x) => x.voided?.reason)).toEqual(['wrong patient']);
    await expect(fake.encounterVoid({ id: e.id, reason: 'again' })).rejects.toMatchObject({
      code: 'invalid',
      field: 'encounter',
    });
    await expect(
      fake.encounterAmend({ id: e.id, encounter: { ...first, reason: 'Fever' }, reason: 'x' }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'encounter' });
    expect(fake.state.audit.filter((r) => r.action === 'encounter.void')).toHaveLength(1);
  });

  it('refuses those who may not, and a visit that is not there', async () => {
    const { fake, e } = await recorded();
    fake.state.session = { ...fake.state.session!, role: 'front_desk' };
    await expect(fake.encounterVoid({ id: e.id, reason: 'x' })).rejects.toMatchObject({
      code: 'denied',
    });
    fake.state.session = { ...fake.state.session, role: 'clinician' };
    await expect(fake.encounterHistory({ id: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
