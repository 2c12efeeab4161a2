// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import DeskCamera from '../components/DeskCamera.svelte';
import type { FakeBackend } from '../testing/fakeBackend';
import {
  allByTestId,
  byTestId,
  render,
  settle,
  signedIn,
  unmountAll,
  until,
} from '../testing/screen';
import Shell from './Shell.svelte';

afterEach(unmountAll);

const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/**
 * The desk as the front desk sees it in the app (the shell gives it the camera panel), with
 * a patient who has shared `permissions`; `before` prepares the stand-in first.
 */
async function atDesk(
  permissions: Parameters<FakeBackend['accessGrant']>[0]['permissions'],
  before: (fake: FakeBackend) => void = () => {},
) {
  const context = await signedIn('ana');
  const patient = await context.fake.patientCreate({
    profile: {
      given_name: 'Zoë',
      family_name: 'Dubois',
      date_of_birth: '1984-03-09',
      status: 'active',
      medical_alerts: ['Epilepsy'],
      phone: '+33 1 23 45 67 89',
      allergies: [{ substance: 'Penicillin', severity: 'severe' }],
    },
    not_duplicate: true,
  });
  const issued = await context.fake.accessGrant({ patient: patient.id, permissions, hours: 4 });
  await context.app.session.unlock('eva', 'front desk secret');
  before(context.fake);
  context.app.nav.go({ name: 'desk' });
  const rendered = render(Shell, {}, context);
  await until(() => byTestId(rendered.target, 'desk-camera'));
  await settle();
  return { ...rendered, patient, issued };
}

/** Picks `file` in the panel's hidden file input, as the system's file dialog does. */
function choose(target: HTMLElement, file: File) {
  const input = byTestId<HTMLInputElement>(target, 'camera-file-input');
  Object.defineProperty(input, 'files', { value: [file], configurable: true });
  input.dispatchEvent(new Event('change', { bubbles: true }));
}

const png = () =>
  new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])], 'card.png', {
    type: 'image/png',
  });

describe('the desk camera', () => {
  it('opens the grant whose QR the camera finds, with only its sections, and stops', async () => {
    const { target, issued, fake } = await atDesk(['emergency']);
    fake.state.scanText = issued.card.token;
    const panel = byTestId(target, 'desk-camera');
    expect(byTestId<HTMLSelectElement>(panel, 'camera-select').value).toBe('camera:0');
    expect(text(byTestId(panel, 'camera-select'))).toBe('Stand-in camera');
    expect(byTestId(panel, 'camera-status').getAttribute('aria-live')).toBe('polite');
    const toggle = byTestId<HTMLButtonElement>(panel, 'camera-toggle');
    expect(text(toggle)).toBe('Start camera');

    toggle.click();
    await settle(1);
    expect(fake.calls).toContain('scan_start');
    expect(text(byTestId(target, 'camera-status'))).toBe('Looking for a QR code…');

    await until(() => byTestId(target, 'shared-view'));
    expect(fake.calls).toContain('access_open_token');
    expect(text(byTestId(target, 'screen-shared'))).toBe('Zoë Dubois');
    expect(text(byTestId(target, 'medical-alerts'))).toBe('Epilepsy');
    for (const absent of ['shared-profile', 'shared-medications', 'allergies', 'desk-camera']) {
      expect(target.querySelector(`[data-testid="${absent}"]`), absent).toBeNull();
    }
    expect(text(target)).not.toContain('+33 1 23 45 67 89');
    expect(fake.state.scanning).toBeNull();
    expect(document.activeElement).toBe(byTestId(target, 'screen-shared'));
  });

  it('draws the preview and stops when asked', async () => {
    const { target, fake } = await atDesk(['emergency']);
    const toggle = byTestId<HTMLButtonElement>(target, 'camera-toggle');
    toggle.click();
    await until(() => expect(byTestId(target, 'camera-preview').hidden).toBe(false));
    expect(fake.state.scanning).toBe('camera:0');
    expect(text(toggle)).toBe('Stop camera');
    expect(byTestId<HTMLSelectElement>(target, 'camera-select').disabled).toBe(true);

    toggle.click();
    await settle();
    expect(fake.calls).toContain('scan_stop');
    expect(fake.state.scanning).toBeNull();
    expect(text(toggle)).toBe('Start camera');
    expect(text(byTestId(target, 'camera-status'))).toBe('Camera stopped.');
    expect(byTestId(target, 'camera-preview').hidden).toBe(true);
  });

  it('says a revoked grant’s QR found by the camera was revoked, as for a typed one', async () => {
    const { target, issued, fake } = await atDesk(['emergency']);
    await fake.sessionUnlock({ username: 'ana', password: 'correct horse battery' });
    await fake.accessRevoke({ grant_id: issued.grant.id });
    await fake.sessionUnlock({ username: 'eva', password: 'front desk secret' });
    fake.state.scanText = issued.card.token;

    byTestId(target, 'camera-toggle').click();
    await until(() => expect(text(byTestId(target, 'desk-error'))).toBe('This code was revoked.'));
    expect(target.querySelector('[data-testid="shared-view"]')).toBeNull();
    expect(text(byTestId(target, 'camera-status'))).toBe('QR code found.');
    expect(text(byTestId(target, 'camera-toggle'))).toBe('Start camera');
    expect(fake.state.scanning).toBeNull();
  });

  it('says in words why the camera stopped by itself', async () => {
    const { target, fake } = await atDesk(['emergency'], (f) => {
      f.state.scanFailure = 'The camera is in use by another program.';
    });
    byTestId(target, 'camera-toggle').click();
    await until(() =>
      expect(text(byTestId(target, 'camera-status'))).toBe(
        'The camera is in use by another program.',
      ),
    );
    expect(text(byTestId(target, 'camera-toggle'))).toBe('Start camera');
    expect(fake.state.scanning).toBeNull();
  });

  it('without a camera, says so and still opens an image', async () => {
    const { target, issued, fake } = await atDesk(['emergency'], (f) => {
      f.state.cameras = [];
    });
    expect(text(byTestId(target, 'camera-status'))).toBe(
      'No camera found. Open an image or type the code.',
    );
    for (const absent of ['camera-select', 'camera-toggle', 'camera-preview']) {
      expect(target.querySelector(`[data-testid="${absent}"]`), absent).toBeNull();
    }
    const button = byTestId<HTMLButtonElement>(target, 'camera-open-image');
    expect(button.tagName).toBe('BUTTON');
    expect(byTestId<HTMLInputElement>(target, 'camera-file-input').accept).toBe(
      'image/png,image/jpeg',
    );

    fake.state.imageTexts = ['https://example.org/menu', issued.card.token];
    choose(target, png());
    await until(() => byTestId(target, 'shared-view'));
    expect(fake.calls).toContain('access_scan_image');
    expect(text(byTestId(target, 'screen-shared'))).toBe('Zoë Dubois');
  });

  it('says when an image holds no QR code', async () => {
    const { target, fake } = await atDesk(['emergency']);
    fake.state.imageTexts = [];
    choose(target, png());
    await until(() =>
      expect(text(byTestId(target, 'camera-status'))).toBe('No QR code was found in this image.'),
    );
    expect(fake.calls).toContain('access_scan_image');
    expect(fake.calls).not.toContain('access_open_token');
    expect(target.querySelector('[data-testid="shared-view"]')).toBeNull();
  });

  it('stops the scan when the panel goes', async () => {
    const context = await signedIn('eva');
    const { target, fake, destroy } = render(DeskCamera, { open: async () => {} }, context);
    await until(() => byTestId(target, 'camera-toggle'));
    byTestId(target, 'camera-toggle').click();
    await until(() => expect(fake.state.scanning).toBe('camera:0'));
    await settle();
    const stops = () => fake.calls.filter((c) => c === 'scan_stop').length;
    expect(stops()).toBe(0);

    destroy();
    await settle();
    expect(stops()).toBe(1);
    expect(fake.state.scanning).toBeNull();
  });

  it('stops a scan that was still starting when the panel went', async () => {
    const context = await signedIn('eva');
    const { target, fake, destroy } = render(DeskCamera, { open: async () => {} }, context);
    await until(() => byTestId(target, 'camera-toggle'));
    byTestId(target, 'camera-toggle').click();
    destroy();
    await settle();
    expect(fake.calls.filter((c) => c === 'scan_stop').length).toBeGreaterThan(0);
    expect(fake.calls.lastIndexOf('scan_stop')).toBeGreaterThan(fake.calls.indexOf('scan_start'));
    expect(fake.state.scanning).toBeNull();
  });

  it('stops the scan when the front desk goes to another screen', async () => {
    const { target, fake, app } = await atDesk(['emergency']);
    byTestId(target, 'camera-toggle').click();
    await until(() => expect(fake.state.scanning).toBe('camera:0'));
    app.nav.go({ name: 'patients' });
    await settle();
    expect(allByTestId(target, 'desk-camera')).toHaveLength(0);
    expect(fake.state.scanning).toBeNull();
    expect(fake.calls).toContain('scan_stop');
  });
});
