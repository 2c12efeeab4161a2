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
import Shell from './Shell.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Waits for the dialog's search (typing is debounced) to offer `count` records. */
async function offered(dialog: HTMLElement, count: number) {
  await until(() => expect(allByTestId(dialog, 'merge-candidate')).toHaveLength(count), 500);
  return allByTestId<HTMLInputElement>(dialog, 'merge-candidate');
}

async function register(fake: FakeBackend, given: string, family: string): Promise<Patient> {
  return fake.patientCreate({
    profile: {
      given_name: given,
      family_name: family,
      date_of_birth: '1990-07-14',
      status: 'active',
    },
    not_duplicate: true,
  });
}

async function visit(fake: FakeBackend, patient: Patient, reason: string) {
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

/**
 * Zoë's chart as `user` sees it (opened by `openWith`, an id or human id), with a visit, and
 * her duplicate record with a visit, a narrative and a photo.
 */
async function onChart(user = 'ana', openWith?: (ids: { kept: Patient; dup: Patient }) => string) {
  const context = await signedIn(user);
  const { fake } = context;
  const kept = await register(fake, 'Zoë', 'Dubois');
  const dup = await register(fake, 'Zoe', 'Dubois');
  await register(fake, 'Alain', 'Martin');
  await visit(fake, kept, 'Wound check');
  await visit(fake, dup, 'Follow-up');
  await fake.narrativeAdd({
    patient: dup.id,
    title: null,
    body: 'Walks every day.',
    private: false,
  });
  fake.addPhoto(dup.id);
  context.app.nav.openPatient(openWith ? openWith({ kept, dup }) : kept.id);
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'view-family_name'));
  return { ...rendered, kept, dup };
}

/** Opens the merge dialog and chooses `other`, found by its human id. */
async function choose(target: HTMLElement, other: Patient) {
  const open = byTestId(target, 'patient-merge-open');
  open.focus();
  open.click();
  await settle();
  const dialog = byTestId(document.body, 'merge-dialog');
  typeInto(dialog, 'merge-search', other.human_id);
  const [candidate] = await offered(dialog, 1);
  expect(candidate?.dataset.humanId).toBe(other.human_id);
  candidate?.click();
  await settle();
  return dialog;
}

describe('merging a duplicate into a record', () => {
  it('finds the other record, says what will happen, and moves its visits', async () => {
    const { target, fake, kept, dup } = await onChart();
    expect(text(byTestId(target, 'tab-visits'))).toContain('(1)');
    byTestId(target, 'patient-merge-open').click();
    await settle();
    const dialog = byTestId(document.body, 'merge-dialog');
    // The keyboard starts in the search; nothing can be merged before a record is chosen.
    expect(document.activeElement).toBe(byTestId(dialog, 'merge-search'));
    expect(byTestId<HTMLButtonElement>(dialog, 'merge-confirm').disabled).toBe(true);

    typeInto(dialog, 'merge-search', 'dubois');
    await offered(dialog, 1);
    // This record itself is never offered.
    const candidate = byTestId<HTMLInputElement>(dialog, 'merge-candidate');
    expect(candidate.dataset.humanId).toBe(dup.human_id);
    expect(text(candidate.closest('.check') as Element)).toContain('born 14 Jul 1990');
    candidate.click();
    await settle();

    const consequences = text(byTestId(dialog, 'merge-consequences'));
    expect(consequences).toContain(
      `Visits, narratives, photos and consents of ${dup.human_id} move to this record (${kept.human_id}).`,
    );
    expect(consequences).toContain('its id will open this record');
    expect(consequences).toContain('You can undo this until the bin is emptied.');
    expect(consequences).toContain('This record’s profile is kept');
    const confirm = byTestId<HTMLButtonElement>(dialog, 'merge-confirm');
    expect(confirm.disabled).toBe(false);
    expect(text(confirm)).toBe(`Merge ${dup.human_id} into this record`);
    confirm.click();

    await until(() => byTestId(target, 'merge-done'));
    const done = byTestId(target, 'merge-done');
    expect(text(done)).toBe(
      `${dup.human_id} was merged into this record. 1 visit, 1 narrative, 1 photo and 0 consents moved.`,
    );
    expect(document.activeElement).toBe(done);
    expect(document.body.querySelector('[data-testid="merge-dialog"]')).toBeNull();
    // The chart was reloaded: the visit is on it.
    await until(() => expect(text(byTestId(target, 'tab-visits'))).toContain('(2)'));
    expect(fake.state.encounters.every((e) => e.patient_id === kept.id)).toBe(true);
    expect(fake.state.patients.find((p) => p.id === dup.id)?.deleted_at).toBeTruthy();

    const merged = byTestId(target, 'merged-records');
    expect(text(merged)).toContain('Records merged into this one');
    const row = byTestId(merged, 'merged-record');
    expect(row.dataset.humanId).toBe(dup.human_id);
    expect(text(row)).toContain('by ana');
    expect(text(row)).toContain('1 visit, 1 narrative, 1 photo and 0 consents moved.');
  });

  it('opens the record a merged-away id went into, and never offers it to itself', async () => {
    const context = await signedIn('ana');
    const { fake } = context;
    const kept = await register(fake, 'Zoë', 'Dubois');
    const dup = await register(fake, 'Zoe', 'Dubois');
    const third = await register(fake, 'Zoé', 'Dubois');
    await fake.patientMerge({ survivor: kept.id, other: dup.id });
    context.app.nav.openPatient(dup.human_id);
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'merged-record'));
    expect(text(byTestId(target, 'patient-human-id'))).toBe(kept.human_id);
    expect(byTestId(target, 'merged-record').dataset.humanId).toBe(dup.human_id);

    byTestId(target, 'patient-merge-open').click();
    await settle();
    const dialog = byTestId(document.body, 'merge-dialog');
    typeInto(dialog, 'merge-search', 'dubois');
    await offered(dialog, 1);
    expect(byTestId(dialog, 'merge-candidate').dataset.humanId).toBe(third.human_id);
  });

  it('undoes a merge after a question, and shows it undone', async () => {
    const { target, fake, kept, dup } = await onChart();
    const dialog = await choose(target, dup);
    byTestId(dialog, 'merge-confirm').click();
    await until(() => byTestId(target, 'merge-undo'));
    await until(() => expect(text(byTestId(target, 'tab-visits'))).toContain('(2)'));

    byTestId(target, 'merge-undo').click();
    await settle();
    const yes = byTestId(target, 'merge-undo-confirm');
    expect(document.activeElement).toBe(yes);
    expect(text(yes.closest('[role="group"]') as Element)).toContain(
      `Undo the merge of ${dup.human_id}?`,
    );
    // Keeping it merged changes nothing.
    byTestId(target, 'merge-undo-cancel').click();
    await settle();
    expect(document.activeElement).toBe(byTestId(target, 'merge-undo'));
    expect(fake.calls).not.toContain('patient_unmerge');

    byTestId(target, 'merge-undo').click();
    await settle();
    byTestId(target, 'merge-undo-confirm').click();
    await until(() => byTestId(target, 'merge-undone'));
    const undone = byTestId(target, 'merge-undone');
    expect(text(undone)).toBe(
      `The merge of ${dup.human_id} was undone: it is a record of its own again.`,
    );
    expect(document.activeElement).toBe(undone);
    expect(target.querySelector('[data-testid="merge-done"]')).toBeNull();
    const row = byTestId(target, 'merged-record');
    expect(text(byTestId(row, 'merged-record-undone'))).toContain('Merge undone on');
    expect(row.querySelector('[data-testid="merge-undo"]')).toBeNull();
    // Exactly what moved went back, and the record left the bin.
    await until(() => expect(text(byTestId(target, 'tab-visits'))).toContain('(1)'));
    const back = fake.state.patients.find((p) => p.id === dup.id);
    expect(back?.deleted_at).toBeUndefined();
    expect(fake.state.encounters.filter((e) => e.patient_id === dup.id)).toHaveLength(1);
    expect(fake.state.encounters.filter((e) => e.patient_id === kept.id)).toHaveLength(1);
    expect(fake.state.narratives.filter((n) => n.patient_id === dup.id)).toHaveLength(1);
    expect(fake.state.photos.filter((x) => x.photo.patient_id === dup.id)).toHaveLength(1);
    expect(fake.state.audit.map((r) => r.action)).toEqual(
      expect.arrayContaining(['patient.merge', 'patient.unmerge']),
    );
  });

  it('says in words that a merge can no longer be undone', async () => {
    const { target, fake, kept, dup } = await onChart();
    await fake.patientMerge({ survivor: kept.id, other: dup.id });
    byTestId(target, 'tab-visits').click();
    await settle();
    byTestId(target, 'tab-profile').click();
    await until(() => byTestId(target, 'merge-undo'));
    // Undone elsewhere meanwhile.
    await fake.patientUnmerge({ merged: dup.id });
    byTestId(target, 'merge-undo').click();
    await settle();
    byTestId(target, 'merge-undo-confirm').click();
    await until(() => byTestId(target, 'merge-undo-error'));
    const error = text(byTestId(target, 'merge-undo-error'));
    expect(error).toContain('The merge was not undone.');
    expect(error).toContain('it was undone already, or the bin was emptied');
    expect(error).not.toContain('was not merged into another record');
    await until(() => byTestId(target, 'merged-record-undone'));
  });

  it('keeps a merge final once the bin is emptied, and its id still opens the record', async () => {
    const context = await signedIn('ana');
    const { fake } = context;
    const kept = await register(fake, 'Zoë', 'Dubois');
    const dup = await register(fake, 'Zoe', 'Dubois');
    await visit(fake, dup, 'Follow-up');
    await fake.patientMerge({ survivor: kept.id, other: dup.id });
    // Forty days in the bin: retention empties it.
    const binned = fake.state.patients.find((p) => p.id === dup.id);
    if (binned) binned.deleted_at = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await fake.retentionRun({ dry_run: false });
    expect(fake.state.patients.some((p) => p.id === dup.id)).toBe(false);

    context.app.nav.openPatient(dup.human_id);
    const { target } = render(Shell, {}, context);
    await until(() => byTestId(target, 'merged-record'));
    expect(text(byTestId(target, 'patient-human-id'))).toBe(kept.human_id);
    const row = byTestId(target, 'merged-record');
    expect(text(row)).toContain('Final: the bin was emptied');
    expect(row.querySelector('[data-testid="merge-undo"]')).toBeNull();
    // The visit that moved stays with the record it went into.
    expect(fake.state.encounters.filter((e) => e.patient_id === kept.id)).toHaveLength(1);
  });

  it('refuses in words to merge away a record others were merged into', async () => {
    const { target, fake, dup } = await onChart();
    const other = await register(fake, 'Alain', 'Dubois');
    await fake.patientMerge({ survivor: dup.id, other: other.id });
    const dialog = await choose(target, dup);
    byTestId(dialog, 'merge-confirm').click();
    await until(() => byTestId(dialog, 'merge-error'));
    const error = text(byTestId(dialog, 'merge-error'));
    expect(error).toContain('The records were not merged.');
    expect(error).toContain('Other records were already merged into the record you chose');
    expect(error).not.toContain('undo those merges first,');
    expect(dialog.querySelector('[data-testid="merge-error-details"]')).toBeNull();
    // The dialog stays, and Escape closes it.
    press(dialog, 'Escape');
    await settle();
    expect(document.body.querySelector('[data-testid="merge-dialog"]')).toBeNull();
    expect(document.activeElement).toBe(byTestId(target, 'patient-merge-open'));
  });

  it('is offered to admins only', async () => {
    const { target, fake } = await onChart('rui');
    expect(target.querySelector('[data-testid="patient-merge-open"]')).toBeNull();
    expect(target.querySelector('[data-testid="merged-records"]')).toBeNull();
    expect(target.querySelector('[data-testid="patient-admin"]')).toBeNull();
    expect(fake.calls).not.toContain('patient_merges');
    await expect(fake.patientMerges({ patient: 'x' })).rejects.toMatchObject({ code: 'denied' });
  });
});
