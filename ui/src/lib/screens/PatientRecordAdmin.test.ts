// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

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
import PatientChart from './PatientChart.svelte';
import Shell from './Shell.svelte';

afterEach(unmountAll);

async function patientWithRecords(fake: FakeBackend): Promise<Patient> {
  const patient = await fake.patientCreate({
    profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
  });
  for (const reason of ['Wound check', 'Follow-up']) {
    await fake.encounterAdd({
      patient: patient.id,
      encounter: {
        occurred_at: '2026-01-10',
        kind: 'visit',
        reason,
        diagnoses: [],
        treatments: [],
        vitals: {},
      },
    });
  }
  await fake.narrativeAdd({ patient: patient.id, title: null, body: 'Walks every day.' });
  fake.addPhoto(patient.id);
  return patient;
}

/** The app as an admin sees it, on the patient's chart. */
async function onChart(user = 'ana') {
  const context = await signedIn(user);
  const patient = await patientWithRecords(context.fake);
  await context.fake.patientCreate({
    profile: { given_name: 'Alain', family_name: 'Martin', status: 'active' },
  });
  context.app.nav.openPatient(patient.id);
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'view-family_name'));
  return { ...rendered, patient };
}

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('erasing a patient', () => {
  it('keeps the button disabled for any id but the patient’s, and says why', async () => {
    const { target, fake, patient } = await onChart();
    byTestId(target, 'erase-open').click();
    await settle();
    const dialog = byTestId(document.body, 'erase-dialog');
    expect(text(dialog)).toContain('Delete everything');
    expect(text(dialog)).toContain('sex, birth year, blood type');
    const confirm = byTestId<HTMLButtonElement>(dialog, 'erase-confirm');
    expect(confirm.disabled).toBe(true);
    // The first field takes the focus: the mode.
    expect(document.activeElement).toBe(byTestId(dialog, 'erase-mode-delete'));

    const other = fake.state.patients.find((p) => p.id !== patient.id)?.human_id ?? '';
    const field = typeInto(dialog, 'erase-confirmation', other);
    await settle();
    expect(confirm.disabled).toBe(true);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(dialog.querySelector('#erase-confirmation-error')?.textContent).toContain(
      `This is not this patient’s id (${patient.human_id})`,
    );

    // Half an id is not an error yet, until Enter is pressed.
    typeInto(dialog, 'erase-confirmation', patient.human_id.slice(0, 6));
    await settle();
    expect(dialog.querySelector('#erase-confirmation-error')).toBeNull();
    press(field, 'Enter');
    expect(dialog.querySelector('#erase-confirmation-error')).not.toBeNull();
    expect(confirm.disabled).toBe(true);
    expect(fake.calls).not.toContain('patient_erase');

    // Escape closes it, and nothing happened.
    press(dialog, 'Escape');
    await settle();
    expect(document.body.querySelector('[data-testid="erase-dialog"]')).toBeNull();
    expect(fake.state.patients.some((p) => p.id === patient.id)).toBe(true);
  });

  it('erases with the typed id, returns to the list and tells what was removed', async () => {
    const { target, fake, patient, app } = await onChart();
    byTestId(target, 'erase-open').click();
    await settle();
    const dialog = byTestId(document.body, 'erase-dialog');
    // Typed loosely: lower case, without dashes.
    typeInto(dialog, 'erase-confirmation', patient.human_id.replace(/-/g, '').toLowerCase());
    await settle();
    const confirm = byTestId<HTMLButtonElement>(dialog, 'erase-confirm');
    expect(confirm.disabled).toBe(false);
    expect(confirm.textContent?.trim()).toBe('Erase the patient');
    confirm.click();

    await until(() => byTestId(target, 'patients-notice'));
    expect(byTestId(target, 'screen-patients')).not.toBeNull();
    const notice = text(byTestId(target, 'patients-notice'));
    expect(notice).toContain('Patient erased.');
    expect(notice).toContain('2 visits removed');
    expect(notice).toContain('1 photo removed with its files');
    expect(notice).toContain('1 narrative removed with its versions');
    expect(fake.calls).toContain('patient_erase');
    expect(fake.state.patients.some((p) => p.id === patient.id)).toBe(false);
    await until(() => expect(allByTestId(target, 'patient-row')).toHaveLength(1));
    expect(text(byTestId(target, 'patient-row'))).toContain('Martin');
    expect(app.nav.screen).toEqual({ name: 'patients' });

    // The notice goes with the next move.
    byTestId(target, 'nav-settings').click();
    await settle();
    byTestId(target, 'nav-patients').click();
    await settle();
    expect(target.querySelector('[data-testid="patients-notice"]')).toBeNull();
  });

  it('anonymises: the record stays under a new id, without the name', async () => {
    const { target, fake, patient } = await onChart();
    byTestId(target, 'erase-open').click();
    await settle();
    const dialog = byTestId(document.body, 'erase-dialog');
    byTestId(dialog, 'erase-mode-anonymise').click();
    typeInto(dialog, 'erase-confirmation', patient.human_id);
    await settle();
    const confirm = byTestId<HTMLButtonElement>(dialog, 'erase-confirm');
    expect(confirm.textContent?.trim()).toBe('Anonymise the patient');
    confirm.click();
    await until(() => byTestId(target, 'patients-notice'));
    expect(text(byTestId(target, 'patients-notice'))).toContain(
      '2 visits kept without their notes',
    );
    const kept = fake.state.patients.find((p) => p.id === patient.id);
    expect(kept?.given_name).toBe('Anonymised');
    expect(kept?.human_id).not.toBe(patient.human_id);
  });

  it('shows the shell’s refusal of a mistyped id at the field', async () => {
    const { target, fake, patient } = await onChart();
    // A stand-in for a slip the UI's own check would not see (the record changed meanwhile).
    const real = fake.patientErase;
    fake.patientErase = (args) => real({ ...args, confirmation: 'TS-0000-0000' });
    byTestId(target, 'erase-open').click();
    await settle();
    const dialog = byTestId(document.body, 'erase-dialog');
    typeInto(dialog, 'erase-confirmation', patient.human_id);
    await settle();
    byTestId(dialog, 'erase-confirm').click();
    await until(() =>
      expect(dialog.querySelector('#erase-confirmation-error')?.textContent).toContain(
        patient.human_id,
      ),
    );
    expect(fake.state.patients.some((p) => p.id === patient.id)).toBe(true);
    expect(byTestId(document.body, 'erase-dialog')).toBe(dialog);
  });

  it('is offered to administrators only', async () => {
    const context = await signedIn('rui');
    const patient = await patientWithRecords(context.fake);
    const rendered = render(PatientChart, { id: patient.id }, context);
    await until(() => byTestId(rendered.target, 'view-family_name'));
    expect(rendered.target.querySelector('[data-testid="patient-admin"]')).toBeNull();
    expect(rendered.target.querySelector('[data-testid="erase-open"]')).toBeNull();
  });
});

describe('the subject access export', () => {
  it('writes to a typed path and tells where, with the fingerprint; an existing file is refused', async () => {
    const { target, fake, patient } = await onChart();
    byTestId(target, 'subject-export-open').click();
    await settle();
    const dialog = byTestId(document.body, 'subject-export-dialog');
    const path = byTestId<HTMLInputElement>(dialog, 'subject-export-path');
    expect(path.value).toBe(`~/${patient.human_id}-subject-access.tar`);

    typeInto(dialog, 'subject-export-path', 'exports/file.tar');
    byTestId(dialog, 'subject-export-submit').click();
    await settle();
    expect(dialog.querySelector('#subject-export-path-error')?.textContent).toContain('full path');
    expect(fake.calls).not.toContain('patient_subject_export');

    typeInto(dialog, 'subject-export-path', '/media/usb/dubois.tar');
    byTestId(dialog, 'subject-export-submit').click();
    await until(() => byTestId(dialog, 'subject-export-done'));
    const done = text(byTestId(dialog, 'subject-export-done'));
    expect(done).toContain('Written to /media/usb/dubois.tar.');
    expect(done).toContain('1 photo');
    expect(text(byTestId(dialog, 'subject-export-sha'))).toBe('ab'.repeat(32));

    byTestId(dialog, 'subject-export-submit').click();
    await until(() => byTestId(dialog, 'subject-export-error'));
    expect(text(byTestId(dialog, 'subject-export-error'))).toContain('already exists');
  });
});
