// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, render, settle, signedIn, until, type Rendered } from '../testing/render';
import Settings from './Settings.svelte';

let rendered: Rendered | null = null;
afterEach(() => {
  rendered?.destroy();
  rendered = null;
});

describe('settings: photo locations', () => {
  it('lets an admin keep photo locations, off by default', async () => {
    rendered = render(Settings, {}, await signedIn('ana'));
    const { target, fake } = rendered;
    const box = byTestId<HTMLInputElement>(target, 'settings-keep-location');
    expect(box.type).toBe('checkbox');
    expect(box.checked).toBe(false);
    const label = target.querySelector(`label[for="${box.id}"]`);
    expect(label?.textContent).toBe('Keep photo locations (GPS) in the record');

    box.click();
    await settle();
    byTestId(target, 'settings-save').click();
    await until(() => expect(target.querySelector('.alert-success')).not.toBeNull());
    expect(fake.state.settings.keep_photo_location).toBe(true);
    expect(fake.state.settings.auto_lock_minutes).toBe(5);
    expect(rendered.app.session.settings?.keep_photo_location).toBe(true);
  });

  it('shows other roles what is kept, without the checkbox', async () => {
    const context = await signedIn('rui');
    context.fake.state.settings.keep_photo_location = true;
    await context.app.session.load();
    rendered = render(Settings, {}, context);
    expect(rendered.target.querySelector('[data-testid="settings-keep-location"]')).toBeNull();
    expect(byTestId(rendered.target, 'settings-keep-location-readonly').textContent).toContain(
      'are kept in the record',
    );
  });
});
