// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

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

afterEach(unmountAll);

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
