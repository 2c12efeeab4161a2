// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';

import { byTestId, render, settle, signedIn, until, type Rendered } from '../testing/render';
import { typeInto } from '../testing/screen';
import Settings from './Settings.svelte';
import Shell from './Shell.svelte';

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

describe('settings: my password', () => {
  it('is changed from the shell, for any role, the current one proven first', async () => {
    rendered = render(Shell, {}, await signedIn('eva'));
    const { target, fake } = rendered;
    byTestId(target, 'nav-settings').click();
    await until(() => byTestId(target, 'settings-password-form'));
    const form = byTestId(target, 'settings-password-form');
    expect(form.closest('section')?.querySelector('h2')?.textContent).toBe('Your password');
    expect(target.querySelector('label[for="password-current"]')?.textContent).toContain(
      'Current password',
    );

    const fill = (current: string, next: string) => {
      typeInto(form, 'password-current', current);
      typeInto(form, 'password-new', next);
      typeInto(form, 'password-repeat', next);
      byTestId(form, 'password-submit').click();
    };

    // The same password again is not a change.
    fill('front desk secret', 'front desk secret');
    await settle();
    expect(form.querySelector('#password-new-error')?.textContent).toBe(
      'Choose a password different from the current one.',
    );
    expect(fake.calls).not.toContain('session_change_password');

    fill('not my password', 'a fresh desk password');
    await until(() => expect(form.querySelector('#password-current-error')).not.toBeNull());
    expect(form.querySelector('#password-current-error')?.textContent).toContain(
      'This is not your current password.',
    );

    fill('front desk secret', 'a fresh desk password');
    await until(() => byTestId(form, 'password-changed'));
    expect(byTestId(form, 'password-changed').textContent?.trim()).toBe(
      'Your password was changed. Use the new one from your next sign-in.',
    );
    expect(document.activeElement).toBe(byTestId(form, 'password-changed'));
    expect(byTestId<HTMLInputElement>(form, 'password-current').value).toBe('');
    expect(byTestId<HTMLInputElement>(form, 'password-new').value).toBe('');
    expect(fake.state.users.find((u) => u.username === 'eva')?.password).toBe(
      'a fresh desk password',
    );
    // Still signed in, with everything the role allows.
    expect(rendered.app.session.info?.permissions).toContain('patient.search');
  });
});
