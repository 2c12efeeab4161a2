// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

import { language } from '../stores/language.svelte';
import type { FakeBackend } from '../testing/fakeBackend';
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
import Staff from './Staff.svelte';

afterEach(() => {
  unmountAll();
  language.set('en');
});

/** The Staff screen as `user` sees it; `may` false takes `vault.rekey` from their permissions. */
async function staffScreen(options: { may?: boolean } = {}) {
  const context = await signedIn('ana');
  const info = context.app.session.info;
  if (info && options.may === false) {
    context.app.session.info = {
      ...info,
      permissions: info.permissions.filter((action) => action !== 'vault.rekey'),
    };
  }
  const rendered = render(Staff, {}, context);
  await settle();
  return rendered;
}

/** Holds `vaultRekey` before each of its progress steps until the test lets it through. */
function gateSteps(fake: FakeBackend) {
  const waiting: (() => void)[] = [];
  fake.rekeyStep = () => new Promise<void>((resolve) => waiting.push(resolve));
  return {
    async release(): Promise<void> {
      await until(() => expect(waiting.length).toBeGreaterThan(0));
      waiting.shift()?.();
      await settle();
    },
  };
}

const absent = (root: ParentNode, testid: string) =>
  root.querySelector(`[data-testid="${testid}"]`) === null;

/** The text of an element as read: runs of white space as one space. */
const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

const button = (root: ParentNode, testid: string) => byTestId<HTMLButtonElement>(root, testid);

async function openDialog(target: HTMLElement) {
  button(target, 'vault-rekey').focus();
  button(target, 'vault-rekey').click();
  await settle();
  return byTestId(document.body, 'vault-rekey-dialog');
}

describe('the vault key section', () => {
  it('is offered to those allowed to replace the key, with when to use it', async () => {
    const { target } = await staffScreen();
    const section = byTestId(target, 'vault-rekey').closest('section');
    expect(section?.querySelector('h2')?.textContent).toBe('Vault key');
    expect(text(section as Element)).toContain(
      'after disabling the account of someone who may have kept a copy of the vault, or after a laptop or a backup is lost',
    );
    expect(button(target, 'vault-rekey').textContent?.trim()).toBe('Replace the vault key…');
  });

  it('is not there for anyone else', async () => {
    const { target } = await staffScreen({ may: false });
    expect(absent(target, 'screen-staff')).toBe(false);
    expect(absent(target, 'vault-rekey')).toBe(true);
    expect(text(target)).not.toContain('Vault key');
  });

  it('opens a dialog on its first control that explains what follows; Escape cancels', async () => {
    const { target, fake } = await staffScreen();
    const rekey = vi.spyOn(fake, 'vaultRekey');
    const dialog = await openDialog(target);
    expect(dialog.querySelector('h2')?.textContent).toBe('Replace the vault key?');
    expect(document.activeElement).toBe(dialog.querySelector('button'));
    const said = text(byTestId(dialog, 'vault-rekey-consequences'));
    expect(said).toContain('will not open anything recorded afterwards');
    expect(said).toContain('Every active account keeps its password.');
    expect(said).toContain('The old recovery key will no longer open this vault.');
    expect(said).toContain('several minutes');
    expect(said).toContain('close every other Tessera window');

    press(dialog, 'Escape');
    await settle();
    expect(absent(document.body, 'vault-rekey-dialog')).toBe(true);
    expect(document.activeElement).toBe(button(target, 'vault-rekey'));
    expect(rekey).not.toHaveBeenCalled();
  });
});

describe('replacing the vault key', () => {
  it('shows its progress without a way out, then the new recovery key, kept before closing', async () => {
    const { target, fake } = await staffScreen();
    const gate = gateSteps(fake);
    const dialog = await openDialog(target);

    button(dialog, 'vault-rekey-confirm').click();
    await settle();
    expect(button(dialog, 'vault-rekey-confirm').disabled).toBe(true);
    expect(button(dialog, 'vault-rekey-cancel').disabled).toBe(true);
    expect(button(dialog, 'vault-rekey-dialog-close').disabled).toBe(true);
    expect(dialog.querySelector('[data-testid="vault-rekey-progress"]')).not.toBeNull();
    expect(byTestId(dialog, 'vault-rekey-progress-text').textContent?.trim()).toBe(
      'Re-encrypting… 0%',
    );
    expect(document.activeElement).toBe(byTestId(dialog, 'vault-rekey-running'));
    // Nothing in the dialog cancels: no Cancel of a backup, and Escape does nothing.
    expect(dialog.querySelector('[data-testid$="cancel"]:not([disabled])')).toBeNull();
    press(dialog, 'Escape');
    await settle();
    expect(absent(document.body, 'vault-rekey-dialog')).toBe(false);

    await gate.release();
    await gate.release();
    const bar = byTestId<HTMLProgressElement>(dialog, 'vault-rekey-progress');
    expect(bar.value / bar.max).toBe(0.5);
    expect(byTestId(dialog, 'vault-rekey-progress-text').textContent?.trim()).toBe(
      'Re-encrypting… 50%',
    );

    await gate.release();
    await gate.release();
    await until(() => byTestId(dialog, 'vault-rekey-recovery-key'));
    expect(dialog.querySelector('h2')?.textContent).toBe('Your new recovery key');
    expect(absent(dialog, 'vault-rekey-progress')).toBe(true);
    // The key as the backend gave it, in groups, like at first-run setup.
    const key = fake.state.recoveryKey;
    expect(key).toMatch(/^([A-Z2-7]{5}-){10}[A-Z2-7]{5}$/);
    expect(key).not.toBe('K7Q2M-4XRTA-9PZ3H-WN8CD-E5VJF-2GKBY-6HMQS-T3RXA-PZ9WN-4CDEV-JF7QA');
    expect(text(byTestId(dialog, 'vault-rekey-recovery-key'))).toBe(key);
    expect(byTestId(dialog, 'vault-rekey-recovery-key').querySelectorAll('.group')).toHaveLength(
      11,
    );
    expect(text(byTestId(dialog, 'vault-rekey-recovery-use'))).toContain('restore a backup');
    expect(byTestId(dialog, 'vault-rekey-summary').textContent?.trim()).toBe(
      '3 accounts, 0 photo files re-encrypted.',
    );
    expect(text(byTestId(dialog, 'vault-rekey-old-key'))).toContain(
      'The old recovery key no longer opens this vault',
    );
    expect(document.activeElement).toBe(byTestId(dialog, 'vault-rekey-done'));

    // Not closed until the key is kept: the last group typed again.
    const done = button(dialog, 'vault-rekey-recovery-continue');
    expect(done.textContent?.trim()).toBe('I have kept the new key – close');
    expect(done.disabled).toBe(true);
    expect(button(dialog, 'vault-rekey-dialog-close').disabled).toBe(true);
    press(dialog, 'Escape');
    await settle();
    expect(absent(document.body, 'vault-rekey-dialog')).toBe(false);
    typeInto(dialog, 'vault-rekey-recovery-confirm', 'ZZZZZ');
    await settle();
    expect(done.disabled).toBe(true);
    expect(dialog.querySelector('#vault-rekey-recovery-confirm-error')?.textContent).toBe(
      'This is not the last group of the key.',
    );
    typeInto(dialog, 'vault-rekey-recovery-confirm', key.slice(-5).toLowerCase());
    await settle();
    expect(done.disabled).toBe(false);
    done.click();
    await settle();

    expect(absent(document.body, 'vault-rekey-dialog')).toBe(true);
    const notice = byTestId(target, 'staff-notice');
    expect(text(notice)).toBe(
      'The vault key was replaced. 3 accounts, 0 photo files re-encrypted.',
    );
    expect(document.activeElement).toBe(button(target, 'vault-rekey'));
    expect(fake.calls.filter((c) => c === 'vault_rekey')).toHaveLength(1);
  });

  it('says in words that another window has the vault open, and can be tried again', async () => {
    const { target, fake } = await staffScreen();
    fake.state.vaultInUse = true;
    const dialog = await openDialog(target);
    button(dialog, 'vault-rekey-confirm').click();
    await until(() => byTestId(dialog, 'vault-rekey-error'));

    const alert = byTestId(dialog, 'vault-rekey-error');
    expect(alert.getAttribute('role')).toBe('alert');
    expect(alert.querySelector('strong')?.textContent).toBe('The vault key was not replaced.');
    expect(text(alert)).toContain('Another Tessera window or command is using this vault.');
    expect(text(alert)).not.toMatch(/conflict|in use by another session/);
    expect(document.activeElement).toBe(alert.parentElement);
    expect(absent(dialog, 'vault-rekey-recovery-key')).toBe(true);

    language.set('fr');
    await settle();
    expect(byTestId(dialog, 'vault-rekey-error').querySelector('strong')?.textContent).toBe(
      'La clé du coffre n’a pas été remplacée.',
    );

    // Once the other window is closed, it works from the same dialog.
    fake.state.vaultInUse = false;
    expect(button(dialog, 'vault-rekey-confirm').disabled).toBe(false);
    button(dialog, 'vault-rekey-confirm').click();
    await until(() => byTestId(dialog, 'vault-rekey-recovery-key'));
    expect(absent(dialog, 'vault-rekey-error')).toBe(true);
  });
});

describe('disabling an account', () => {
  async function disableRui(target: HTMLElement) {
    const rows = [...target.querySelectorAll('[data-testid="staff-row"]')];
    const rui = rows.find((row) => row.textContent?.includes('rui'));
    byTestId(rui as HTMLElement, 'staff-disable').click();
    await settle();
    byTestId(target, 'staff-disable-confirm').click();
    await until(() => byTestId(target, 'staff-notice'));
  }

  it('suggests replacing the vault key, which opens the same dialog', async () => {
    const { target } = await staffScreen();
    expect(absent(target, 'staff-rekey-suggestion')).toBe(true);
    await disableRui(target);

    const suggestion = byTestId(target, 'staff-rekey-suggestion');
    expect(text(suggestion)).toContain(
      'If rui may have kept a copy of the vault (on a laptop, a USB drive or in a backup), replace the vault key',
    );
    // The disable form is gone: the keyboard goes on from the suggestion.
    expect(document.activeElement).toBe(suggestion);

    const open = button(suggestion, 'staff-rekey-suggestion-open');
    open.focus();
    open.click();
    await settle();
    const dialog = byTestId(document.body, 'vault-rekey-dialog');
    expect(dialog.querySelector('h2')?.textContent).toBe('Replace the vault key?');
    press(dialog, 'Escape');
    await settle();
    expect(document.activeElement).toBe(open);
  });

  it('suggests nothing to those who may not replace the key', async () => {
    const { target } = await staffScreen({ may: false });
    await disableRui(target);
    expect(text(byTestId(target, 'staff-notice'))).toBe('Account rui disabled.');
    expect(absent(target, 'staff-rekey-suggestion')).toBe(true);
  });
});

/** The Staff screen row of `username`. */
function row(target: HTMLElement, username: string): HTMLElement {
  const found = [...target.querySelectorAll<HTMLElement>('[data-testid="staff-row"]')].find(
    (r) => r.querySelector('th')?.textContent?.trim() === username,
  );
  if (!found) throw new Error(`no row for ${username}`);
  return found;
}

describe('a temporary password for a colleague', () => {
  it('is given after a question, shown once with what to do, and forgotten on closing', async () => {
    const { target, fake } = await staffScreen();
    // Not for the admin's own account: that is a password change, in Settings.
    expect(absent(row(target, 'ana'), 'staff-reset')).toBe(true);
    const reset = vi.spyOn(fake, 'staffReset');

    button(row(target, 'rui'), 'staff-reset').click();
    await settle();
    expect(reset).not.toHaveBeenCalled();
    const confirm = button(target, 'staff-reset-confirm');
    expect(text(confirm.closest('form') as Element)).toContain(
      'rui gets a temporary password, shown to you once. Their current password stops working',
    );
    confirm.click();
    await until(() => byTestId(document.body, 'handed-over-dialog'));

    const dialog = byTestId(document.body, 'handed-over-dialog');
    expect(dialog.querySelector('h2')?.textContent).toBe('Temporary password for rui');
    expect(text(byTestId(dialog, 'handed-over-give'))).toBe(
      'Give this password to rui in person. They must choose their own when they next sign in. It will not be shown again.',
    );
    const password = text(byTestId(dialog, 'handed-over-password'));
    expect(password).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
    expect(fake.state.users.find((u) => u.username === 'rui')?.password).toBe(password);
    expect(reset).toHaveBeenCalledExactlyOnceWith({ username: 'rui' });
    expect(text(byTestId(row(target, 'rui'), 'staff-must-change'))).toBe(
      'Must choose a new password at next sign-in',
    );

    press(dialog, 'Escape');
    await settle();
    expect(absent(document.body, 'handed-over-dialog')).toBe(true);
    expect(document.body.textContent).not.toContain(password);
    expect(text(byTestId(target, 'staff-notice'))).toBe('A temporary password was given to rui.');
    expect(document.activeElement).toBe(byTestId(target, 'staff-notice'));

    // Rui signs in with it, and must choose his own first.
    const info = await fake.sessionUnlock({ username: 'rui', password });
    expect(info.must_change_password).toBe(true);
    expect(info.permissions).toEqual(['session.open', 'vault.info', 'staff.set_own_password']);
  });

  it('lifts a lock-out after wrong passwords', async () => {
    const { target, fake } = await staffScreen();
    for (let i = 0; i < 6; i++) {
      await fake.sessionUnlock({ username: 'eva', password: `guess ${i}` }).catch(() => {});
    }
    await expect(
      fake.sessionUnlock({ username: 'eva', password: 'front desk secret' }),
    ).rejects.toMatchObject({ code: 'locked_out' });

    button(row(target, 'eva'), 'staff-reset').click();
    await settle();
    button(target, 'staff-reset-confirm').click();
    await until(() => byTestId(document.body, 'handed-over-dialog'));
    const password = text(byTestId(document.body, 'handed-over-password'));
    button(document.body, 'handed-over-done').click();
    await settle();
    expect(absent(document.body, 'handed-over-dialog')).toBe(true);
    await expect(fake.sessionUnlock({ username: 'eva', password })).resolves.toMatchObject({
      username: 'eva',
      must_change_password: true,
    });
  });
});

describe('a disabled account', () => {
  it('is enabled again with a temporary password, shown once in the same way', async () => {
    const context = await signedIn('ana');
    await context.fake.staffDisable({ username: 'rui', reason: 'left' });
    const { target, fake } = render(Staff, {}, context);
    await settle();

    const rui = row(target, 'rui');
    expect(absent(rui, 'staff-reset')).toBe(true);
    expect(absent(rui, 'staff-disable')).toBe(true);
    button(rui, 'staff-enable').click();
    await settle();
    const confirm = button(target, 'staff-enable-confirm');
    expect(text(confirm.closest('form') as Element)).toContain(
      'rui will be able to sign in again, with a temporary password shown to you once.',
    );
    confirm.click();
    await until(() => byTestId(document.body, 'handed-over-dialog'));

    const dialog = byTestId(document.body, 'handed-over-dialog');
    expect(dialog.querySelector('h2')?.textContent).toBe('Temporary password for rui');
    expect(text(byTestId(dialog, 'handed-over-give'))).toContain('It will not be shown again.');
    const password = text(byTestId(dialog, 'handed-over-password'));
    button(dialog, 'handed-over-done').click();
    await settle();
    expect(absent(document.body, 'handed-over-dialog')).toBe(true);
    expect(text(byTestId(target, 'staff-notice'))).toBe('Account rui enabled again.');

    const enabled = row(target, 'rui');
    expect(enabled.classList.contains('disabled')).toBe(false);
    expect(text(byTestId(enabled, 'staff-must-change'))).toBe(
      'Must choose a new password at next sign-in',
    );
    expect(absent(enabled, 'staff-enable')).toBe(true);
    expect(fake.state.staff.find((a) => a.username === 'rui')?.status).toBe('active');
    await expect(fake.sessionUnlock({ username: 'rui', password })).resolves.toMatchObject({
      must_change_password: true,
    });
  });

  it('is said in words when someone else changed it meanwhile', async () => {
    const context = await signedIn('ana');
    await context.fake.staffDisable({ username: 'rui', reason: 'left' });
    const { target, fake } = render(Staff, {}, context);
    await settle();
    button(row(target, 'rui'), 'staff-enable').click();
    await settle();
    // Another admin enabled it in the meantime.
    await fake.staffEnable({ username: 'rui' });
    button(target, 'staff-enable-confirm').click();
    await until(() => expect(target.querySelector('[role="alert"]')).not.toBeNull());
    const alert = target.querySelector('[role="alert"]') as HTMLElement;
    expect(text(alert)).toBe(
      'The account was not changed. Someone changed this account in the meantime; the list now shows it as it is.',
    );
    expect(absent(document.body, 'handed-over-dialog')).toBe(true);
    expect(absent(row(target, 'rui'), 'staff-enable')).toBe(true);
  });
});

describe('adding an account', () => {
  it('says the colleague chooses their own password at first sign-in, and the list shows it', async () => {
    const { target, fake } = await staffScreen();
    button(target, 'staff-new').click();
    await settle();
    expect(text(byTestId(target, 'staff-add-first-sign-in'))).toBe(
      'They will choose their own password when they first sign in.',
    );
    typeInto(target, 'staff-username', 'bea');
    typeInto(target, 'staff-display-name', 'Bea Costa');
    typeInto(target, 'staff-password', 'a first password');
    typeInto(target, 'staff-confirm', 'a first password');
    button(target, 'staff-submit').click();
    await until(() => row(target, 'bea'));
    expect(text(byTestId(row(target, 'bea'), 'staff-must-change'))).toBe(
      'Must choose a new password at next sign-in',
    );
    expect(fake.state.staff.find((a) => a.username === 'bea')?.must_change_password).toBe(true);
  });
});
