// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { ExportEntry, Patient } from '../backend';
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
import Verify from './Verify.svelte';

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

/** The app on a patient's chart as `user` sees it. */
async function onChart(user = 'rui') {
  const context = await signedIn(user);
  const patient = await addPatient(context.fake);
  context.app.nav.openPatient(patient.id);
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'view-family_name'));
  await settle();
  return { ...rendered, patient };
}

/** The chart with the Export dialog open; `sent` collects each exportWrite's arguments. */
async function openDialog(user = 'rui') {
  const chart = await onChart(user);
  const sent: Parameters<FakeBackend['exportWrite']>[0][] = [];
  const real = chart.fake.exportWrite;
  chart.fake.exportWrite = (args) => {
    sent.push(args);
    return real(args);
  };
  byTestId(chart.target, 'export-open').click();
  await settle();
  return { ...chart, sent, dialog: byTestId(document.body, 'export-dialog') };
}

const pathOf = (dialog: HTMLElement) => byTestId<HTMLInputElement>(dialog, 'export-path').value;

/** A plain PDF summary of `patient` written by the stand-in, as if from the dialog. */
function exportTo(fake: FakeBackend, patient: Patient, out: string, fields = {}) {
  return fake.exportWrite({
    patient: patient.id,
    kind: 'summary',
    format: 'pdf',
    out,
    csv_bom: false,
    unencrypted: true,
    on_progress: () => {},
    ...fields,
  });
}

describe('the Export dialog', () => {
  it('opens on the first choice, offers the referral, and follows the choices in the path', async () => {
    const { dialog, patient } = await openDialog();
    expect(document.activeElement).toBe(byTestId(dialog, 'export-kind-summary'));
    expect(byTestId<HTMLInputElement>(dialog, 'export-kind-summary').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(dialog, 'export-format-pdf').checked).toBe(true);
    expect(dialog.querySelector('[data-testid="export-kind-referral"]')).not.toBeNull();
    expect(dialog.querySelector('[data-testid="export-front-desk"]')).toBeNull();
    expect(pathOf(dialog)).toBe(`~/${patient.human_id}-summary.pdf`);

    byTestId(dialog, 'export-kind-full').click();
    byTestId(dialog, 'export-format-csv').click();
    await settle();
    expect(pathOf(dialog)).toBe(`~/${patient.human_id}-full.zip`);
    // The byte-order mark is offered for CSV only.
    expect(dialog.querySelector('[data-testid="export-csv-bom"]')).not.toBeNull();
    byTestId(dialog, 'export-format-json').click();
    await settle();
    expect(dialog.querySelector('[data-testid="export-csv-bom"]')).toBeNull();
    byTestId(dialog, 'export-encrypt').click();
    await settle();
    expect(pathOf(dialog)).toBe(`~/${patient.human_id}-full.json.age`);

    // A path the user typed is theirs: the choices no longer change it.
    typeInto(dialog, 'export-path', '/media/usb/dubois.json.age');
    byTestId(dialog, 'export-kind-summary').click();
    await settle();
    expect(pathOf(dialog)).toBe('/media/usb/dubois.json.age');
  });

  it('writes an unencrypted file only once that is chosen explicitly', async () => {
    const { dialog, fake, sent, patient } = await openDialog();
    const submit = byTestId<HTMLButtonElement>(dialog, 'export-submit');
    // The Export button says what to choose.
    const hint = dialog.querySelector(`#${submit.getAttribute('aria-describedby')}`);
    expect(text(hint as Element)).toContain('Write an unencrypted file');

    submit.click();
    await settle();
    expect(sent).toHaveLength(0);
    const choice = byTestId<HTMLInputElement>(dialog, 'export-unencrypted');
    expect(choice.getAttribute('aria-invalid')).toBe('true');
    expect(text(dialog.querySelector('#export-unencrypted-error') as Element)).toContain(
      'tick this box',
    );
    expect(document.activeElement).toBe(choice);

    choice.click();
    await settle();
    expect(submit.getAttribute('aria-describedby')).toBeNull();
    submit.click();
    await until(() => byTestId(dialog, 'export-result'));
    expect(sent).toEqual([
      expect.objectContaining({
        patient: patient.id,
        kind: 'summary',
        format: 'pdf',
        out: `~/${patient.human_id}-summary.pdf`,
        passphrase: null,
        recipient: null,
        unencrypted: true,
      }),
    ]);
    const entry = fake.state.exportLog[0] as ExportEntry;
    const result = byTestId(dialog, 'export-result');
    expect(document.activeElement).toBe(result);
    expect(text(byTestId(result, 'export-result-sha256'))).toBe(entry.sha256);
    expect(text(byTestId(result, 'export-result-id'))).toBe(entry.id);
    expect(text(byTestId(result, 'export-result-path'))).toBe(`~/${patient.human_id}-summary.pdf`);
    expect(text(result)).toContain('verification seal');
  });

  it('encrypts with a passphrase typed twice, and refuses a short one first', async () => {
    const { dialog, sent, patient } = await openDialog();
    byTestId(dialog, 'export-encrypt').click();
    await settle();
    expect(dialog.querySelector('[data-testid="export-unencrypted"]')).toBeNull();
    typeInto(dialog, 'export-passphrase', 'too short');
    typeInto(dialog, 'export-passphrase-repeat', 'too short');
    byTestId(dialog, 'export-submit').click();
    await settle();
    expect(text(dialog.querySelector('#export-passphrase-error') as Element)).toBe(
      'Use at least 12 characters.',
    );
    expect(sent).toHaveLength(0);

    typeInto(dialog, 'export-passphrase', 'correct horse battery');
    typeInto(dialog, 'export-passphrase-repeat', 'correct horse battery');
    byTestId(dialog, 'export-submit').click();
    await until(() => byTestId(dialog, 'export-result'));
    expect(sent[0]).toMatchObject({
      out: `~/${patient.human_id}-summary.pdf.age`,
      passphrase: 'correct horse battery',
      unencrypted: false,
    });
    expect(text(byTestId(dialog, 'export-result'))).toContain('age -d');
  });

  it('shows the referral’s fields for a referral letter, and sends them', async () => {
    const { dialog, sent } = await openDialog();
    expect(dialog.querySelector('[data-testid="export-referral-to"]')).toBeNull();
    byTestId(dialog, 'export-kind-referral').click();
    await settle();
    expect(byTestId(dialog, 'export-referral-to')).not.toBeNull();
    expect(byTestId(dialog, 'export-referral-purpose').tagName).toBe('TEXTAREA');
    byTestId(dialog, 'export-unencrypted').click();
    byTestId(dialog, 'export-submit').click();
    await settle();
    expect(text(dialog.querySelector('#export-referral-to-error') as Element)).toBe(
      'Say whom the letter is for.',
    );
    expect(text(dialog.querySelector('#export-referral-purpose-error') as Element)).toBe(
      'Say why the patient is referred.',
    );
    expect(sent).toHaveLength(0);

    typeInto(dialog, 'export-referral-to', 'Dr A. Mwangi, Kenyatta Hospital');
    typeInto(dialog, 'export-referral-purpose', 'Wound care after discharge');
    typeInto(dialog, 'export-from', '2026-01-01');
    byTestId(dialog, 'export-submit').click();
    await until(() => byTestId(dialog, 'export-result'));
    expect(sent[0]).toMatchObject({
      kind: 'referral',
      referral: { to: 'Dr A. Mwangi, Kenyatta Hospital', purpose: 'Wound care after discharge' },
      from: '2026-01-01',
      to: null,
    });
  });

  it('shows each stage while it runs, and Cancel leaves no file', async () => {
    const { dialog, fake } = await openDialog();
    let release: () => void = () => {};
    fake.exportStep = () => new Promise<void>((resolve) => (release = resolve));
    byTestId(dialog, 'export-unencrypted').click();
    byTestId(dialog, 'export-submit').click();
    await until(() => byTestId(dialog, 'export-progress'));
    await until(() =>
      expect(text(byTestId(dialog, 'export-progress-text'))).toBe('Reading the record…'),
    );
    expect(document.activeElement).toBe(byTestId(dialog, 'export-cancel'));
    release();
    await until(() =>
      expect(text(byTestId(dialog, 'export-progress-text'))).toBe('Preparing the document…'),
    );

    byTestId(dialog, 'export-cancel').click();
    await settle();
    release();
    await until(() => byTestId(dialog, 'export-cancelled'));
    expect(fake.calls).toContain('export_cancel');
    expect(fake.state.exportLog).toHaveLength(0);
    expect(dialog.querySelector('[data-testid="export-progress"]')).toBeNull();
    expect(dialog.querySelector('[data-testid="export-error"]')).toBeNull();
  });

  it('says at the path that a file already exists', async () => {
    const { dialog, fake, patient } = await openDialog();
    await exportTo(fake, patient, '/media/usb/taken.pdf');
    typeInto(dialog, 'export-path', '/media/usb/taken.pdf');
    byTestId(dialog, 'export-unencrypted').click();
    byTestId(dialog, 'export-submit').click();
    await until(() =>
      expect(text(dialog.querySelector('#export-path-error') as Element)).toContain(
        'already exists',
      ),
    );
    expect(document.activeElement).toBe(byTestId(dialog, 'export-path'));
    expect(fake.state.exportLog).toHaveLength(1);
  });

  it('lets the front desk export identity and emergency information, never a referral', async () => {
    const context = await signedIn('rui');
    const patient = await addPatient(context.fake);
    await context.app.session.unlock('eva', 'front desk secret');
    const rendered = render(Shell, {}, context);
    await until(() => byTestId(rendered.target, 'patient-row'));
    expect(rendered.target.querySelector('[data-testid="nav-verify"]')).not.toBeNull();
    expect(rendered.target.querySelector('[data-testid="nav-exports"]')).not.toBeNull();
    // Front desk opens no chart: the patient's desk card has "Export…".
    byTestId(rendered.target, 'patient-row').click();
    await until(() => byTestId(rendered.target, 'export-open'));
    byTestId(rendered.target, 'export-open').click();
    await settle();
    const dialog = byTestId(document.body, 'export-dialog');
    expect(text(byTestId(dialog, 'export-front-desk'))).toContain(
      'identity and emergency information only',
    );
    expect(dialog.querySelector('[data-testid="export-kind-referral"]')).toBeNull();
    expect(byTestId(dialog, 'export-kind-full')).not.toBeNull();
    byTestId(dialog, 'export-kind-full').click();
    byTestId(dialog, 'export-unencrypted').click();
    byTestId(dialog, 'export-submit').click();
    await until(() => byTestId(dialog, 'export-result'));
    expect(context.fake.state.exportLog[0]).toMatchObject({
      patient_id: patient.id,
      kind: 'full',
      created_by: 'eva',
    });
  });

  it('is refused a referral by the stand-in for the front desk, like core', async () => {
    const { fake, app } = await signedIn('rui');
    const patient = await addPatient(fake);
    await app.session.unlock('eva', 'front desk secret');
    await expect(
      exportTo(fake, patient, '/media/usb/letter.pdf', {
        kind: 'referral',
        referral: { to: 'Dr A', purpose: 'Care' },
      }),
    ).rejects.toMatchObject({ code: 'denied' });
    await expect(
      exportTo(fake, patient, '/media/usb/plain.pdf', { unencrypted: false }),
    ).rejects.toMatchObject({ code: 'invalid', field: 'passphrase' });
  });
});

describe('the exports log', () => {
  it('lists every export newest first, with the format, who and the fingerprint', async () => {
    const { target, fake, patient, app } = await onChart('ana');
    await exportTo(fake, patient, '/media/usb/one.pdf');
    await exportTo(fake, patient, '/media/usb/two.zip.age', {
      kind: 'full',
      format: 'csv',
      passphrase: 'correct horse battery',
      unencrypted: false,
      from: '2026-01-01',
      to: '2026-03-31',
    });
    byTestId(target, 'nav-exports').click();
    await until(() => expect(allByTestId(target, 'exports-row')).toHaveLength(2));
    expect(app.nav.screen).toEqual({ name: 'exports' });
    const [newest, oldest] = allByTestId(target, 'exports-row') as [HTMLElement, HTMLElement];
    const entry = fake.state.exportLog[0] as ExportEntry;
    expect(text(newest)).toContain('Full record');
    expect(text(newest)).toContain('1 Jan 2026 to 31 Mar 2026');
    expect(text(newest)).toContain('CSV tables encrypted');
    expect(text(newest)).toContain(patient.human_id);
    expect(text(newest)).toContain('ana');
    const sha = byTestId(newest, 'exports-sha256');
    expect(sha.getAttribute('title')).toBe(entry.sha256);
    expect(text(sha)).toBe(`${entry.sha256.slice(0, 16)}…`);
    expect(text(oldest)).toContain('Summary');
    expect(text(oldest)).not.toContain('encrypted');
  });

  it('shows one patient’s exports from their chart', async () => {
    const { target, fake, patient } = await onChart();
    const other = await fake.patientCreate({
      profile: { given_name: 'Alain', family_name: 'Martin', status: 'active' },
      not_duplicate: true,
    });
    await exportTo(fake, other, '/media/usb/other.pdf');
    byTestId(target, 'patient-exports').click();
    await until(() => byTestId(target, 'exports-empty'));
    expect(text(byTestId(target, 'exports-filter'))).toContain(patient.human_id);
    await exportTo(fake, patient, '/media/usb/mine.pdf');
    byTestId(target, 'exports-all').click();
    await until(() => expect(allByTestId(target, 'exports-row')).toHaveLength(2));
  });

  it('counts the export log entries an erasure removes', async () => {
    const { fake, patient } = await onChart('ana');
    await exportTo(fake, patient, '/media/usb/one.pdf');
    const report = await fake.patientErase({
      patient: patient.id,
      mode: 'delete',
      confirmation: patient.human_id,
    });
    expect(report.export_log_entries).toBe(1);
    expect(fake.state.exportLog).toHaveLength(0);
  });
});

describe('verifying a document', () => {
  /** The Verify screen as the front desk sees it, with two exports made by a clinician. */
  async function atVerify() {
    const context = await signedIn('rui');
    const patient = await addPatient(context.fake);
    const pdf = await exportTo(context.fake, patient, '/media/usb/summary.pdf');
    const json = await exportTo(context.fake, patient, '/media/usb/full.json', {
      kind: 'full',
      format: 'json',
    });
    await context.app.session.unlock('eva', 'front desk secret');
    const rendered = render(Verify, {}, context);
    return { ...rendered, patient, pdf, json };
  }

  async function check(target: HTMLElement, path: string) {
    typeInto(target, 'verify-path', path);
    byTestId(target, 'verify-submit').click();
    await until(() => byTestId(target, 'verify-result'));
    return byTestId(target, 'verify-result');
  }

  it('says a genuine PDF is exactly as exported, and where it came from', async () => {
    const { target, pdf, patient } = await atVerify();
    const result = await check(target, '/media/usb/summary.pdf');
    expect(result.dataset.genuine).toBe('true');
    expect(text(byTestId(result, 'verify-result-title'))).toBe(
      'Genuine: this document is exactly as the vault exported it.',
    );
    expect(text(byTestId(result, 'verify-export-id'))).toBe(pdf.id);
    expect(text(byTestId(result, 'verify-patient'))).toBe(patient.human_id);
    expect(text(byTestId(result, 'verify-kind'))).toBe('Summary');
    expect(text(byTestId(result, 'verify-by'))).toBe('rui');
    expect(text(byTestId(result, 'verify-key'))).toBe('k-7f3a');
    expect(document.activeElement).toBe(result);
  });

  it('checks an exported file against the log', async () => {
    const { target, json } = await atVerify();
    const result = await check(target, '/media/usb/full.json');
    expect(result.dataset.genuine).toBe('true');
    expect(text(byTestId(result, 'verify-result-title'))).toBe(
      'Genuine: this file is exactly as the vault exported it.',
    );
    expect(text(byTestId(result, 'verify-export-id'))).toBe(json.id);
    expect(text(byTestId(result, 'verify-key'))).toContain('checked against the export log');
  });

  it('says calmly that a changed document is not genuine, and why', async () => {
    const { target, fake } = await atVerify();
    const result = await check(target, '/media/usb/forged-summary.pdf');
    expect(result.dataset.genuine).toBe('false');
    expect(result.classList.contains('alert-error')).toBe(true);
    expect(text(byTestId(result, 'verify-result-title'))).toBe('Not genuine');
    expect(text(byTestId(result, 'verify-reason'))).toBe(
      'Its content was changed after it was exported',
    );
    expect(result.querySelector('[data-testid="verify-export-id"]')).toBeNull();
    expect(fake.state.audit.at(-1)).toMatchObject({
      action: 'export.verify',
      after: { genuine: false },
    });
  });

  it('tells an unreadable path at the field', async () => {
    const { target } = await atVerify();
    typeInto(target, 'verify-path', '/media/usb/missing.pdf');
    byTestId(target, 'verify-submit').click();
    await until(() =>
      expect(text(target.querySelector('#verify-path-error') as Element)).toContain(
        'cannot read /media/usb/missing.pdf',
      ),
    );
    expect(target.querySelector('[data-testid="verify-result"]')).toBeNull();
  });

  it('checks a printed page’s seal through the camera', async () => {
    const { target, fake, pdf } = await atVerify();
    fake.state.scanText = fake.sealFor(pdf.id);
    const toggle = byTestId(target, 'verify-camera-toggle');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    await until(() => byTestId(target, 'desk-camera'));
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(text(byTestId(target, 'desk-camera'))).toContain('printed page');
    await until(() => byTestId(target, 'camera-toggle'));
    byTestId(target, 'camera-toggle').click();
    await until(() => byTestId(target, 'verify-result'));
    const result = byTestId(target, 'verify-result');
    expect(result.dataset.genuine).toBe('true');
    expect(text(byTestId(result, 'verify-result-title'))).toContain('Genuine seal');
    expect(text(byTestId(result, 'verify-result-title'))).toContain('A photo cannot prove');
    expect(text(byTestId(result, 'verify-export-id'))).toBe(pdf.id);
    expect(fake.calls).toContain('export_verify_seal');
  });

  it('says an altered seal is not genuine', async () => {
    const { target, fake } = await atVerify();
    fake.state.scanText = `${fake.sealFor('00000000-0000-7000-8000-00000000dead')}`;
    byTestId(target, 'verify-camera-toggle').click();
    await until(() => byTestId(target, 'camera-toggle'));
    byTestId(target, 'camera-toggle').click();
    await until(() => byTestId(target, 'verify-result'));
    const result = byTestId(target, 'verify-result');
    expect(result.dataset.genuine).toBe('false');
    expect(text(byTestId(result, 'verify-reason'))).toContain('the seal was altered');
  });
});
