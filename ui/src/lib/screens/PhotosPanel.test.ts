// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import type { Patient } from '../backend';
import { POLICY } from '../bindings/policy';
import { PhotoImportBatch } from '../stores/photoImport.svelte';
import type { FakeBackend } from '../testing/fakeBackend';
import {
  allByTestId,
  byTestId,
  press,
  render,
  settle,
  signedIn,
  unmountAll,
  until,
} from '../testing/screen';
import PatientChart from './PatientChart.svelte';
import PhotosPanel from './PhotosPanel.svelte';

afterEach(unmountAll);

/** A tiny file the stand-in takes for a JPEG; `seed` makes its content differ. */
const jpeg = (name: string, seed: number) =>
  new File([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, seed, seed])], name, {
    type: 'image/jpeg',
  });
const notAnImage = (name: string) => new File(['just some text'], name, { type: 'image/jpeg' });

async function patientIn(fake: FakeBackend): Promise<Patient> {
  return fake.patientCreate({
    profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
    not_duplicate: true,
  });
}

/** Holds every `photo_import` call until the test lets it through, one by one. */
function gateImports(fake: FakeBackend) {
  const waiting: (() => void)[] = [];
  const real = fake.photoImport;
  fake.photoImport = async (args) => {
    await new Promise<void>((resolve) => waiting.push(resolve));
    return real(args);
  };
  return {
    /** Lets the oldest held call through, once it has arrived. */
    async release(): Promise<void> {
      await until(() => expect(waiting.length).toBeGreaterThan(0));
      waiting.shift()?.();
      await settle();
    },
  };
}

function choose(target: HTMLElement, files: File[]) {
  const input = byTestId<HTMLInputElement>(target, 'photo-file-input');
  Object.defineProperty(input, 'files', { value: files, configurable: true });
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

const statuses = (target: HTMLElement) =>
  allByTestId(target, 'photo-import-result').map((li) => li.dataset.status);
const count = (target: HTMLElement) => byTestId(target, 'photo-import-count').textContent?.trim();

async function photosPanel(user = 'ana') {
  const context = await signedIn(user);
  const patient = await patientIn(context.fake);
  const writes: string[] = [];
  const rendered = render(
    PhotosPanel,
    { patient, batch: new PhotoImportBatch(), onwrite: (p) => writes.push(p.id) },
    context,
  );
  return { ...rendered, patient, writes };
}

describe('importing photos', () => {
  it('sends the files one by one with progress; a bad file fails alone, with the reason', async () => {
    const { fake, target } = await photosPanel();
    const gate = gateImports(fake);
    await until(() => byTestId(target, 'photos-empty'));

    choose(target, [jpeg('heel.jpg', 1), notAnImage('notes.jpg'), jpeg('ankle.jpg', 2)]);
    await settle();
    const progress = byTestId<HTMLProgressElement>(target, 'photo-import-progress');
    expect(count(target)).toBe('0 of 3');
    expect(progress.max).toBe(3);
    expect(byTestId(target, 'photo-import-status').textContent).toContain('Sending heel.jpg');
    expect(statuses(target)).toEqual(['sending', 'waiting', 'waiting']);

    await gate.release();
    expect(count(target)).toBe('1 of 3');
    expect(progress.value).toBe(1);
    expect(statuses(target)).toEqual(['imported', 'sending', 'waiting']);

    await gate.release();
    expect(count(target)).toBe('2 of 3');
    expect(statuses(target)).toEqual(['imported', 'failed', 'sending']);
    const failure = allByTestId(target, 'photo-import-result')[1];
    expect(failure?.textContent).toContain('notes.jpg');
    expect(byTestId(target, 'photo-import-error').textContent?.trim()).toBe(
      'photo: not a JPEG, PNG, WebP or HEIC image (judged by its content, not its name)',
    );

    await gate.release();
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(2));
    expect(count(target)).toBe('3 of 3');
    expect(statuses(target)).toEqual(['imported', 'failed', 'imported']);
    expect(byTestId(target, 'photo-import-status').textContent).toContain(
      'Imported: 2. Already imported: 0. Failed: 1.',
    );
    expect(() => byTestId(target, 'photo-import-cancel')).toThrow();
    // The names went to the backend as the user saw them, with the chosen privacy.
    expect(fake.state.photos.map((p) => [p.photo.source_name, p.photo.privacy])).toEqual([
      ['heel.jpg', 'staff'],
      ['ankle.jpg', 'staff'],
    ]);
  });

  it('says which files were already imported, and keeps the privacy chosen', async () => {
    const { fake, target } = await photosPanel('rui');
    await until(() => byTestId(target, 'photos-empty'));
    byTestId<HTMLInputElement>(target, 'photo-privacy-private').click();
    await settle();
    choose(target, [jpeg('a.jpg', 7), jpeg('a again.jpg', 7)]);
    await until(() => expect(statuses(target)).toEqual(['imported', 'duplicate']));
    expect(allByTestId(target, 'photo-import-result')[1]?.textContent).toContain(
      'Already imported',
    );
    expect(fake.state.photos.map((p) => p.photo.privacy)).toEqual(['private']);
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(1));
    expect(byTestId(target, 'photo-thumb').textContent).toContain('Private');
  });

  it('stops sending the rest on Cancel; the file under way finishes', async () => {
    const { fake, target } = await photosPanel();
    const gate = gateImports(fake);
    await until(() => byTestId(target, 'photos-empty'));
    choose(target, [jpeg('1.jpg', 1), jpeg('2.jpg', 2), jpeg('3.jpg', 3), jpeg('4.jpg', 4)]);
    await settle();
    byTestId(target, 'photo-import-cancel').click();
    await settle();
    await gate.release();
    await until(() => expect(byTestId(target, 'photo-import-clear')).toBeTruthy());
    expect(statuses(target)).toEqual(['imported', 'cancelled', 'cancelled', 'cancelled']);
    expect(fake.calls.filter((c) => c === 'photo_import')).toHaveLength(1);
    expect(count(target)).toBe('1 of 4');
    expect(byTestId(target, 'photo-import-status').textContent).toContain('Import cancelled');
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(1));
  });

  it('takes files dropped on the drop zone', async () => {
    const { target } = await photosPanel();
    await until(() => byTestId(target, 'photos-empty'));
    const drop = new Event('drop', { bubbles: true, cancelable: true });
    Object.defineProperty(drop, 'dataTransfer', {
      value: { files: [jpeg('dropped.jpg', 9)], types: ['Files'] },
    });
    byTestId(target, 'photo-drop-zone').dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(1));
    expect(statuses(target)).toEqual(['imported']);
  });
});

describe('the gallery and the viewer', () => {
  async function withPhotos(n: number) {
    const panel = await photosPanel();
    for (let i = 1; i <= n; i++) {
      panel.fake.addPhoto(panel.patient.id, {
        caption: `Photo ${i}`,
        imported_at: `2026-01-0${i}T10:00:00Z`,
      });
    }
    // The panel listed before the photos were added: list again.
    byTestId(panel.target, 'photo-bin-toggle').click();
    await settle();
    byTestId(panel.target, 'photo-bin-toggle').click();
    await until(() => expect(allByTestId(panel.target, 'photo-thumb')).toHaveLength(n));
    return panel;
  }

  const title = () => document.getElementById('photo-viewer-title')?.textContent?.trim();

  it('shows thumbnails newest first, with sizes and alt text, lazily loaded', async () => {
    const { target } = await withPhotos(2);
    const images = allByTestId(target, 'photo-thumb').map((b) => b.querySelector('img'));
    expect(images.map((img) => img?.alt)).toEqual(['Photo 2', 'Photo 1']);
    expect(images[0]?.getAttribute('loading')).toBe('lazy');
    expect(images[0]?.getAttribute('width')).toBe('320');
    expect(images[0]?.getAttribute('height')).toBe('240');
  });

  it('orders by the date each photo shows, newest first, and says whether it was taken or imported', async () => {
    const panel = await photosPanel();
    const { fake, patient, target } = panel;
    // Imported in this order; the backend lists by import, the grid by the date shown.
    fake.addPhoto(patient.id, {
      caption: 'Old scan',
      taken_at: '2024-11-20T09:00:00',
      imported_at: '2025-05-06T10:00:00Z',
    });
    fake.addPhoto(patient.id, { caption: 'From the desk', imported_at: '2025-05-04T10:00:00Z' });
    fake.addPhoto(patient.id, {
      caption: 'Heel',
      taken_at: '2025-05-03T18:00:00',
      imported_at: '2025-05-05T10:00:00Z',
    });
    byTestId(target, 'photo-bin-toggle').click();
    await settle();
    byTestId(target, 'photo-bin-toggle').click();
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(3));
    const tiles = allByTestId(target, 'photo-thumb');
    expect(tiles.map((b) => b.querySelector('img')?.alt)).toEqual([
      'From the desk',
      'Heel',
      'Old scan',
    ]);
    expect(allByTestId(target, 'photo-date').map((d) => d.textContent?.trim())).toEqual([
      'Imported 4 May 2025',
      'Taken 3 May 2025',
      'Taken 20 Nov 2024',
    ]);
    // The viewer steps through them in the same order.
    tiles[0]?.click();
    await until(() => byTestId(document.body, 'photo-viewer'));
    expect(document.getElementById('photo-viewer-title')?.textContent?.trim()).toBe('Photo 1 of 3');
    expect(byTestId(document.body, 'photo-viewer').textContent).toContain('From the desk');
  });

  it('moves with the arrow keys, opens with Enter, and the viewer follows the arrows', async () => {
    const { target } = await withPhotos(3);
    const thumbs = allByTestId<HTMLButtonElement>(target, 'photo-thumb');
    expect(thumbs.map((b) => b.tabIndex)).toEqual([0, -1, -1]);
    thumbs[0]?.focus();
    press(thumbs[0]!, 'ArrowRight');
    expect(document.activeElement).toBe(thumbs[1]);
    expect(thumbs.map((b) => b.tabIndex)).toEqual([-1, 0, -1]);
    press(thumbs[1]!, 'End');
    expect(document.activeElement).toBe(thumbs[2]);
    press(thumbs[2]!, 'Home');
    expect(document.activeElement).toBe(thumbs[0]);
    press(thumbs[0]!, 'ArrowRight');

    press(thumbs[1]!, 'Enter');
    await settle();
    const viewer = byTestId(document.body, 'photo-viewer');
    expect(title()).toBe('Photo 2 of 3');
    expect(byTestId<HTMLImageElement>(viewer, 'photo-viewer-image').alt).toBe('Photo 2');
    expect(document.activeElement).toBe(byTestId(viewer, 'photo-viewer-close'));

    press(document.activeElement!, 'ArrowRight');
    expect(title()).toBe('Photo 3 of 3');
    expect(byTestId<HTMLImageElement>(viewer, 'photo-viewer-image').alt).toBe('Photo 1');
    press(document.activeElement!, 'ArrowRight');
    expect(title()).toBe('Photo 1 of 3');
    press(document.activeElement!, 'ArrowLeft');
    expect(title()).toBe('Photo 3 of 3');

    // Tab wraps inside the dialog.
    const buttons = [...viewer.querySelectorAll<HTMLButtonElement>('button:not([disabled])')];
    buttons[buttons.length - 1]?.focus();
    press(buttons[buttons.length - 1]!, 'Tab');
    expect(document.activeElement).toBe(buttons[0]);
    press(buttons[0]!, 'Tab', { shiftKey: true });
    expect(document.activeElement).toBe(buttons[buttons.length - 1]);

    // Escape closes and puts the focus on the photo last shown.
    press(document.activeElement!, 'Escape');
    await settle();
    expect(document.querySelector('[data-testid="photo-viewer"]')).toBeNull();
    const last = allByTestId<HTMLButtonElement>(target, 'photo-thumb')[2];
    expect(document.activeElement).toBe(last);
  });

  it('edits the caption, changes the privacy, and moves to the bin after confirming', async () => {
    const { target, fake } = await withPhotos(2);
    allByTestId(target, 'photo-thumb')[0]?.click();
    await settle();
    const viewer = byTestId(document.body, 'photo-viewer');

    byTestId(viewer, 'photo-caption-edit').click();
    await settle();
    const field = byTestId<HTMLInputElement>(viewer, 'photo-caption-field');
    expect(document.activeElement).toBe(field);
    // Arrow keys in the caption field move the cursor, not the photo.
    press(field, 'ArrowLeft');
    expect(title()).toBe('Photo 1 of 2');
    field.value = 'Left heel, day 3';
    field.dispatchEvent(new Event('input', { bubbles: true }));
    byTestId(viewer, 'photo-caption-save').click();
    await settle();
    expect(byTestId(viewer, 'photo-viewer-caption').textContent).toBe('Left heel, day 3');
    expect(allByTestId(target, 'photo-thumb')[0]?.querySelector('img')?.alt).toBe(
      'Left heel, day 3',
    );

    byTestId(viewer, 'photo-privacy-toggle').click();
    await settle();
    expect(byTestId(viewer, 'photo-viewer-privacy').textContent).toContain('Private to ana');

    byTestId(viewer, 'photo-delete').click();
    await settle();
    expect(fake.calls).not.toContain('photo_delete');
    expect(document.activeElement).toBe(byTestId(viewer, 'photo-delete-cancel'));
    byTestId(viewer, 'photo-delete-confirm').click();
    await settle();
    expect(fake.calls).toContain('photo_delete');
    expect(allByTestId(target, 'photo-thumb')).toHaveLength(1);
    expect(title()).toBe('Photo 1 of 1');
    press(document.activeElement!, 'Escape');
    await settle();

    byTestId(target, 'photo-bin-toggle').click();
    await until(() => expect(allByTestId(target, 'photo-binned')).toHaveLength(1));
    byTestId(target, 'photo-restore').click();
    await until(() => byTestId(target, 'photos-empty'));
    byTestId(target, 'photo-bin-toggle').click();
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(2));
  });

  it('shows the backend refusal when the photos may not be listed', async () => {
    const context = await signedIn('rui');
    const patient = await patientIn(context.fake);
    context.fake.photoList = () =>
      Promise.reject({ code: 'denied', message: 'clinician may not see photos' });
    const rendered = render(
      PhotosPanel,
      { patient, batch: new PhotoImportBatch(), onwrite: () => {} },
      context,
    );
    await until(() =>
      expect(byTestId(rendered.target, 'photo-load-error').textContent).toContain(
        'clinician may not see photos',
      ),
    );
  });
});

describe('narratives about photos, from the chart', () => {
  it('writes a narrative about a photo and opens the photo from the narrative', async () => {
    const context = await signedIn('ana');
    const patient = await patientIn(context.fake);
    const photo = context.fake.addPhoto(patient.id, { caption: 'Wound, left heel' });
    context.app.nav.screen = { name: 'patient', id: patient.id, tab: 'photos' };
    const { target, fake } = render(PatientChart, { id: patient.id }, context);
    await until(() => expect(allByTestId(target, 'photo-thumb')).toHaveLength(1));
    expect(byTestId(target, 'tab-photos').textContent).toContain('Photos');

    byTestId(target, 'photo-thumb').click();
    await settle();
    byTestId(document.body, 'photo-write-narrative').click();
    await until(() => byTestId(target, 'narrative-new-photo'));
    expect(context.app.nav.screen).toMatchObject({ tab: 'narratives' });
    const body = byTestId<HTMLTextAreaElement>(target, 'narrative-body');
    expect(document.activeElement).toBe(body);
    body.value = 'Healing well, no redness.';
    body.dispatchEvent(new Event('input', { bubbles: true }));
    byTestId(target, 'narrative-submit').click();
    await until(() => byTestId(target, 'narrative-photo'));
    expect(fake.state.narratives[0]?.photo_id).toBe(photo.id);

    byTestId(target, 'narrative-photo').click();
    await until(() => byTestId(document.body, 'photo-viewer'));
    expect(context.app.nav.screen).toMatchObject({ tab: 'photos' });
    expect(byTestId(document.body, 'photo-viewer-caption').textContent).toBe('Wound, left heel');
  });

  it('offers photos to clinical roles only', () => {
    expect(POLICY.clinician).toContain('photo.view');
    expect(POLICY.social_worker).toContain('photo.edit');
    expect(POLICY.front_desk).not.toContain('photo.view');
  });
});
