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
    not_duplicate: true,
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
  await fake.narrativeAdd({
    patient: patient.id,
    title: null,
    body: 'Walks every day.',
    private: false,
  });
  fake.addPhoto(patient.id);
  return patient;
}

/** The app as an admin sees it, on the patient's chart. */
async function onChart(user = 'ana') {
  const context = await signedIn(user);
  const patient = await patientWithRecords(context.fake);
  await context.fake.patientCreate({
    profile: { given_name: 'Alain', family_name: 'Martin', status: 'active' },
    not_duplicate: true,
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
    // Records merged into this one are told only when there were some.
    expect(notice).not.toContain('merged');
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

  it('erases the duplicates merged into the record with it, and says so', async () => {
    const { target, fake, patient } = await onChart();
    const duplicate = await fake.patientCreate({
      profile: { given_name: 'Zoe', family_name: 'Dubois', status: 'active' },
      not_duplicate: true,
    });
    fake.addPhoto(duplicate.id);
    await fake.patientMerge({ survivor: patient.id, other: duplicate.id });
    byTestId(target, 'erase-open').click();
    await settle();
    const dialog = byTestId(document.body, 'erase-dialog');
    // Anonymising the record still deletes its duplicate: the same person, never counted twice.
    byTestId(dialog, 'erase-mode-anonymise').click();
    typeInto(dialog, 'erase-confirmation', patient.human_id);
    await settle();
    byTestId(dialog, 'erase-confirm').click();
    await until(() => byTestId(target, 'patients-notice'));
    expect(text(byTestId(target, 'patients-notice'))).toContain(
      '1 record merged into this one erased with it',
    );
    expect(fake.state.patients.some((p) => p.id === duplicate.id)).toBe(false);
    expect(fake.state.merges).toEqual([]);
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

describe('the subject access export, encrypted', () => {
  /** The dialog open on the chart, with the arguments each export call was given. */
  async function openDialog() {
    const chart = await onChart();
    const sent: Parameters<FakeBackend['patientSubjectExport']>[0][] = [];
    const real = chart.fake.patientSubjectExport;
    chart.fake.patientSubjectExport = (args) => {
      sent.push(args);
      return real(args);
    };
    byTestId(chart.target, 'subject-export-open').click();
    await settle();
    return { ...chart, sent, dialog: byTestId(document.body, 'subject-export-dialog') };
  }

  it('sends no passphrase while encryption is off: a plain tar', async () => {
    const { fake, sent, dialog } = await openDialog();
    const encrypt = byTestId<HTMLInputElement>(dialog, 'subject-export-encrypt');
    expect(encrypt.checked).toBe(false);
    expect(dialog.querySelector('[data-testid="subject-export-passphrase"]')).toBeNull();
    expect(text(byTestId(dialog, 'subject-export-warning'))).toContain('not encrypted');

    typeInto(dialog, 'subject-export-path', '/media/usb/plain.tar');
    byTestId(dialog, 'subject-export-submit').click();
    await until(() => byTestId(dialog, 'subject-export-done'));
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toHaveProperty('passphrase');
    expect(fake.state.exports.get('/media/usb/plain.tar')).toBeNull();
    expect(dialog.querySelector('[data-testid="subject-export-encrypted"]')).toBeNull();
  });

  it('reveals two labelled passphrase fields and suggests a .tar.age name without changing the path', async () => {
    const { patient, dialog } = await openDialog();
    const encrypt = byTestId<HTMLInputElement>(dialog, 'subject-export-encrypt');
    const hint = dialog.querySelector(`#${encrypt.getAttribute('aria-describedby')}`);
    expect(text(hint as Element)).toContain('age');
    expect(text(hint as Element)).toContain('separately');
    encrypt.click();
    await settle();

    for (const id of ['subject-export-passphrase', 'subject-export-passphrase-again']) {
      const field = byTestId<HTMLInputElement>(dialog, id);
      expect(field.type).toBe('password');
      expect(field.getAttribute('autocomplete')).toBe('new-password');
      expect(field.id).toBe(id);
      expect(dialog.querySelector(`label[for="${id}"]`)).not.toBeNull();
    }
    expect(text(byTestId(dialog, 'subject-export-warning'))).toContain('is encrypted');
    const path = byTestId<HTMLInputElement>(dialog, 'subject-export-path');
    expect(path.value).toBe(`~/${patient.human_id}-subject-access.tar`);
    expect(text(dialog.querySelector('#subject-export-path-hint') as Element)).toContain(
      `~/${patient.human_id}-subject-access.tar.age`,
    );
  });

  it('refuses a short or mismatched passphrase before asking the backend', async () => {
    const { fake, dialog } = await openDialog();
    byTestId(dialog, 'subject-export-encrypt').click();
    await settle();
    typeInto(dialog, 'subject-export-path', '/media/usb/locked.tar.age');

    // Nothing typed, then too short.
    byTestId(dialog, 'subject-export-submit').click();
    await settle();
    expect(text(dialog.querySelector('#subject-export-passphrase-error') as Element)).toBe(
      'Type the passphrase.',
    );
    typeInto(dialog, 'subject-export-passphrase', 'eleven char');
    typeInto(dialog, 'subject-export-passphrase-again', 'eleven char');
    byTestId(dialog, 'subject-export-submit').click();
    await settle();
    const field = byTestId(dialog, 'subject-export-passphrase');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(text(dialog.querySelector('#subject-export-passphrase-error') as Element)).toBe(
      'Use at least 12 characters.',
    );

    // Long enough, but typed differently the second time: said at the second field.
    typeInto(dialog, 'subject-export-passphrase', 'correct horse battery');
    typeInto(dialog, 'subject-export-passphrase-again', 'correct horse batterie');
    byTestId(dialog, 'subject-export-submit').click();
    await settle();
    expect(dialog.querySelector('#subject-export-passphrase-error')).toBeNull();
    expect(text(dialog.querySelector('#subject-export-passphrase-again-error') as Element)).toBe(
      'The two passphrases differ.',
    );
    expect(fake.calls).not.toContain('patient_subject_export');
    expect(fake.state.exports.size).toBe(0);
  });

  it('sends a good passphrase to the backend, and says how the file opens', async () => {
    const { fake, sent, dialog } = await openDialog();
    byTestId(dialog, 'subject-export-encrypt').click();
    await settle();
    typeInto(dialog, 'subject-export-path', '/media/usb/locked.tar.age');
    typeInto(dialog, 'subject-export-passphrase', 'correct horse battery');
    typeInto(dialog, 'subject-export-passphrase-again', 'correct horse battery');
    byTestId(dialog, 'subject-export-submit').click();
    await until(() => byTestId(dialog, 'subject-export-done'));

    expect(fake.calls).toContain('patient_subject_export');
    expect(sent).toEqual([
      expect.objectContaining({
        out: '/media/usb/locked.tar.age',
        passphrase: 'correct horse battery',
      }),
    ]);
    expect(fake.state.exports.get('/media/usb/locked.tar.age')).toBe('correct horse battery');
    expect(text(byTestId(dialog, 'subject-export-done'))).toContain(
      'Written to /media/usb/locked.tar.age.',
    );
    expect(text(byTestId(dialog, 'subject-export-encrypted'))).toContain('age -d');
    // The passphrase is not kept in the form afterwards.
    expect(byTestId<HTMLInputElement>(dialog, 'subject-export-passphrase').value).toBe('');
    expect(byTestId<HTMLInputElement>(dialog, 'subject-export-passphrase-again').value).toBe('');
  });

  it('shows the backend’s refusal of the passphrase at the field', async () => {
    const { fake, dialog } = await openDialog();
    // A stand-in for a rule the UI's own check would not see: the backend is given less.
    const real = fake.patientSubjectExport;
    fake.patientSubjectExport = (args) => real({ ...args, passphrase: 'short' });
    byTestId(dialog, 'subject-export-encrypt').click();
    await settle();
    typeInto(dialog, 'subject-export-path', '/media/usb/locked.tar.age');
    typeInto(dialog, 'subject-export-passphrase', 'correct horse battery');
    typeInto(dialog, 'subject-export-passphrase-again', 'correct horse battery');
    byTestId(dialog, 'subject-export-submit').click();
    await until(() =>
      expect(dialog.querySelector('#subject-export-passphrase-error')).not.toBeNull(),
    );

    expect(text(dialog.querySelector('#subject-export-passphrase-error') as Element)).toBe(
      'passphrase: use at least 12 characters',
    );
    expect(byTestId(dialog, 'subject-export-passphrase').getAttribute('aria-invalid')).toBe('true');
    expect(dialog.querySelector('[data-testid="subject-export-error"]')).toBeNull();
    expect(dialog.querySelector('[data-testid="subject-export-done"]')).toBeNull();
    expect(fake.state.exports.size).toBe(0);

    // Typing another passphrase clears it.
    typeInto(dialog, 'subject-export-passphrase', 'correct horse battery staple');
    await settle();
    expect(dialog.querySelector('#subject-export-passphrase-error')).toBeNull();
  });
});
