// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { deskForm, formToDeskCorrection } from '../deskCard';
import type { FakeBackend } from '../testing/fakeBackend';
import {
  allByTestId,
  byTestId,
  render,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import Shell from './Shell.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();
const absent = (root: ParentNode, testid: string) =>
  root.querySelector(`[data-testid="${testid}"]`) === null;

/** Zoë, registered by a clinician with clinical details the desk must never see. */
async function zoeIn(fake: FakeBackend) {
  const signedIn = fake.state.session;
  fake.state.session = signedIn && { ...signedIn, username: 'rui', role: 'clinician' };
  const zoe = await fake.patientCreate({
    profile: {
      given_name: 'Zoë',
      family_name: 'Dubois',
      date_of_birth: '1990-07-14',
      phone: '06 01 02 03 04',
      medical_alerts: ['Epilepsy'],
      allergies: [{ substance: 'latex', severity: 'severe' }],
      medications: [{ name: 'Lamotrigine' }],
      emergency_contacts: [{ name: 'Paul Dubois', phone: '06 99 88 77 66', primary: true }],
      status: 'active',
    },
    not_duplicate: true,
  });
  fake.state.session = signedIn;
  return zoe;
}

/** The patient list as the front desk sees it, with Zoë registered. */
async function frontDesk() {
  const context = await signedIn('eva');
  const zoe = await zoeIn(context.fake);
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'patient-row'));
  return { ...rendered, zoe };
}

/** Zoë's desk card, opened from the list. */
async function deskCard() {
  const opened = await frontDesk();
  byTestId(opened.target, 'patient-row').click();
  await until(() => byTestId(opened.target, 'desk-phone'));
  return opened;
}

describe('the front desk’s card of a patient', () => {
  it('opens from the list with the alerts, contact details and whom to call, nothing clinical', async () => {
    const { target, zoe, app } = await deskCard();
    expect(app.nav.screen).toEqual({ name: 'desk-card', id: zoe.id });
    const card = byTestId(target, 'desk-card');
    expect(text(byTestId(card, 'screen-desk-card'))).toBe('Zoë Dubois');
    expect(text(byTestId(card, 'desk-human-id'))).toBe(zoe.human_id);
    expect(text(byTestId(card, 'desk-date-of-birth'))).toContain('14 Jul 1990');
    expect(text(byTestId(byTestId(card, 'desk-alerts'), 'medical-alerts'))).toBe('Epilepsy');
    expect(text(byTestId(card, 'desk-phone'))).toBe('06 01 02 03 04');
    expect(text(byTestId(card, 'desk-emergency-contacts'))).toContain('Paul Dubois');

    // No chart, no tabs, nothing clinical beyond the alerts.
    for (const id of ['tab-narratives', 'tab-visits', 'tab-photos', 'tab-consents', 'allergies']) {
      expect(absent(target, id), id).toBe(true);
    }
    expect(text(card)).not.toContain('latex');
    expect(text(card)).not.toContain('Lamotrigine');
    expect(byTestId(target, 'nav-patients').getAttribute('aria-current')).toBe('page');
  });

  it('corrects a phone number, keeping everything clinical as it was', async () => {
    const { target, fake, zoe } = await deskCard();
    byTestId(target, 'desk-correct').click();
    await until(() => byTestId(target, 'desk-field-phone'));
    // The cursor where the user types; only the desk's fields are offered.
    expect(document.activeElement).toBe(byTestId(target, 'desk-field-given_name'));
    for (const id of ['desk-field-date_of_birth', 'desk-field-sex', 'add-allergies']) {
      expect(absent(target, id), id).toBe(true);
    }
    typeInto(target, 'desk-field-phone', '07 11 22 33 44');
    await settle();
    byTestId(target, 'desk-save').click();
    await until(() => byTestId(target, 'desk-saved'));

    expect(text(byTestId(target, 'desk-phone'))).toBe('07 11 22 33 44');
    await until(() => expect(document.activeElement).toBe(byTestId(target, 'desk-saved')));
    const stored = fake.state.patients.find((p) => p.id === zoe.id);
    expect(stored).toMatchObject({
      phone: '07 11 22 33 44',
      version: 2,
      allergies: [{ substance: 'latex', severity: 'severe' }],
      medications: [{ name: 'Lamotrigine' }],
      medical_alerts: ['Epilepsy'],
    });
    expect(fake.calls).toContain('patient_desk_correct');
    expect(fake.state.audit.at(-1)?.action).toBe('patient.edit_desk');
  });

  it('says in words that someone saved first, and reloads the card', async () => {
    const { target, fake, zoe } = await deskCard();
    byTestId(target, 'desk-correct').click();
    await until(() => byTestId(target, 'desk-field-location'));
    // A colleague corrects the record meanwhile.
    const record = await fake.patientDesk({ patient: zoe.id });
    await fake.patientDeskCorrect({
      patient: zoe.id,
      correction: { ...formToDeskCorrection(deskForm(record)), preferred_name: 'Zozo' },
      expected_version: record.version,
    });
    typeInto(target, 'desk-field-location', 'Rue des Lilas');
    await settle();
    byTestId(target, 'desk-save').click();
    await until(() => byTestId(target, 'desk-error'));
    const error = byTestId(target, 'desk-error');
    expect(text(error)).toContain('This record changed since you opened it');
    expect(text(error)).not.toContain('version');

    byTestId(target, 'desk-reload').click();
    await until(() => expect(text(byTestId(target, 'screen-desk-card'))).toContain('(Zozo)'));
    expect(absent(target, 'desk-field-location')).toBe(true);
    expect(document.activeElement).toBe(byTestId(target, 'desk-correct'));
  });

  it('checks the form first, and words a refusal with the backend’s text kept for support', async () => {
    const { target, fake } = await deskCard();
    byTestId(target, 'desk-correct').click();
    await until(() => byTestId(target, 'desk-field-given_name'));
    typeInto(target, 'desk-field-given_name', ' ');
    await settle();
    byTestId(target, 'desk-save').click();
    await settle();
    expect(text(target)).toContain('This is required.');
    expect(fake.calls).not.toContain('patient_desk_correct');

    // The stand-in refuses what core refuses, e.g. a blank name sent anyway.
    await expect(
      fake.patientDeskCorrect({
        patient: fake.state.patients[0]?.id ?? '',
        correction: {
          given_name: ' ',
          family_name: 'Dubois',
          preferred_name: null,
          contact: { phone: null, location: null, preferred_language: null, communication: null },
          emergency_contacts: [],
        },
        expected_version: 1,
      }),
    ).rejects.toMatchObject({ code: 'invalid' });

    fake.patientDeskCorrect = () =>
      Promise.reject({ code: 'invalid', message: 'phone: 12 is not a phone number' });
    typeInto(target, 'desk-field-given_name', 'Zoë');
    await settle();
    byTestId(target, 'desk-save').click();
    await until(() => byTestId(target, 'desk-error'));
    const error = byTestId(target, 'desk-error');
    expect(text(error)).toContain('Check the details');
    expect(text(byTestId(error, 'desk-error-details'))).toContain('12 is not a phone number');
  });
});

describe('registering at the front desk', () => {
  it('offers only what the desk reads back, then opens the new patient’s desk card', async () => {
    const context = await signedIn('eva');
    context.app.nav.go({ name: 'new-patient' });
    const { target, fake } = render(Shell, {}, context);
    await until(() => byTestId(target, 'field-given_name'));
    for (const id of [
      'field-preferred_name',
      'field-date_of_birth',
      'field-sex',
      'field-phone',
      'field-location',
      'field-preferred_language',
      'field-channel',
      'add-emergency_contacts',
    ]) {
      expect(absent(target, id), id).toBe(false);
    }
    for (const id of [
      'field-medical_alerts-0',
      'add-medical_alerts',
      'add-allergies',
      'add-medications',
      'add-chronic_conditions',
      'field-blood_type',
      'field-organ_donor',
      'field-insurance_provider',
      'field-status',
    ]) {
      expect(absent(target, id), id).toBe(true);
    }

    typeInto(target, 'field-given_name', 'Ana');
    typeInto(target, 'field-family_name', 'Lima');
    typeInto(target, 'field-phone', '+351 912 345 678');
    await settle();
    byTestId(target, 'save-button').click();
    await until(() => byTestId(target, 'desk-card'));
    const added = fake.state.patients[0];
    expect(context.app.nav.screen).toEqual({ name: 'desk-card', id: added?.id });
    await until(() => expect(text(byTestId(target, 'desk-phone'))).toBe('+351 912 345 678'));
  });

  it('is refused clinical details by the stand-in, like core', async () => {
    const { fake } = await signedIn('eva');
    await expect(
      fake.patientCreate({
        profile: { given_name: 'Ana', family_name: 'Lima', status: 'active', allergies: [] },
        not_duplicate: true,
      }),
    ).resolves.toMatchObject({ given_name: 'Ana' });
    for (const clinical of [
      { medical_alerts: ['DNR'] },
      { allergies: [{ substance: 'latex' }] },
      { blood_type: 'O+' as const },
      { insurance: { provider: 'CPAM' } },
    ]) {
      await expect(
        fake.patientCreate({
          profile: { given_name: 'Rita', family_name: 'Lima', status: 'active', ...clinical },
          not_duplicate: true,
        }),
      ).rejects.toMatchObject({ code: 'denied' });
    }
    expect(fake.state.patients).toHaveLength(1);
  });

  it('leaves practitioners the whole form and the chart', async () => {
    const context = await signedIn('rui');
    context.app.nav.go({ name: 'new-patient' });
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'field-given_name'));
    expect(absent(target, 'add-allergies')).toBe(false);
    expect(absent(target, 'field-blood_type')).toBe(false);
    expect(allByTestId(target, 'field-status')).toHaveLength(1);
  });
});
