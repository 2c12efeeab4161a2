// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { NewEncounter, Patient } from '../backend';
import type { FakeBackend } from '../testing/fakeBackend';
import {
  allByTestId,
  byTestId,
  press,
  render,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import PatientChart from './PatientChart.svelte';
import VisitsPanel from './VisitsPanel.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('recording a visit', () => {
  it('puts the cursor in the first field when the form opens', async () => {
    const context = await signedIn('rui');
    const patient = await context.fake.patientCreate({
      profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    const { target } = render(
      VisitsPanel,
      { patient, encounters: [], onadded: () => {}, onchanged: () => {} },
      context,
    );
    await settle();

    byTestId(target, 'visit-new').click();
    await settle();
    const first = target.querySelector<HTMLInputElement>('form input');
    expect(first?.id).toBe('visit-date');
    expect(document.activeElement).toBe(first);
  });
});

const VISITS: NewEncounter[] = [
  {
    occurred_at: '2026-02-02',
    kind: 'visit',
    reason: 'Blood pressure follow-up',
    diagnoses: ['hypertension'],
    treatments: ['amlodipine 5 mg'],
    vitals: { bp_systolic: 138, bp_diastolic: 88, pulse: 80 },
  },
  {
    occurred_at: '2026-02-16',
    kind: 'home_visit',
    reason: 'Wound check',
    diagnoses: [],
    treatments: [],
    vitals: { bp_systolic: 210, bp_diastolic: 120, pulse: 130 },
  },
];

/** The ids of the visits `withVisits` recorded, by their reason. */
const recordedIds = new Map<string, string>();

async function withVisits(fake: FakeBackend): Promise<Patient> {
  const patient = await fake.patientCreate({
    profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
    not_duplicate: true,
  });
  for (const encounter of VISITS) {
    const e = await fake.encounterAdd({ patient: patient.id, encounter });
    recordedIds.set(e.reason, e.id);
  }
  return patient;
}

/** The chart's Visits tab, as `user` sees it. */
async function onVisits(user = 'rui', prepare?: (fake: FakeBackend, p: Patient) => void) {
  const context = await signedIn(user);
  const patient = await withVisits(context.fake);
  prepare?.(context.fake, patient);
  context.app.nav.openPatient(patient.id, 'visits');
  const rendered = render(PatientChart, { id: patient.id }, context);
  await until(() => expect(allByTestId(rendered.target, 'visit-row')).toHaveLength(2));
  return { ...rendered, patient };
}

/** The row of the visit recorded with the reason `reason` (its form, while corrected). */
function row(target: HTMLElement, reason: string): HTMLElement {
  const id = recordedIds.get(reason);
  const found = target.querySelector<HTMLElement>(`[data-testid="visit-row"][data-visit="${id}"]`);
  if (!found) throw new Error(`no visit row for ${reason}`);
  return found;
}

describe('correcting a visit', () => {
  it('opens the visit form prefilled, asks why, keeps the earlier version, and returns the keyboard', async () => {
    const { target, fake } = await onVisits();
    const amend = byTestId(row(target, 'Wound check'), 'visit-amend');
    expect(amend.tagName).toBe('BUTTON');
    amend.click();
    await settle();

    const form = row(target, 'Wound check');
    expect(document.activeElement?.id).toBe('visit-date');
    expect(byTestId<HTMLInputElement>(form, 'visit-date').value).toBe('2026-02-16');
    expect(byTestId<HTMLInputElement>(form, 'visit-reason').value).toBe('Wound check');
    expect(byTestId<HTMLSelectElement>(form, 'visit-kind').value).toBe('home_visit');
    expect(byTestId<HTMLInputElement>(form, 'visit-bp_systolic').value).toBe('210');
    expect(target.querySelector('[data-testid="visit-new"]')).toBeNull();
    expect(target.querySelector('[data-testid="visit-amend"]')).toBeNull();

    // Why it is corrected is required.
    typeInto(form, 'visit-bp_systolic', '120');
    typeInto(form, 'visit-bp_diastolic', '80');
    typeInto(form, 'visit-pulse', '72');
    byTestId(form, 'visit-amend-save').click();
    await settle();
    expect(form.querySelector('#visit-amend-reason-error')?.textContent).toContain(
      'Say why the visit is corrected.',
    );
    expect(fake.calls).not.toContain('encounter_amend');

    typeInto(form, 'visit-amend-reason', 'Readings of another patient typed in');
    byTestId(form, 'visit-amend-save').click();
    await until(() => byTestId(target, 'visit-amend-done'));

    const corrected = row(target, 'Wound check');
    expect(text(byTestId(corrected, 'visit-corrected'))).toBe('Corrected (version 2)');
    expect(text(corrected)).toContain('120/80 mmHg');
    expect(document.activeElement).toBe(byTestId(corrected, 'visit-amend'));
    expect(fake.state.encounters.find((e) => e.reason === 'Wound check')?.version).toBe(2);

    const history = byTestId(corrected, 'visit-history');
    expect(history.getAttribute('aria-expanded')).toBe('false');
    history.click();
    await until(() => expect(allByTestId(corrected, 'visit-history-entry')).toHaveLength(1));
    expect(history.getAttribute('aria-expanded')).toBe('true');
    const entry = text(byTestId(corrected, 'visit-history-entry'));
    expect(entry).toMatch(
      /^Version 1, replaced by rui on \d{1,2} \w{3} \d{4}, \d{2}:\d{2}: Readings of another patient typed in/,
    );
    expect(entry).toContain('210/120 mmHg');
  });

  it('says in words when the correction changes nothing', async () => {
    const { target } = await onVisits('ana');
    byTestId(row(target, 'Blood pressure follow-up'), 'visit-amend').click();
    await settle();
    const form = row(target, 'Blood pressure follow-up');
    typeInto(form, 'visit-amend-reason', 'Checking');
    byTestId(form, 'visit-amend-save').click();
    await until(() => byTestId(form, 'visit-amend-error'));
    const error = text(byTestId(form, 'visit-amend-error'));
    expect(error).toContain('The correction was not saved.');
    expect(error).toContain('Nothing was changed: the correction is the same as the visit.');
    expect(error).not.toMatch(/invalid|amendment changes nothing/);
  });

  it('keeps what was typed in a draft and returns to the row when cancelled', async () => {
    const { target, app } = await onVisits();
    byTestId(row(target, 'Wound check'), 'visit-amend').click();
    await settle();
    expect(app.drafts.keys().some((k) => k.startsWith('visit-amend:'))).toBe(true);
    byTestId(row(target, 'Wound check'), 'visit-cancel').click();
    await settle();
    expect(app.drafts.keys()).toEqual([]);
    expect(document.activeElement).toBe(byTestId(row(target, 'Wound check'), 'visit-amend'));
  });
});

describe('voiding a visit', () => {
  it('asks why in a dialog that Escape cancels, then marks the visit and leaves it out of the chart', async () => {
    const { target, fake } = await onVisits();
    expect(allByTestId(byTestId(target, 'vitals-chart'), 'vitals-chart-voided')).toHaveLength(0);
    const open = byTestId(row(target, 'Wound check'), 'visit-void');
    open.focus();
    open.click();
    await settle();

    let dialog = byTestId(document.body, 'visit-void-dialog');
    expect(text(dialog)).toContain('left out of the vital-signs chart');
    expect(document.activeElement).toBe(byTestId(dialog, 'visit-void-reason'));
    press(byTestId(dialog, 'visit-void-reason'), 'Escape');
    await settle();
    expect(document.querySelector('[data-testid="visit-void-dialog"]')).toBeNull();
    expect(document.activeElement).toBe(byTestId(row(target, 'Wound check'), 'visit-void'));

    byTestId(row(target, 'Wound check'), 'visit-void').click();
    await settle();
    dialog = byTestId(document.body, 'visit-void-dialog');
    byTestId(dialog, 'visit-void-confirm').click();
    await settle();
    expect(dialog.querySelector('#visit-void-reason-error')?.textContent).toContain(
      'Say why the visit is voided.',
    );
    expect(fake.calls).not.toContain('encounter_void');
    typeInto(dialog, 'visit-void-reason', 'Recorded on the wrong patient');
    byTestId(dialog, 'visit-void-confirm').click();
    await until(() => byTestId(target, 'visit-void-done'));

    const voided = row(target, 'Wound check');
    const mark = byTestId(voided, 'visit-voided');
    expect(text(mark)).toMatch(
      /^Voided by rui on \d{1,2} \w{3} \d{4}, \d{2}:\d{2}: Recorded on the wrong patient$/,
    );
    expect(voided.classList.contains('voided')).toBe(true);
    expect(voided.querySelector('[data-testid="visit-amend"]')).toBeNull();
    expect(voided.querySelector('[data-testid="visit-void"]')).toBeNull();
    expect(document.activeElement).toBe(mark);
    // The other visit keeps its actions; the chart draws it alone.
    byTestId(row(target, 'Blood pressure follow-up'), 'visit-amend');
    const chart = byTestId(target, 'vitals-chart');
    expect(chart.querySelectorAll('tbody tr')).toHaveLength(1);
    expect(text(byTestId(chart, 'vitals-chart-voided'))).toBe(
      '1 voided visit is left out of the chart.',
    );
  });

  it('says in words when the visit was voided in the meantime', async () => {
    const { target, fake } = await onVisits();
    byTestId(row(target, 'Wound check'), 'visit-void').click();
    await settle();
    const dialog = byTestId(document.body, 'visit-void-dialog');
    const id = fake.state.encounters.find((e) => e.reason === 'Wound check')!.id;
    await fake.encounterVoid({ id, reason: 'by someone else' });
    typeInto(dialog, 'visit-void-reason', 'Twice');
    byTestId(dialog, 'visit-void-confirm').click();
    await until(() => byTestId(dialog, 'visit-void-error'));
    expect(text(byTestId(dialog, 'visit-void-error'))).toContain(
      'This visit was voided in the meantime',
    );
  });
});

describe('who is offered the corrections', () => {
  it('shows a visit voided earlier without actions, and one corrected with its earlier versions', async () => {
    const { target } = await onVisits('rui', (fake) => {
      const [first, second] = fake.state.encounters;
      first!.voided = { at: '2026-02-03T08:00:00Z', by: 'ana', reason: 'Duplicate' };
      second!.version = 3;
    });
    const voided = row(target, 'Blood pressure follow-up');
    expect(text(byTestId(voided, 'visit-voided'))).toContain('Voided by ana on 3 Feb 2026');
    expect(voided.querySelectorAll('button[data-testid^="visit-amend"]')).toHaveLength(0);
    const corrected = row(target, 'Wound check');
    expect(text(byTestId(corrected, 'visit-corrected'))).toBe('Corrected (version 3)');
    byTestId(corrected, 'visit-history').click();
    await until(() => byTestId(corrected, 'visit-history-empty'));
  });

  it('offers nothing on a patient in the bin', async () => {
    const { target } = await onVisits('ana', (fake, p) => {
      fake.state.patients.find((x) => x.id === p.id)!.deleted_at = '2026-03-01T00:00:00Z';
    });
    expect(target.querySelector('[data-testid="visit-amend"]')).toBeNull();
    expect(target.querySelector('[data-testid="visit-void"]')).toBeNull();
  });
});
