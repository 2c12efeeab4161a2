// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byPurpose, chosenPurpose, consentErrorText, purposeKey } from '../consents';
import {
  allByTestId,
  byTestId,
  render,
  selectOption,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import Shell from './Shell.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Zoë's chart on its Consents tab, as `user` sees it. */
async function consentsTab(user = 'rui') {
  const context = await signedIn(user);
  const patient = await context.fake.patientCreate({
    profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
    not_duplicate: true,
  });
  context.app.nav.openPatient(patient.id, 'consents');
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'consents-empty'));
  return { ...rendered, patient };
}

describe('consents on the chart', () => {
  it('records a consent, withdraws it after a question, and keeps the history', async () => {
    const { target, fake, patient } = await consentsTab();
    expect(byTestId(target, 'tab-consents').getAttribute('aria-selected')).toBe('true');

    selectOption(target, 'consent-purpose', 'photography');
    typeInto(target, 'consent-notes', 'Signed form scanned.');
    await settle();
    byTestId(target, 'consent-record').click();
    await until(() => byTestId(target, 'consent-row'));
    const row = byTestId(target, 'consent-row');
    expect(row.dataset.purpose).toBe('photography');
    expect(row.dataset.status).toBe('granted');
    expect(text(row)).toContain('Photography');
    expect(text(row)).toContain('Consent given');
    expect(text(row)).toContain('Signed form scanned.');
    expect(text(byTestId(target, 'consent-done'))).toBe('Consent recorded: Photography.');
    expect(document.activeElement).toBe(byTestId(target, 'consent-done'));

    // Withdrawing asks first, with an optional note; the cursor is in the note.
    byTestId(row, 'consent-withdraw').click();
    await until(() => byTestId(document.body, 'consent-withdraw-dialog'));
    const dialog = byTestId(document.body, 'consent-withdraw-dialog');
    expect(text(dialog)).toContain('Withdraw the consent: Photography');
    expect(text(dialog)).toContain('stays in the history');
    await until(() => expect(document.activeElement?.id).toBe('consent-withdraw-note'));
    typeInto(dialog, 'consent-withdraw-note', 'Asked in person.');
    await settle();
    byTestId(dialog, 'consent-withdraw-confirm').click();
    await until(() => expect(byTestId(target, 'consent-row').dataset.status).toBe('withdrawn'));
    expect(document.body.querySelector('[data-testid="consent-withdraw-dialog"]')).toBeNull();
    expect(target.querySelector('[data-testid="consent-withdraw"]')).toBeNull();
    expect(text(byTestId(target, 'consent-done'))).toBe('Consent withdrawn: Photography.');

    // Both decisions are kept, the first marked as superseded.
    const history = allByTestId(target, 'consent-history-entry');
    expect(history.map((e) => [e.dataset.status, e.dataset.current])).toEqual([
      ['granted', 'false'],
      ['withdrawn', 'true'],
    ]);
    expect(text(history[0] as HTMLElement)).toContain('Superseded');
    expect(history[0]?.classList.contains('superseded')).toBe(true);
    expect(text(history[1] as HTMLElement)).toContain('In force');
    expect(text(history[1] as HTMLElement)).toContain('Asked in person.');

    const stored = await fake.consentList({ patient: patient.id });
    expect(stored.map((c) => [c.purpose, c.status, c.current, c.notes])).toEqual([
      ['photography', 'granted', false, 'Signed form scanned.'],
      ['photography', 'withdrawn', true, 'Asked in person.'],
    ]);
  });

  it('records a purpose typed in, and asks for one when it is left blank', async () => {
    const { target, fake } = await consentsTab();
    selectOption(target, 'consent-purpose', 'other');
    await settle();
    byTestId(target, 'consent-record').click();
    await settle();
    expect(text(target)).toContain('This is required.');
    expect(fake.calls).not.toContain('consent_record');

    typeInto(target, 'consent-purpose-other', 'Sharing with Casa Aberta');
    await settle();
    byTestId(target, 'consent-record').click();
    await until(() => byTestId(target, 'consent-row'));
    expect(byTestId(target, 'consent-row').dataset.purpose).toBe('sharing with casa aberta');
  });

  it('says in words when the consent was withdrawn meanwhile, and shows the list as it is', async () => {
    const { target, fake, patient } = await consentsTab();
    byTestId(target, 'consent-record').click();
    await until(() => byTestId(target, 'consent-withdraw'));
    byTestId(target, 'consent-withdraw').click();
    await until(() => byTestId(document.body, 'consent-withdraw-dialog'));
    // A colleague withdraws it first.
    await fake.consentRecord({ patient: patient.id, purpose: 'photography', status: 'withdrawn' });
    byTestId(document.body, 'consent-withdraw-confirm').click();
    await until(() => byTestId(document.body, 'consent-withdraw-error'));
    const error = byTestId(document.body, 'consent-withdraw-error');
    expect(text(error)).toContain('it was already withdrawn');
    expect(text(error)).not.toContain('no consent in force');

    byTestId(document.body, 'consent-withdraw-dialog-close').click();
    await until(() => expect(byTestId(target, 'consent-row').dataset.status).toBe('withdrawn'));
  });

  it('follows core’s rule in the stand-in: only a consent in force can be withdrawn', async () => {
    const { fake, patient } = await consentsTab();
    const withdraw = () =>
      fake.consentRecord({ patient: patient.id, purpose: 'Research', status: 'withdrawn' });
    await expect(withdraw()).rejects.toMatchObject({ code: 'conflict' });
    await fake.consentRecord({ patient: patient.id, purpose: ' Research ', status: 'granted' });
    await expect(withdraw()).resolves.toMatchObject({ purpose: 'research', current: true });
    await expect(withdraw()).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      fake.consentRecord({ patient: patient.id, purpose: ' ', status: 'granted' }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'purpose' });
  });

  it('is not offered to the front desk', async () => {
    const { fake } = await signedIn('eva');
    expect(fake.state.session?.permissions).not.toContain('consent.view');
  });
});

describe('consent helpers', () => {
  it('name the common purposes and keep a typed one as it is', () => {
    expect(purposeKey('photography')).toBe('consents.purpose.photography');
    expect(purposeKey('sharing with other services')).toBe('consents.purpose.sharing');
    expect(purposeKey('sharing with casa aberta')).toBeNull();
    expect(chosenPurpose('research', 'ignored')).toBe('research');
    expect(chosenPurpose('other', '  ')).toBeNull();
    expect(chosenPurpose('other', ' Dental ')).toBe('Dental');
    expect(consentErrorText('conflict')).toBe('consents.error.conflict');
    expect(consentErrorText('internal')).toBe('consents.error.other');
  });

  it('group decisions by purpose, the current one in force', () => {
    const at = (n: number) => `2026-01-0${n}T10:00:00Z`;
    const decision = (id: string, purpose: string, status: 'granted' | 'withdrawn', n: number) => ({
      id,
      patient_id: 'p',
      purpose,
      status,
      recorded_by: 'rui',
      recorded_at: at(n),
      evidence_id: null,
      notes: null,
      current: false,
    });
    const groups = byPurpose([
      decision('1', 'photography', 'granted', 1),
      { ...decision('2', 'research', 'granted', 2), current: true },
      { ...decision('3', 'photography', 'withdrawn', 3), current: true },
    ]);
    expect(groups.map((g) => [g.purpose, g.decisions.length, g.current.id])).toEqual([
      ['photography', 2, '3'],
      ['research', 1, '2'],
    ]);
  });
});
