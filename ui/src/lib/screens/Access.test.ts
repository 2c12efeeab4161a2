// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { Patient } from '../backend';
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
import Desk from './Desk.svelte';
import Shell from './Shell.svelte';

const printed = vi.fn();
beforeEach(() => {
  printed.mockReset();
  window.print = printed;
});
afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

async function addPatient(fake: FakeBackend): Promise<Patient> {
  const patient = await fake.patientCreate({
    profile: {
      given_name: 'Zoë',
      family_name: 'Dubois',
      date_of_birth: '1984-03-09',
      status: 'active',
      medical_alerts: ['Epilepsy'],
      blood_type: 'O+',
      phone: '+33 1 23 45 67 89',
      allergies: [{ substance: 'Penicillin', severity: 'severe' }],
    },
    not_duplicate: true,
  });
  await fake.encounterAdd({
    patient: patient.id,
    encounter: {
      occurred_at: '2026-01-10',
      kind: 'visit',
      reason: 'Wound check',
      diagnoses: [],
      treatments: [],
      vitals: {},
    },
  });
  return patient;
}

/** The chart of a patient, as `user` sees it in the app. */
async function onChart(user = 'rui') {
  const context = await signedIn(user);
  const patient = await addPatient(context.fake);
  context.app.nav.openPatient(patient.id);
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'view-family_name'));
  await settle();
  return { ...rendered, patient };
}

async function openShare(target: HTMLElement) {
  await until(() => byTestId(target, 'share-access-open'));
  byTestId(target, 'share-access-open').click();
  await settle();
  return byTestId(document.body, 'share-dialog');
}

describe('sharing access from the chart', () => {
  it('creates a grant with the chosen sections and duration and shows its code once', async () => {
    const { target, fake } = await onChart();
    const dialog = await openShare(target);
    const emergency = byTestId<HTMLInputElement>(dialog, 'share-section-emergency');
    expect(emergency.checked).toBe(true);
    expect(document.activeElement).toBe(emergency);
    byTestId(dialog, 'share-section-medications').click();
    byTestId(dialog, 'share-duration-72').click();
    byTestId(dialog, 'share-submit').click();

    await until(() => byTestId(dialog, 'share-result'));
    const stored = fake.state.grants[0];
    expect(stored?.grant.permissions).toEqual(['emergency', 'medications']);
    const { created_at, expires_at } = stored?.grant ?? { created_at: '', expires_at: '' };
    expect(Date.parse(expires_at) - Date.parse(created_at)).toBe(72 * 3_600_000);
    const code = text(byTestId(dialog, 'access-code'));
    expect(code).toMatch(/^\d{3} \d{3}$/);
    expect(code.replace(' ', '')).toBe(stored?.code);
    expect(text(byTestId(dialog, 'share-code-once'))).toContain('shown only once');
    expect(byTestId<HTMLImageElement>(dialog, 'access-qr').src).toMatch(/^data:image\/svg\+xml/);
    expect(text(byTestId(dialog, 'access-card-sections'))).toBe(
      'Emergency information and alerts · Medications and allergies',
    );
    expect(text(byTestId(dialog, 'share-expires'))).toMatch(/^Expires .+ \(in 3 days\)$/);
    expect(text(byTestId(dialog, 'access-card-expires'))).not.toContain('in 3 days');
    expect(document.activeElement?.id).toBe('share-result-heading');

    byTestId(dialog, 'share-print').click();
    expect(printed).toHaveBeenCalledOnce();
    await until(() => expect(allByTestId(dialog, 'access-grant')).toHaveLength(1));
    expect(byTestId(dialog, 'access-grant').dataset.status).toBe('active');
  });

  it('asks for at least one section', async () => {
    const { target, fake } = await onChart();
    const dialog = await openShare(target);
    byTestId(dialog, 'share-section-emergency').click();
    byTestId(dialog, 'share-submit').click();
    await settle();
    expect(text(dialog)).toContain('Choose at least one part of the record to share.');
    expect(fake.calls).not.toContain('access_grant');
  });

  it('revokes a grant after a question, and prints an active one again without its code', async () => {
    const { target, fake, patient } = await onChart();
    const old = await fake.accessGrant({ patient: patient.id, permissions: ['visits'], hours: 1 });
    await fake.accessGrant({ patient: patient.id, permissions: ['profile'], hours: 24 });
    const dialog = await openShare(target);
    await until(() => expect(allByTestId(dialog, 'access-grant')).toHaveLength(2));

    // Newest first: the older grant is the second row.
    const row = () => allByTestId(dialog, 'access-grant')[1] as HTMLElement;
    byTestId(row(), 'access-revoke').click();
    await settle();
    expect(text(row())).toContain('The code and the QR code stop working at once.');
    expect(document.activeElement).toBe(byTestId(row(), 'access-revoke-confirm'));
    byTestId(row(), 'access-revoke-confirm').click();
    await until(() => expect(row().dataset.status).toBe('revoked'));
    expect(text(byTestId(dialog, 'access-revoked'))).toContain('Access revoked');
    expect(fake.state.grants.find((x) => x.grant.id === old.grant.id)?.grant.revoked_by).toBe(
      'rui',
    );
    expect(row().querySelector('[data-testid="access-revoke"]')).toBeNull();

    const first = allByTestId(dialog, 'access-grant')[0] as HTMLElement;
    byTestId(first, 'access-reprint').click();
    await until(() => byTestId(dialog, 'access-card-no-code'));
    expect(dialog.querySelector('[data-testid="access-code"]')).toBeNull();
    expect(fake.calls).toContain('access_card');
    expect(printed).toHaveBeenCalledOnce();
  });

  it('is not offered to the front desk, who reaches the desk instead', async () => {
    const context = await signedIn('ana');
    const patient = await addPatient(context.fake);
    await context.app.session.unlock('eva', 'front desk secret');
    expect(context.app.session.may('access.grant')).toBe(false);
    context.app.nav.openPatient(patient.id);
    const { target } = render(Shell, {}, context);
    await settle();
    expect(target.querySelector('[data-testid="share-access-open"]')).toBeNull();
    byTestId(target, 'nav-desk').click();
    await until(() => byTestId(target, 'screen-desk'));
    await settle();
    expect(document.activeElement).toBe(byTestId(target, 'desk-input'));
  });
});

describe('the desk', () => {
  /** The desk as the front desk sees it, with a patient who has shared `permissions`. */
  async function atDesk(permissions: Parameters<FakeBackend['accessGrant']>[0]['permissions']) {
    const context = await signedIn('ana');
    const patient = await addPatient(context.fake);
    const photo = context.fake.addPhoto(patient.id);
    const issued = await context.fake.accessGrant({ patient: patient.id, permissions, hours: 4 });
    await context.app.session.unlock('eva', 'front desk secret');
    const rendered = render(Desk, {}, context);
    await settle();
    return { ...rendered, patient, issued, photo };
  }

  async function submit(target: HTMLElement, typed: string) {
    typeInto(target, 'desk-input', typed);
    byTestId(target, 'desk-open').click();
    await settle();
  }

  it('opens a code and shows only the sections it shares, then Close forgets it', async () => {
    const { target, issued, fake } = await atDesk(['emergency', 'visits']);
    expect(document.activeElement).toBe(byTestId(target, 'desk-input'));
    const code = `${issued.code.slice(0, 3)} ${issued.code.slice(3)}`;
    await submit(target, code);

    await until(() => byTestId(target, 'shared-view'));
    expect(text(byTestId(target, 'screen-shared'))).toBe('Zoë Dubois');
    expect(text(byTestId(target, 'shared-banner'))).toContain(
      'Access through a patient’s code — read only — expires',
    );
    expect(text(byTestId(target, 'medical-alerts'))).toBe('Epilepsy');
    expect(text(byTestId(target, 'shared-blood-type'))).toBe('O+');
    expect(allByTestId(target, 'shared-visit-row')).toHaveLength(1);
    for (const absent of ['shared-profile', 'shared-medications', 'shared-photos', 'allergies']) {
      expect(target.querySelector(`[data-testid="${absent}"]`), absent).toBeNull();
    }
    expect(text(target)).not.toContain('+33 1 23 45 67 89');
    expect(text(byTestId(target, 'shared-not-shared'))).toContain('Medications and allergies');
    expect(fake.calls).toContain('access_open_code');

    byTestId(target, 'shared-close').click();
    await settle();
    expect(target.querySelector('[data-testid="shared-view"]')).toBeNull();
    const field = byTestId<HTMLInputElement>(target, 'desk-input');
    expect(field.value).toBe('');
    expect(document.activeElement).toBe(field);
  });

  it('opens a scanned QR typed by the scanner and ended with Enter, photos through the grant', async () => {
    const { target, issued, photo, fake } = await atDesk(['photos', 'medications']);
    const field = typeInto(target, 'desk-input', issued.card.token);
    press(field, 'Enter');
    await until(() => byTestId(target, 'shared-view'));
    expect(fake.calls).toContain('access_open_token');
    expect(text(byTestId(target, 'allergies'))).toContain('Penicillin');
    const img = byTestId(target, 'shared-photo').querySelector('img');
    expect(img?.getAttribute('src')).toBe(fake.photoUrl(photo.id, 'thumb', issued.grant.id));
    expect(img?.getAttribute('src')).not.toMatch(/refused/);
    expect(target.querySelector('[data-testid="shared-emergency"]')).toBeNull();
  });

  it('says why a code is refused, in words', async () => {
    const { target, issued, fake } = await atDesk(['emergency']);
    const error = () => text(byTestId(target, 'desk-error'));
    expect(byTestId(target, 'desk-alert').getAttribute('role')).toBe('alert');

    await submit(target, 'hello');
    expect(error()).toBe('This is not a Tessera code.');
    await submit(target, '1234');
    expect(error()).toBe('A code has 6 digits.');
    await submit(target, 'TS1:SOMEONE-ELSE');
    await until(() => expect(error()).toBe('This QR was made by another clinic’s vault.'));
    await submit(target, `${issued.card.token}X`);
    await until(() => expect(error()).toBe('This QR was altered or damaged.'));

    const wrong = issued.code === '000000' ? '111111' : '000000';
    await submit(target, wrong);
    await until(() => expect(error()).toBe('That code is not right. Check the digits.'));
    expect(byTestId(target, 'desk-input').getAttribute('aria-invalid')).toBe('true');
    for (let i = 0; i < 4; i++) await submit(target, wrong);
    await submit(target, wrong);
    await until(() => expect(error()).toBe('Too many wrong codes: wait 30 seconds.'));

    fake.state.codeFailures.count = 0;
    await fake.sessionUnlock({ username: 'ana', password: 'correct horse battery' });
    await fake.accessRevoke({ grant_id: issued.grant.id });
    await fake.sessionUnlock({ username: 'eva', password: 'front desk secret' });
    await submit(target, issued.code);
    await until(() => expect(error()).toBe('This code was revoked.'));
    expect(target.querySelector('[data-testid="shared-view"]')).toBeNull();
  });

  it('says when a code has expired', async () => {
    const { target, issued, fake } = await atDesk(['emergency']);
    const stored = fake.state.grants.find((x) => x.grant.id === issued.grant.id);
    if (stored) stored.grant.expires_at = new Date(Date.now() - 60_000).toISOString();
    await submit(target, issued.card.token);
    await until(() => expect(text(byTestId(target, 'desk-error'))).toBe('This code has expired.'));
  });
});
