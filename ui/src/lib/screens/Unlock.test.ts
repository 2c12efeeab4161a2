// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { ApiError } from '../backend';
import { language } from '../stores/language.svelte';
import {
  byTestId,
  press,
  render,
  settle,
  signedIn,
  typeInto,
  unmountAll,
  until,
} from '../testing/screen';
import Unlock from './Unlock.svelte';

afterEach(() => {
  unmountAll();
  vi.useRealTimers();
  language.set('en');
});

const PASSPHRASE = 'a long backup passphrase';
const PASSWORD = 'correct horse battery';

/**
 * The sign-in screen after ana signed out, over a vault whose files then failed their
 * check; with a good backup of it, made before, on /media/usb.
 */
async function damagedVault() {
  const context = await signedIn('ana');
  const backup = await context.fake.backupCreate({
    destination: '/media/usb',
    passphrase: PASSPHRASE,
    recipient: null,
    full: false,
    on_progress: () => {},
  });
  await context.app.session.lock();
  context.fake.state.vaultDamaged = true;
  const rendered = render(Unlock, {}, context);
  return { ...rendered, file: backup.file ?? '' };
}

/** Signs in with `password` (the user name is the one offered: ana). */
async function signIn(target: HTMLElement, password: string) {
  typeInto(target, 'unlock-password', password);
  byTestId(target, 'unlock-submit').click();
  await until(() => byTestId(target, 'unlock-error'));
}

const absent = (root: ParentNode, testid: string) =>
  root.querySelector(`[data-testid="${testid}"]`) === null;

describe('signing in to a damaged vault', () => {
  it('explains a vault that failed its check and offers a restore, not for a wrong password', async () => {
    const { target } = await damagedVault();

    await signIn(target, 'not my password');
    expect(byTestId(target, 'unlock-error').textContent).toContain('Sign-in refused.');
    expect(absent(target, 'unlock-damaged')).toBe(true);
    expect(absent(target, 'unlock-restore-damaged')).toBe(true);

    await signIn(target, PASSWORD);
    await until(() => byTestId(target, 'unlock-damaged'));
    expect(byTestId(target, 'unlock-error').textContent).toContain(
      'The vault failed an integrity check.',
    );
    expect(byTestId(target, 'unlock-damaged').textContent).toContain('Nothing has been changed.');
    expect(byTestId(target, 'unlock-restore-damaged').textContent?.trim()).toBe(
      'Restore from a backup…',
    );
  });

  it('opens the restore dialog on the backup file, the user name offered; Escape closes it', async () => {
    const { target } = await damagedVault();
    await signIn(target, PASSWORD);
    await until(() => byTestId(target, 'unlock-restore-damaged'));

    const button = byTestId(target, 'unlock-restore-damaged');
    button.click();
    await settle();
    const dialog = byTestId(target, 'backup-restore-dialog');
    expect(byTestId<HTMLInputElement>(dialog, 'restore-username').value).toBe('ana');
    expect(dialog.querySelector('label[for="backup-restore-username"]')?.textContent).toContain(
      'User name',
    );
    expect(byTestId<HTMLInputElement>(dialog, 'backup-restore-file').value).toBe('');
    expect(document.activeElement?.id).toBe('backup-restore-file');

    press(dialog, 'Escape');
    await settle();
    expect(absent(target, 'backup-restore-dialog')).toBe(true);
    expect(document.activeElement).toBe(button);
  });

  it('checks then restores signed out as the named user, then tells the outcome', async () => {
    const { target, fake, app, file } = await damagedVault();
    await signIn(target, PASSWORD);
    await until(() => byTestId(target, 'unlock-restore-damaged'));
    byTestId(target, 'unlock-restore-damaged').click();
    await settle();
    const dialog = byTestId(target, 'backup-restore-dialog');
    const restore = vi.spyOn(fake, 'backupRestore');

    // Nothing is sent without a user name to act as.
    typeInto(dialog, 'backup-restore-file', file);
    typeInto(dialog, 'backup-restore-passphrase', PASSPHRASE);
    typeInto(dialog, 'backup-restore-password', PASSWORD);
    typeInto(dialog, 'restore-username', ' ');
    byTestId(dialog, 'backup-restore-check').click();
    await settle();
    expect(dialog.querySelector('#backup-restore-username-error')?.textContent).toBe(
      'Type the user name.',
    );
    expect(restore).not.toHaveBeenCalled();

    typeInto(dialog, 'restore-username', 'ana');
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-report'));
    // The damaged vault cannot be read: no comparison is claimed.
    expect(byTestId(dialog, 'backup-restore-unreadable').textContent).toContain(
      'The current vault cannot be read',
    );
    expect(byTestId(dialog, 'backup-restore-confirm').textContent?.trim()).toBe(
      'Restore the vault',
    );

    typeInto(dialog, 'backup-restore-override-reason', 'The vault was damaged.');
    byTestId(dialog, 'backup-restore-confirm').click();
    await until(() => byTestId(target, 'unlock-restored'));
    expect(restore.mock.calls.map(([args]) => [args.username, args.dry_run])).toEqual([
      ['ana', true],
      ['ana', false],
    ]);
    expect(byTestId(target, 'unlock-restored').textContent).toMatch(
      /The backup taken .* by ana was restored/,
    );
    expect(byTestId(target, 'unlock-restored-erasures-unknown').textContent).toContain(
      'erase them again by hand',
    );
    expect(absent(target, 'backup-restore-dialog')).toBe(true);
    expect(absent(target, 'unlock-error')).toBe(true);
    expect(document.activeElement).toBe(byTestId(target, 'screen-unlock'));

    // The restored vault opens.
    typeInto(target, 'unlock-password', PASSWORD);
    byTestId(target, 'unlock-submit').click();
    await until(() => expect(app.session.phase).toBe('open'));
  });

  it('asks why restore over a vault that cannot be read, and sends the reason', async () => {
    const { target, fake, file } = await damagedVault();
    await signIn(target, PASSWORD);
    await until(() => byTestId(target, 'unlock-restore-damaged'));
    byTestId(target, 'unlock-restore-damaged').click();
    await settle();
    const dialog = byTestId(target, 'backup-restore-dialog');
    const restore = vi.spyOn(fake, 'backupRestore');

    typeInto(dialog, 'backup-restore-file', file);
    typeInto(dialog, 'backup-restore-passphrase', PASSPHRASE);
    typeInto(dialog, 'backup-restore-password', PASSWORD);
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-report'));
    // Who was erased since the backup is unknown: said plainly, and a reason is asked.
    expect(byTestId(dialog, 'backup-restore-erasures-unknown').textContent).toContain(
      'erase them again by hand after the restore',
    );
    expect(absent(dialog, 'backup-restore-erasures')).toBe(true);
    const field = byTestId<HTMLTextAreaElement>(dialog, 'backup-restore-override-reason');
    expect(field.id).toBe('backup-restore-override-reason');
    expect(dialog.querySelector(`label[for="${field.id}"]`)?.textContent).toContain(
      'Why restore anyway?',
    );
    expect(field.required).toBe(true);

    // Blank (or only spaces), nothing is sent: the field says why and takes the keyboard.
    typeInto(dialog, 'backup-restore-override-reason', '   ');
    byTestId(dialog, 'backup-restore-confirm').click();
    await settle();
    expect(restore.mock.calls.map(([args]) => args.dry_run)).toEqual([true]);
    expect(dialog.querySelector('#backup-restore-override-reason-error')?.textContent).toBe(
      'Say why the vault should be restored anyway.',
    );
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toContain(
      'backup-restore-override-reason-error',
    );
    expect(document.activeElement).toBe(field);
    expect(fake.state.vaultDamaged).toBe(true);

    // Should the backend still refuse the reason, its word goes on the field, the dialog
    // stays and nothing was restored.
    typeInto(dialog, 'backup-restore-override-reason', 'Damaged disk; nobody erased since.');
    expect(absent(dialog, 'backup-restore-override-reason-error')).toBe(true);
    restore.mockRejectedValueOnce({
      code: 'invalid',
      field: 'override_reason',
      message: 'give a reason to restore anyway',
    });
    byTestId(dialog, 'backup-restore-confirm').click();
    await until(() =>
      expect(dialog.querySelector('#backup-restore-override-reason-error')?.textContent).toBe(
        'give a reason to restore anyway',
      ),
    );
    expect(byTestId(target, 'backup-restore-dialog')).toBe(dialog);
    expect(absent(target, 'unlock-restore-failed')).toBe(true);
    expect(document.activeElement).toBe(field);

    byTestId(dialog, 'backup-restore-confirm').click();
    await until(() => byTestId(target, 'unlock-restored'));
    const [, refused, done] = restore.mock.calls.map(([args]) => args);
    expect(refused).toMatchObject({ dry_run: false });
    expect(done).toMatchObject({
      dry_run: false,
      username: 'ana',
      override_reason: 'Damaged disk; nobody erased since.',
    });
    expect(fake.state.vaultDamaged).toBe(false);
  });

  it('refuses, like the backend, a restore over an unreadable vault with no reason', async () => {
    const { fake, file } = await damagedVault();
    const args = {
      file,
      passphrase: PASSPHRASE,
      username: 'ana',
      password: PASSWORD,
      dry_run: false,
    };
    await expect(fake.backupRestore(args)).rejects.toMatchObject({
      code: 'invalid',
      field: 'override_reason',
    });
    await expect(fake.backupRestore({ ...args, override_reason: ' ' })).rejects.toMatchObject({
      field: 'override_reason',
    });
    expect(fake.state.vaultDamaged).toBe(true);
    const report = await fake.backupRestore({ ...args, override_reason: 'damaged disk' });
    expect(report).toMatchObject({ erasures_unknown: true, erasures_reapplied: 0 });
    expect(fake.state.vaultDamaged).toBe(false);
  });
});

/** The sign-in screen after ana signed out (her user name offered), or with no name offered. */
async function signInScreen(offered: string | null = 'ana') {
  const context = await signedIn('ana');
  await context.app.session.lock();
  if (offered === null) context.app.session.lastUsername = '';
  return render(Unlock, {}, context);
}

const alertOf = (target: HTMLElement) =>
  byTestId(target, 'unlock-error').querySelector('[role="alert"]')?.textContent ?? '';
const words = (el: Element | null | undefined) =>
  (el?.textContent ?? '').replace(/\s+/g, ' ').trim();

describe('where the sign-in screen puts the cursor', () => {
  it('in the password when the user name is already filled in', async () => {
    const { target } = await signInScreen('ana');
    expect(byTestId<HTMLInputElement>(target, 'unlock-username').value).toBe('ana');
    expect(document.activeElement).toBe(byTestId(target, 'unlock-password'));
  });

  it('in the user name when none is offered, and in the field left empty at a try', async () => {
    const { target } = await signInScreen(null);
    expect(document.activeElement).toBe(byTestId(target, 'unlock-username'));

    typeInto(target, 'unlock-username', 'ana');
    byTestId(target, 'unlock-submit').click();
    await settle();
    expect(words(byTestId(target, 'unlock-error'))).toBe('Enter your user name and password.');
    expect(document.activeElement).toBe(byTestId(target, 'unlock-password'));
  });
});

describe('a locked-out account', () => {
  const lockedOut = (secs: number): ApiError => ({
    code: 'locked_out',
    message: `too many failed sign-ins: this account is locked for another ${secs} s`,
    retry_after_secs: secs,
  });

  it('shows one countdown, in words, from the wait the backend reports, then allows a new try', async () => {
    const { target, fake } = await signInScreen();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(fake, 'sessionUnlock').mockRejectedValueOnce(lockedOut(65));

    await signIn(target, 'not my password');
    const submit = byTestId<HTMLButtonElement>(target, 'unlock-submit');
    expect(alertOf(target)).toContain('Account locked for now.');
    expect(alertOf(target)).toContain('too many failed sign-ins with this user name');
    // The backend's own "65 s" is not shown: the screen's countdown is the only one.
    const error = words(byTestId(target, 'unlock-error'));
    expect(error).not.toContain('locked for another');
    expect(error).not.toMatch(/\d+ s\b/);
    expect(error.match(/\d+/g)).toEqual(['1', '5']);
    expect(words(byTestId(target, 'unlock-wait'))).toBe(
      'You can try again in 1 minute and 5 seconds.',
    );
    expect(submit.disabled).toBe(true);
    expect(submit.getAttribute('aria-describedby')).toBe('unlock-wait');

    vi.advanceTimersByTime(5_000);
    await settle();
    expect(words(byTestId(target, 'unlock-wait'))).toBe('You can try again in 1 minute.');
    vi.advanceTimersByTime(59_000);
    await settle();
    expect(words(byTestId(target, 'unlock-wait'))).toBe('You can try again in 1 second.');
    expect(submit.disabled).toBe(true);

    vi.advanceTimersByTime(1_000);
    await settle();
    expect(absent(target, 'unlock-wait')).toBe(true);
    expect(absent(target, 'unlock-error')).toBe(true);
    expect(submit.disabled).toBe(false);
    const over = byTestId(target, 'unlock-wait-over');
    expect(words(over)).toBe('You can sign in again now.');
    expect(over.parentElement?.getAttribute('aria-live')).toBe('polite');
  });

  it('counts down in French too', async () => {
    const { target, fake } = await signInScreen();
    language.set('fr');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.spyOn(fake, 'sessionUnlock').mockRejectedValueOnce(lockedOut(121));

    await signIn(target, 'pas mon mot de passe');
    expect(alertOf(target)).toContain('Compte bloqué pour le moment.');
    expect(words(byTestId(target, 'unlock-wait'))).toBe(
      'Vous pourrez réessayer dans 2 minutes et 1 seconde.',
    );
    vi.advanceTimersByTime(121_000);
    await settle();
    expect(byTestId<HTMLButtonElement>(target, 'unlock-submit').disabled).toBe(false);
    expect(words(byTestId(target, 'unlock-wait-over'))).toBe(
      'Vous pouvez de nouveau vous connecter.',
    );
  });
});

describe('sign-in refusals in plain words', () => {
  const cases: [ApiError, string, string][] = [
    [
      { code: 'bad_credentials', message: 'wrong user name or password' },
      'Sign-in refused.',
      'The user name or the password is not right.',
    ],
    [
      { code: 'internal', message: 'No such file or directory (os error 2)' },
      'Could not sign in.',
      'because of a problem on this computer',
    ],
    [
      { code: 'internal', message: 'database error: file is not a database' },
      'Could not sign in.',
      'tell your administrator',
    ],
    [
      { code: 'not_found', message: 'no vault at /home/demo/.local/share/tessera' },
      'Could not sign in.',
      'cannot find its vault',
    ],
    [
      { code: 'conflict', message: 'the vault is in use by another process' },
      'Could not sign in.',
      'in use by another Tessera window or program',
    ],
    [
      { code: 'denied', message: 'sign in as a staff member' },
      'Could not sign in.',
      'This account cannot sign in',
    ],
  ];

  it.each(cases)('says %o plainly, its text only under Details', async (refusal, title, text) => {
    const { target, fake } = await signInScreen();
    vi.spyOn(fake, 'sessionUnlock').mockRejectedValueOnce(refusal);
    await signIn(target, 'whatever it was');

    const alert = alertOf(target);
    expect(alert).toContain(title);
    expect(alert).toContain(text);
    expect(alert).not.toContain(refusal.message);
    const details = target.querySelector<HTMLDetailsElement>(
      '[data-testid="unlock-error-details"]',
    );
    if (refusal.code === 'bad_credentials') {
      // Nothing in the backend's words that the sentence does not say.
      expect(details).toBeNull();
      expect(words(byTestId(target, 'unlock-error'))).not.toContain(refusal.message);
    } else {
      expect(details?.open).toBe(false);
      expect(words(details?.querySelector('summary'))).toBe('Details for support');
      expect(words(details)).toContain(refusal.message);
    }
  });

  it('says them in French', async () => {
    const { target, fake } = await signInScreen();
    language.set('fr');
    vi.spyOn(fake, 'sessionUnlock').mockRejectedValueOnce({
      code: 'internal',
      message: 'No such file or directory (os error 2)',
    });
    await signIn(target, 'pas le bon');
    expect(alertOf(target)).toContain('Connexion impossible.');
    expect(alertOf(target)).toContain('à cause d’un problème sur cet ordinateur');
    expect(alertOf(target)).not.toContain('os error');
    expect(words(target.querySelector('[data-testid="unlock-error-details"] summary'))).toBe(
      'Détails pour l’assistance',
    );
  });
});

describe('the Caps Lock hint', () => {
  /** A key press in `field` with Caps Lock `on` or off. */
  function key(field: HTMLElement, type: 'keydown' | 'keyup', on: boolean) {
    const event = new KeyboardEvent(type, { key: 'a', bubbles: true });
    Object.defineProperty(event, 'getModifierState', {
      value: (k: string) => k === 'CapsLock' && on,
    });
    field.dispatchEvent(event);
  }

  it('says Caps Lock is on below the password field while it has the keyboard', async () => {
    const { target } = await signInScreen();
    const field = byTestId(target, 'unlock-password');
    expect(absent(target, 'unlock-capslock')).toBe(true);

    key(field, 'keydown', true);
    await settle();
    const hint = byTestId(target, 'unlock-capslock');
    expect(words(hint)).toBe('Caps Lock is on.');
    expect(hint.parentElement?.getAttribute('aria-live')).toBe('polite');
    // Below the field.
    expect(field.compareDocumentPosition(hint) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    key(field, 'keyup', false);
    await settle();
    expect(absent(target, 'unlock-capslock')).toBe(true);

    key(field, 'keyup', true);
    await settle();
    expect(absent(target, 'unlock-capslock')).toBe(false);
    field.dispatchEvent(new FocusEvent('blur'));
    await settle();
    expect(absent(target, 'unlock-capslock')).toBe(true);

    // Typing the user name says nothing of it.
    key(byTestId(target, 'unlock-username'), 'keydown', true);
    await settle();
    expect(absent(target, 'unlock-capslock')).toBe(true);
  });
});

describe('why the vault locked', () => {
  it('says the computer went to sleep, or the screen was locked', async () => {
    for (const [reason, testid, words] of [
      ['sleep', 'unlock-locked-sleep', 'when the computer went to sleep'],
      ['screen_lock', 'unlock-locked-screen', 'when the screen was locked'],
    ] as const) {
      const context = await signedIn('ana');
      await context.app.session.listen();
      context.fake.emitLocked(reason);
      const { target } = render(Unlock, {}, context);
      await settle();
      expect(byTestId(target, testid).textContent).toContain(words);
      unmountAll();
    }
  });
});

describe('setting an admin password with the recovery key', () => {
  const NEW_PASSWORD = 'a brand new password';

  /** The sign-in screen with nobody's name offered, the recovery flow opened from it. */
  async function recovery() {
    const rendered = await signInScreen(null);
    const open = byTestId(rendered.target, 'unlock-recovery');
    expect(words(open)).toBe('Forgot the admin password? Use the recovery key');
    open.focus();
    open.click();
    await settle();
    return rendered;
  }

  /** Types `key` and goes on to the admins. */
  async function useKey(target: HTMLElement, key: string) {
    typeInto(target, 'recover-key', key);
    byTestId(target, 'recover-key-submit').click();
    await settle();
  }

  it('says a wrong key does not open this vault, in words, at the key', async () => {
    const { target, fake } = await recovery();
    expect(byTestId(target, 'screen-recover').textContent).toBe(
      'Set an admin password with the recovery key',
    );
    expect(absent(target, 'screen-unlock')).toBe(true);
    expect(document.activeElement?.id).toBe('recover-key');

    // Nothing is sent without a key.
    byTestId(target, 'recover-key-submit').click();
    await settle();
    expect(target.querySelector('#recover-key-error')?.textContent).toBe('This is required.');
    expect(fake.calls).not.toContain('recovery_admins');

    await useKey(target, 'AAAAA-BBBBB-CCCCC');
    await until(() => expect(target.querySelector('#recover-key-error')).not.toBeNull());
    expect(target.querySelector('#recover-key-error')?.textContent).toBe(
      'This recovery key does not open this vault. Check each group against the printed sheet.',
    );
    expect(words(target)).not.toContain('wrong recovery key');
    expect(document.activeElement?.id).toBe('recover-key');
    expect(absent(target, 'recover-admin')).toBe(true);
  });

  it('chooses the only admin, sets the password, and signs in as them from the sign-in form', async () => {
    const { target, fake, app } = await recovery();
    // Typed as read off the sheet: lower case, spaces for dashes.
    await useKey(target, fake.state.recoveryKey.toLowerCase().replace(/-/g, ' '));
    await until(() => byTestId(target, 'recover-admin'));
    const admin = byTestId<HTMLInputElement>(target, 'recover-admin');
    expect(admin.checked).toBe(true);
    expect(admin.dataset.username).toBe('ana');
    expect(words(target.querySelector(`label[for="${admin.id}"]`))).toBe('ana (ana)');
    expect(document.activeElement?.id).toBe('recover-password');

    typeInto(target, 'recover-password', NEW_PASSWORD);
    typeInto(target, 'recover-password-repeat', 'not the same at all');
    byTestId(target, 'recover-submit').click();
    await settle();
    expect(target.querySelector('#recover-password-repeat-error')?.textContent).toBe(
      'The two passwords differ.',
    );
    expect(fake.calls).not.toContain('recovery_set_password');

    typeInto(target, 'recover-password-repeat', NEW_PASSWORD);
    byTestId(target, 'recover-submit').click();
    await until(() => byTestId(target, 'screen-unlock'));

    expect(words(byTestId(target, 'unlock-recovered'))).toBe(
      'Password set for ana. Sign in with it now.',
    );
    expect(byTestId<HTMLInputElement>(target, 'unlock-username').value).toBe('ana');
    expect(document.activeElement?.id).toBe('unlock-password');
    expect(fake.state.users.find((u) => u.username === 'ana')?.password).toBe(NEW_PASSWORD);
    // The key is not kept anywhere the page can read again.
    expect(localStorage.length).toBe(0);
    expect(target.querySelector('#recover-key')).toBeNull();

    typeInto(target, 'unlock-password', NEW_PASSWORD);
    byTestId(target, 'unlock-submit').click();
    await until(() => expect(app.session.phase).toBe('open'));
  });

  it('asks which admin when there are several', async () => {
    const context = await signedIn('ana');
    await context.fake.staffAdd({
      username: 'bea',
      display_name: 'Bea Costa',
      role: 'admin',
      password: 'bea first password',
    });
    await context.app.session.signOut();
    const { target, fake } = render(Unlock, {}, context);
    byTestId(target, 'unlock-recovery').click();
    await settle();
    await useKey(target, fake.state.recoveryKey);
    await until(() => byTestId(target, 'recover-admin'));

    const choices = [...target.querySelectorAll<HTMLInputElement>('[data-testid="recover-admin"]')];
    expect(choices.map((c) => words(target.querySelector(`label[for="${c.id}"]`)))).toEqual([
      'ana (ana)',
      'Bea Costa (bea)',
    ]);
    expect(choices.some((c) => c.checked)).toBe(false);
    expect(document.activeElement).toBe(choices[0]);

    typeInto(target, 'recover-password', NEW_PASSWORD);
    typeInto(target, 'recover-password-repeat', NEW_PASSWORD);
    byTestId(target, 'recover-submit').click();
    await settle();
    expect(words(target.querySelector('#recover-admin-error'))).toBe('Choose the administrator.');
    expect(document.activeElement).toBe(choices[0]);

    choices[1]?.click();
    byTestId(target, 'recover-submit').click();
    await until(() => byTestId(target, 'unlock-recovered'));
    expect(words(byTestId(target, 'unlock-recovered'))).toBe(
      'Password set for Bea Costa. Sign in with it now.',
    );
    expect(byTestId<HTMLInputElement>(target, 'unlock-username').value).toBe('bea');
    // Like core, the key leaves a required change as it was: Bea, added by ana and never
    // signed in since, still chooses her own password first.
    await expect(
      fake.sessionUnlock({ username: 'bea', password: NEW_PASSWORD }),
    ).resolves.toMatchObject({ must_change_password: true });
  });

  it('goes back to sign-in on Cancel, the keyboard on the link, nothing changed', async () => {
    const { target, fake } = await recovery();
    await useKey(target, fake.state.recoveryKey);
    await until(() => byTestId(target, 'recover-admin'));
    byTestId(target, 'recover-cancel').click();
    await settle();
    expect(absent(target, 'screen-recover')).toBe(true);
    expect(document.activeElement).toBe(byTestId(target, 'unlock-recovery'));
    expect(absent(target, 'unlock-recovered')).toBe(true);
    expect(fake.calls).not.toContain('recovery_set_password');
  });
});
