// @vitest-environment happy-dom
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import App from './App.svelte';
import { language } from './lib/stores/language.svelte';
import { createFakeBackend, type FakeBackend } from './lib/testing/fakeBackend';
import { USERS } from './lib/testing/render';
import { byTestId, settle, typeInto, until } from './lib/testing/screen';

const LEA = {
  username: 'lea',
  password: 'first password',
  role: 'clinician',
  display_name: 'Léa Martin',
  must_change_password: true,
} as const;
const OWN = 'my very own password';

// The signed-in screens are loaded on demand (see App.svelte); compiled once here, so the
// app's own import of them resolves as quickly as a built app's does.
beforeAll(async () => {
  await import('./lib/screens/Shell.svelte');
}, 60_000);

let destroy: (() => void) | null = null;
afterEach(() => {
  destroy?.();
  destroy = null;
  language.set('en');
});

/** The whole app over a stand-in with ana, rui, eva and Léa (whose password ana chose). */
async function app(): Promise<{ target: HTMLElement; fake: FakeBackend }> {
  const fake = createFakeBackend({ users: [...structuredClone(USERS), { ...LEA }] });
  const target = document.createElement('div');
  document.body.appendChild(target);
  const instance = mount(App, { target, props: { backend: fake } });
  flushSync();
  destroy = () => {
    void unmount(instance);
    target.remove();
  };
  await until(() => byTestId(target, 'screen-unlock'));
  return { target, fake };
}

async function signIn(target: HTMLElement, username: string, password: string) {
  await until(() => byTestId(target, 'screen-unlock'));
  typeInto(target, 'unlock-username', username);
  typeInto(target, 'unlock-password', password);
  byTestId(target, 'unlock-submit').click();
  await settle();
}

const absent = (root: ParentNode, testid: string) =>
  root.querySelector(`[data-testid="${testid}"]`) === null;

/** The text of an element as read: runs of white space as one space. */
const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

/** Fills the password form (the current one, the new one twice) and sends it. */
async function choose(target: HTMLElement, current: string, next: string, repeat = next) {
  typeInto(target, 'password-current', current);
  typeInto(target, 'password-new', next);
  typeInto(target, 'password-repeat', repeat);
  byTestId(target, 'password-submit').click();
  await settle();
}

describe('a password an admin chose', () => {
  it('is replaced before anything else: a calm screen first, then the app', async () => {
    const { target, fake } = await app();
    await signIn(target, 'lea', LEA.password);
    await until(() => byTestId(target, 'screen-choose-password'));

    const screen = byTestId(target, 'choose-password');
    expect(text(screen)).toContain('An administrator set the password you just signed in with.');
    expect(text(screen)).toContain('choose your own');
    expect(absent(target, 'nav-patients')).toBe(true);
    expect(document.activeElement?.id).toBe('password-current');
    expect(target.querySelector('label[for="password-current"]')?.textContent).toContain(
      'Password you were given',
    );

    await choose(target, LEA.password, OWN);
    await until(() => byTestId(target, 'screen-patients'));
    expect(absent(target, 'screen-choose-password')).toBe(true);
    expect(text(byTestId(target, 'patients-notice'))).toContain(
      'Your own password is set. Use it from now on.',
    );
    await until(() => expect(document.activeElement).toBe(byTestId(target, 'screen-patients')));
    expect(fake.state.session?.must_change_password).toBe(false);
    expect(fake.state.staff.find((a) => a.username === 'lea')?.must_change_password).toBe(false);

    // From now on, her own password opens the app directly.
    byTestId(target, 'sign-out-button').click();
    await signIn(target, 'lea', OWN);
    await until(() => byTestId(target, 'screen-patients'));
  });

  it('says in words that the password given is not the one typed, then that the account is paused', async () => {
    const { target, fake } = await app();
    await signIn(target, 'lea', LEA.password);
    await until(() => byTestId(target, 'screen-choose-password'));

    await choose(target, 'not what I was given', OWN);
    const field = byTestId<HTMLInputElement>(target, 'password-current');
    await until(() => expect(field.getAttribute('aria-invalid')).toBe('true'));
    expect(target.querySelector('#password-current-error')?.textContent).toBe(
      'This is not your current password. After several wrong tries, signing in with this account is paused for a while.',
    );
    expect(text(target)).not.toContain('current password: is not');
    expect(field.value).toBe('');
    expect(document.activeElement).toBe(field);
    // The new password is kept for the next try; the refusal goes once the field changes.
    expect(byTestId<HTMLInputElement>(target, 'password-new').value).toBe(OWN);
    typeInto(target, 'password-current', 'x');
    await settle();
    expect(target.querySelector('#password-current-error')).toBeNull();

    for (let i = 0; i < 4; i++) await choose(target, `wrong guess ${i}`, OWN);
    await choose(target, LEA.password, OWN);
    const alert = byTestId(target, 'password-error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(text(alert)).toBe(
      'The password was not changed. There were too many wrong passwords for this account. You can try again in 30 seconds.',
    );
    expect(fake.state.session?.must_change_password).toBe(true);
    expect(absent(target, 'nav-patients')).toBe(true);
  });

  it('is asked for whenever a command answers that the password must be changed first', async () => {
    const { target, fake } = await app();
    await signIn(target, 'ana', 'correct horse battery');
    await until(() => byTestId(target, 'screen-patients'));
    // Say the backend's session now wants a new password: the next command is refused.
    const open = fake.state.session;
    if (!open) throw new Error('signed in');
    fake.state.session = { ...open, must_change_password: true };
    byTestId(target, 'nav-staff').click();
    await until(() => byTestId(target, 'screen-choose-password'));
    expect(absent(target, 'nav-staff')).toBe(true);
  });

  it('can be left by signing out', async () => {
    const { target, fake } = await app();
    await signIn(target, 'lea', LEA.password);
    await until(() => byTestId(target, 'screen-choose-password'));
    byTestId(target, 'choose-password-sign-out').click();
    await until(() => byTestId(target, 'unlock-signed-out'));
    expect(fake.state.session).toBeNull();
    expect(byTestId<HTMLInputElement>(target, 'unlock-username').value).toBe('');
  });
});

describe('unsaved forms on a shared computer', () => {
  it('are kept for their author while someone else signs in, who never sees them', async () => {
    const { target } = await app();
    await signIn(target, 'rui', 'another long secret');
    await until(() => byTestId(target, 'new-patient-button'));
    byTestId(target, 'new-patient-button').click();
    await until(() => byTestId(target, 'field-given_name'));
    typeInto(target, 'field-given_name', 'Rosa');
    await settle();
    byTestId(target, 'lock-button').click();

    await until(() => byTestId(target, 'unlock-drafts-kept'));
    expect(text(byTestId(target, 'unlock-drafts-kept'))).toBe(
      'An unsaved form by rui is kept until they sign in again.',
    );

    await signIn(target, 'ana', 'correct horse battery');
    await until(() => byTestId(target, 'new-patient-button'));
    byTestId(target, 'new-patient-button').click();
    await until(() => byTestId(target, 'field-given_name'));
    expect(byTestId<HTMLInputElement>(target, 'field-given_name').value).toBe('');
    typeInto(target, 'field-given_name', 'Zoë');
    await settle();
    byTestId(target, 'lock-button').click();

    // Both are kept, each for its author; the sign-in screen's promise holds for each.
    await until(() => byTestId(target, 'unlock-drafts-kept'));
    expect(
      [...byTestId(target, 'unlock-drafts-kept').querySelectorAll('p')].map((p) => text(p)),
    ).toEqual([
      'An unsaved form by ana is kept until they sign in again.',
      'An unsaved form by rui is kept until they sign in again.',
    ]);

    await signIn(target, 'rui', 'another long secret');
    await until(() => byTestId(target, 'new-patient-button'));
    byTestId(target, 'new-patient-button').click();
    await until(() => byTestId(target, 'field-given_name'));
    expect(byTestId<HTMLInputElement>(target, 'field-given_name').value).toBe('Rosa');
  });
});
