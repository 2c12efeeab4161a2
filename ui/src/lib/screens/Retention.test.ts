// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { en } from '../i18n/en';
import { fr } from '../i18n/fr';
import { language } from '../stores/language.svelte';
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
import Retention from './Retention.svelte';
import Shell from './Shell.svelte';

afterEach(() => {
  unmountAll();
  language.set('en');
});

const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY).toISOString();

/** Registers a patient and moves them to the bin `binnedDaysAgo` days ago. */
async function binnedPatient(fake: FakeBackend, family: string, binnedDaysAgo: number) {
  const patient = await fake.patientCreate({
    profile: { given_name: 'Ines', family_name: family, status: 'active' },
    not_duplicate: true,
  });
  const stored = fake.state.patients.find((p) => p.id === patient.id);
  if (stored) stored.deleted_at = daysAgo(binnedDaysAgo);
  return patient;
}

async function retentionScreen(prepare?: (fake: FakeBackend) => Promise<void>) {
  const context = await signedIn('ana');
  await prepare?.(context.fake);
  const rendered = render(Retention, {}, context);
  await until(() => byTestId(rendered.target, 'retention-form'));
  return rendered;
}

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();
const button = (root: ParentNode, testid: string) => byTestId<HTMLButtonElement>(root, testid);

describe('retention: preview, then apply', () => {
  it('offers Apply only after a preview, confirms with the counts, and shows what was done', async () => {
    let old = '';
    let recent = '';
    const { target, fake } = await retentionScreen(async (fake) => {
      old = (await binnedPatient(fake, 'Old', 45)).human_id;
      recent = (await binnedPatient(fake, 'Recent', 3)).human_id;
    });
    // The default policy: only the bin is purged, after 30 days.
    expect(byTestId<HTMLInputElement>(target, 'retention-bin-on').checked).toBe(true);
    expect(byTestId<HTMLInputElement>(target, 'retention-bin-days').value).toBe('30');
    expect(byTestId<HTMLInputElement>(target, 'retention-inactive_patients-on').checked).toBe(
      false,
    );
    expect(button(target, 'retention-apply').disabled).toBe(true);
    expect(target.querySelector('#retention-apply-hint')?.textContent).toContain('Preview first');

    button(target, 'retention-preview').click();
    await until(() => byTestId(target, 'retention-report'));
    const report = byTestId(target, 'retention-report');
    expect(report.dataset.dryRun).toBe('true');
    const binned = report.querySelector<HTMLElement>('[data-rule="binned_patients"]');
    expect(binned).not.toBeNull();
    expect(text(byTestId(binned ?? report, 'retention-rule-count'))).toBe('1 patient');
    expect(text(binned ?? report)).toContain(`Patient ${old}`);
    expect(text(report)).not.toContain(recent);
    expect(document.activeElement?.id).toBe('retention-preview-report-heading');
    // The dry run changed nothing.
    expect(fake.state.patients).toHaveLength(2);

    expect(button(target, 'retention-apply').disabled).toBe(false);
    button(target, 'retention-apply').click();
    await settle();
    const dialog = byTestId(document.body, 'retention-confirm-dialog');
    expect(text(byTestId(dialog, 'retention-confirm-lines'))).toBe(
      'Patients in the bin — Erasure: 1 patient',
    );
    expect(fake.calls.filter((c) => c === 'retention_run')).toHaveLength(1);

    button(dialog, 'retention-apply-confirm').click();
    await until(() => byTestId(target, 'retention-done'));
    const done = byTestId(target, 'retention-done');
    expect(done.dataset.dryRun).toBe('false');
    expect(text(done)).toContain(`Patient ${old}`);
    expect(fake.state.patients.map((p) => p.human_id)).toEqual([recent]);
    expect(fake.state.audit.some((r) => r.action === 'patient.erase')).toBe(true);
    expect(document.body.querySelector('[data-testid="retention-confirm-dialog"]')).toBeNull();
    // A new preview is needed before applying again.
    expect(button(target, 'retention-apply').disabled).toBe(true);
  });

  it('keeps Apply off when there is nothing to change, and lists long rules behind a disclosure', async () => {
    const { target, fake } = await retentionScreen();
    button(target, 'retention-preview').click();
    await until(() => byTestId(target, 'retention-report-nothing'));
    expect(button(target, 'retention-apply').disabled).toBe(true);

    for (let i = 0; i < 7; i++) await binnedPatient(fake, `Family${i}`, 60);
    button(target, 'retention-preview').click();
    await until(() => byTestId(target, 'retention-items-more'));
    const more = byTestId<HTMLDetailsElement>(target, 'retention-items-more');
    expect(more.tagName).toBe('DETAILS');
    expect(more.open).toBe(false);
    expect(text(more.querySelector('summary') ?? more)).toBe('Show the 7 records');
    expect(allByTestId(more, 'retention-item')).toHaveLength(7);
    expect(button(target, 'retention-apply').disabled).toBe(false);
  });

  it('names the patient a binned photo belongs to by their human id', async () => {
    let humanId = '';
    let photoId = '';
    const { target } = await retentionScreen(async (fake) => {
      const patient = await fake.patientCreate({
        profile: { given_name: 'Ines', family_name: 'Photo', status: 'active' },
        not_duplicate: true,
      });
      humanId = patient.human_id;
      photoId = fake.addPhoto(patient.id, { deleted_at: daysAgo(45) }).id;
    });
    button(target, 'retention-preview').click();
    await until(() => byTestId(target, 'retention-report'));
    const rule = byTestId(target, 'retention-report').querySelector<HTMLElement>(
      '[data-rule="binned_photos"]',
    );
    const item = text(byTestId(rule ?? target, 'retention-item'));
    expect(item).toContain(photoId);
    expect(item).toContain(`of patient ${humanId}`);
  });

  it('asks for a new preview once the policy changes', async () => {
    const { target, fake } = await retentionScreen(async (fake) => {
      await binnedPatient(fake, 'Old', 45);
    });
    button(target, 'retention-preview').click();
    await until(() => expect(button(target, 'retention-apply').disabled).toBe(false));

    byTestId(target, 'retention-encounters-on').click();
    await settle();
    expect(byTestId(target, 'retention-unsaved').textContent).toContain('Save the policy first');
    expect(button(target, 'retention-preview').disabled).toBe(true);
    expect(button(target, 'retention-apply').disabled).toBe(true);

    byTestId(target, 'retention-encounters-action-anonymise').click();
    typeInto(target, 'retention-encounters-years', '12');
    button(target, 'retention-save').click();
    await until(() => byTestId(target, 'retention-saved'));
    expect(fake.state.retention.encounters).toEqual({ years: 12, action: 'anonymise' });
    expect(target.querySelector('[data-testid="retention-report"]')).toBeNull();
    expect(button(target, 'retention-apply').disabled).toBe(true);
    expect(button(target, 'retention-preview').disabled).toBe(false);
  });
});

describe('retention: the policy form', () => {
  it('refuses audit entries kept under six years, at the field, without asking the backend', async () => {
    const { target, fake } = await retentionScreen();
    const hint = target.querySelector('#retention-audit-hint');
    expect(hint?.textContent).toContain('At least 6 years');

    byTestId(target, 'retention-audit-on').click();
    await settle();
    expect(byTestId<HTMLInputElement>(target, 'retention-audit-years').value).toBe('6');
    typeInto(target, 'retention-audit-years', '5');
    button(target, 'retention-save').click();
    await settle();
    const field = byTestId<HTMLInputElement>(target, 'retention-audit-years');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(target.querySelector('#retention-audit-years-error')?.textContent).toContain(
      'at least 6 years',
    );
    expect(field.getAttribute('aria-describedby')).toContain('retention-audit-years-error');
    expect(fake.calls).not.toContain('retention_set');

    typeInto(target, 'retention-audit-years', '7');
    button(target, 'retention-save').click();
    await until(() => byTestId(target, 'retention-saved'));
    expect(fake.state.retention.audit_entries_years).toBe(7);
    expect(target.querySelector('#retention-audit-years-error')).toBeNull();
  });

  it('offers anonymise only where core allows it', async () => {
    const { target } = await retentionScreen();
    for (const rule of ['inactive_patients', 'photos', 'narratives', 'encounters']) {
      byTestId(target, `retention-${rule}-on`).click();
    }
    await settle();
    expect(byTestId(target, 'retention-inactive_patients-action-anonymise')).not.toBeNull();
    expect(byTestId(target, 'retention-encounters-action-anonymise')).not.toBeNull();
    expect(target.querySelector('[data-testid="retention-photos-action-anonymise"]')).toBeNull();
    expect(text(byTestId(target, 'retention-photos'))).toContain('can only be deleted');
    expect(
      target.querySelector('[data-testid="retention-narratives-action-anonymise"]'),
    ).toBeNull();
  });
});

describe('retention: what a rule does', () => {
  const checked = (root: ParentNode, testid: string) =>
    byTestId<HTMLInputElement>(root, testid).checked;

  it('offers anonymise, first, for a new rule on patients or visits, and saves it so', async () => {
    const { target, fake } = await retentionScreen();
    for (const rule of ['inactive_patients', 'encounters']) {
      byTestId(target, `retention-${rule}-on`).click();
      await settle();
      expect(checked(target, `retention-${rule}-action-anonymise`), rule).toBe(true);
      expect(checked(target, `retention-${rule}-action-delete`), rule).toBe(false);
      const choices = [
        ...target.querySelectorAll<HTMLInputElement>(`input[name="retention-${rule}-action"]`),
      ];
      expect(choices.map((c) => c.value)).toEqual(['anonymise', 'delete']);
    }
    button(target, 'retention-save').click();
    await until(() => byTestId(target, 'retention-saved'));
    expect(fake.state.retention.inactive_patients).toEqual({ years: 10, action: 'anonymise' });
    expect(fake.state.retention.encounters).toEqual({ years: 10, action: 'anonymise' });
  });

  it('leaves a saved rule that deletes as it is', async () => {
    const { target, fake } = await retentionScreen(async (fake) => {
      fake.state.retention = {
        ...fake.state.retention,
        inactive_patients: { years: 8, action: 'delete' },
        encounters: { years: 12, action: 'delete' },
      };
    });
    expect(checked(target, 'retention-inactive_patients-action-delete')).toBe(true);
    expect(checked(target, 'retention-encounters-action-delete')).toBe(true);
    expect(checked(target, 'retention-encounters-action-anonymise')).toBe(false);
    // Nothing to save: the form stands for the saved policy.
    expect(target.querySelector('[data-testid="retention-unsaved"]')).toBeNull();
    button(target, 'retention-save').click();
    await until(() => byTestId(target, 'retention-saved'));
    expect(fake.state.retention.inactive_patients).toEqual({ years: 8, action: 'delete' });
    expect(fake.state.retention.encounters).toEqual({ years: 12, action: 'delete' });
  });
});

describe('retention: the law', () => {
  const CITATION = /HIPAA|GDPR|RGPD|CNIL|legal minimum|minimum légal|durées? légales?/i;

  it('cites no country’s law, and says to follow the law and the records policy', async () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(fr)]) {
      if (key.startsWith('retention.')) expect(text, key).not.toMatch(CITATION);
    }
    const { target } = await retentionScreen();
    byTestId(target, 'retention-audit-on').click();
    await settle();
    typeInto(target, 'retention-audit-years', '2');
    button(target, 'retention-save').click();
    await settle();
    expect(text(target)).not.toMatch(CITATION);
    expect(text(target)).toContain(
      'Set periods that follow the law and your organisation’s records policy.',
    );

    language.set('fr');
    await settle();
    expect(text(target)).not.toMatch(CITATION);
    expect(text(target)).toContain(
      'Fixez des durées conformes à la loi et à la politique de conservation des dossiers de votre organisation.',
    );
  });
});

describe('retention: who sees it', () => {
  it('is in the navigation for administrators only', async () => {
    const admin = await signedIn('ana');
    let rendered = render(Shell, {}, admin);
    await settle();
    byTestId(rendered.target, 'nav-retention').click();
    await until(() => byTestId(rendered.target, 'screen-retention'));
    rendered.destroy();

    const clinician = await signedIn('rui');
    rendered = render(Shell, {}, clinician);
    await settle();
    expect(rendered.target.querySelector('[data-testid="nav-retention"]')).toBeNull();
  });
});
