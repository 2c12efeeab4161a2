// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';

import BackupBanner from '../components/BackupBanner.svelte';
import { BackupStore } from '../stores/backups.svelte';
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
import Backups from './Backups.svelte';
import Shell from './Shell.svelte';
import Unlock from './Unlock.svelte';

afterEach(unmountAll);

const PASSPHRASE = 'a long backup passphrase';
const PASSWORD = 'correct horse battery';
const KEY = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

async function backupsScreen(user = 'ana', prepare?: (fake: FakeBackend) => Promise<void>) {
  const context = await signedIn(user);
  await prepare?.(context.fake);
  const store = new BackupStore(context.app.backend);
  const rendered = render(Backups, { backups: store }, context);
  await settle();
  return { ...rendered, store };
}

/** Holds `backupCreate` between its progress steps until the test lets each through. */
function gateSteps(fake: FakeBackend) {
  const waiting: (() => void)[] = [];
  fake.backupStep = () => new Promise<void>((resolve) => waiting.push(resolve));
  return {
    async release(): Promise<void> {
      await until(() => expect(waiting.length).toBeGreaterThan(0));
      waiting.shift()?.();
      await settle();
    },
  };
}

/**
 * A good backup made through the stand-in, as if earlier: by an admin, whoever is signed in,
 * since only admins back up to a folder of their choice.
 */
async function existingBackup(fake: FakeBackend, daysAgo = 0) {
  const signedIn = fake.state.session;
  if (signedIn) fake.state.session = { ...signedIn, username: 'ana', role: 'admin' };
  const record = await fake
    .backupCreate({
      destination: '/media/usb',
      passphrase: PASSPHRASE,
      recipient: null,
      full: false,
      on_progress: () => {},
    })
    .finally(() => (fake.state.session = signedIn));
  const stored = fake.state.backups.find((r) => r.id === record.id);
  if (stored && daysAgo > 0) {
    stored.started_at = new Date(Date.now() - daysAgo * 86_400_000).toISOString();
  }
  return record;
}

/** The backup an admin set up: its folders, locked with the public key `KEY`; off by default. */
function configure(fake: FakeBackend, destinations = ['/media/usb'], enabled = false) {
  fake.state.schedule = { ...fake.state.schedule, enabled, destinations, recipient: KEY };
}

const absent = (root: ParentNode, testid: string) =>
  root.querySelector(`[data-testid="${testid}"]`) === null;

/** The text of an element as read: runs of white space as one space. */
const text = (el: Element) => (el.textContent ?? '').replace(/\s+/g, ' ').trim();

const errorOf = (root: ParentNode, id: string) =>
  root.querySelector(`#${id}-error`)?.textContent?.trim() ?? null;

describe('backing up now', () => {
  it('shows the progress, then the new backup in the history with its status', async () => {
    const { target, fake, store } = await backupsScreen();
    expect(byTestId(target, 'backup-history-empty').textContent).toContain('No backup');
    const gate = gateSteps(fake);

    typeInto(target, 'backup-destination', '/media/usb');
    typeInto(target, 'backup-passphrase', PASSPHRASE);
    typeInto(target, 'backup-passphrase-repeat', PASSPHRASE);
    byTestId(target, 'backup-start').click();
    await settle();
    expect(byTestId<HTMLButtonElement>(target, 'backup-start').disabled).toBe(true);
    expect(byTestId(target, 'backup-progress-text').textContent).toContain('Preparing');

    await gate.release();
    await gate.release();
    const bar = byTestId<HTMLProgressElement>(target, 'backup-progress');
    expect(bar.value).toBe(2_000_000);
    expect(bar.max).toBe(4_000_000);
    expect(byTestId(target, 'backup-progress-text').textContent).toContain('2 MB of 4 MB (50%)');

    await gate.release();
    await gate.release();
    await until(() =>
      expect(byTestId(target, 'backup-now-done').textContent).toContain('/media/usb/'),
    );
    expect(target.querySelector('[data-testid="backup-progress"]')).toBeNull();
    await until(() => expect(allByTestId(target, 'backup-row')).toHaveLength(1));
    const row = byTestId(target, 'backup-row');
    expect(row.dataset.status).toBe('ok');
    expect(byTestId(row, 'backup-row-status').textContent?.trim()).toBe('Good');
    expect(byTestId(row, 'backup-row-verified').textContent?.trim()).toBe('Not yet');
    expect(byTestId(row, 'backup-row-file').textContent).toMatch(/tessera-backup-.*-full\.age/);
    // The passphrase is not kept once used; the status behind the warning is refreshed.
    expect(byTestId<HTMLInputElement>(target, 'backup-passphrase').value).toBe('');
    await until(() => expect(store.status?.last_ok?.id).toBe(fake.state.backups[0]?.id));
    expect(store.overdue).toBe(false);
    expect(fake.state.backupFiles.get(fake.state.backups[0]?.file ?? '')?.passphrase).toBe(
      PASSPHRASE,
    );
  });

  it('cancels a backup under way and says nothing was left behind', async () => {
    const { target, fake } = await backupsScreen('ana');
    const gate = gateSteps(fake);
    typeInto(target, 'backup-destination', '/media/usb');
    typeInto(target, 'backup-passphrase', PASSPHRASE);
    typeInto(target, 'backup-passphrase-repeat', PASSPHRASE);
    byTestId(target, 'backup-start').click();
    await gate.release();
    byTestId(target, 'backup-cancel').click();
    await settle();
    expect(fake.calls).toContain('backup_cancel');
    await gate.release();
    await until(() =>
      expect(byTestId(target, 'backup-now-cancelled').textContent).toContain('cancelled'),
    );
    // Cancel is gone with the backup: focus goes to how it ended.
    expect(document.activeElement).toBe(byTestId(target, 'backup-now-cancelled'));
    expect(target.querySelector('[data-testid="backup-now-error"]')).toBeNull();
    await until(() => expect(byTestId(target, 'backup-row').dataset.status).toBe('failed'));
  });

  it('says what is wrong with the form before sending anything', async () => {
    const { target, fake } = await backupsScreen();
    byTestId(target, 'backup-start').click();
    await settle();
    expect(errorOf(target, 'backup-destination')).toBe('Type the full path.');
    expect(errorOf(target, 'backup-passphrase')).toBe('Type the passphrase.');

    typeInto(target, 'backup-destination', 'backups');
    typeInto(target, 'backup-passphrase', 'too short');
    await settle();
    expect(errorOf(target, 'backup-destination')).toContain('starting with /');
    expect(errorOf(target, 'backup-passphrase')).toBe('Use at least 12 characters.');

    typeInto(target, 'backup-destination', '~/backups');
    typeInto(target, 'backup-passphrase', PASSPHRASE);
    typeInto(target, 'backup-passphrase-repeat', `${PASSPHRASE}!`);
    await settle();
    expect(errorOf(target, 'backup-destination')).toBeNull();
    expect(errorOf(target, 'backup-passphrase')).toBeNull();
    expect(errorOf(target, 'backup-passphrase-repeat')).toBe('The two passphrases differ.');
    const field = byTestId(target, 'backup-passphrase-repeat');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(field.getAttribute('aria-describedby')).toContain('backup-passphrase-repeat-error');

    byTestId(target, 'backup-encryption-recipient').click();
    await settle();
    typeInto(target, 'backup-recipient', 'AGE-SECRET-KEY-1XYZ');
    byTestId(target, 'backup-start').click();
    await settle();
    expect(errorOf(target, 'backup-recipient')).toContain('starts with age1');
    expect(fake.calls).not.toContain('backup_create');
  });

  it('shows the backend refusal of a folder that is not there', async () => {
    const { target } = await backupsScreen();
    typeInto(target, 'backup-destination', '/media/unplugged/backups');
    typeInto(target, 'backup-passphrase', PASSPHRASE);
    typeInto(target, 'backup-passphrase-repeat', PASSPHRASE);
    byTestId(target, 'backup-start').click();
    await until(() =>
      expect(byTestId(target, 'backup-now-error').textContent).toContain('is not available'),
    );
    await until(() => expect(byTestId(target, 'backup-row').dataset.status).toBe('failed'));
    expect(byTestId(target, 'backup-row').textContent).toContain('is not available');
  });
});

describe('backing up what an administrator set up', () => {
  const FORM = [
    'backup-destination',
    'backup-passphrase',
    'backup-passphrase-repeat',
    'backup-encryption-passphrase',
    'backup-encryption-recipient',
    'backup-full',
    'backup-start',
  ];

  it('lets a clinician back up now to the configured folders, never choosing a folder or passphrase', async () => {
    const { target, fake, store } = await backupsScreen('rui', async (fake) =>
      configure(fake, ['/media/usb', '/mnt/nas']),
    );
    for (const id of FORM) expect(absent(target, id), id).toBe(true);
    expect(target.querySelector('input[type="password"]')).toBeNull();
    const folders = byTestId(target, 'backup-run-now-destinations');
    expect([...folders.querySelectorAll('li')].map(text)).toEqual(['/media/usb', '/mnt/nas']);
    const button = byTestId<HTMLButtonElement>(target, 'backup-run-now');
    expect(text(button)).toBe('Back up now');
    expect(text(document.getElementById(button.getAttribute('aria-describedby') ?? '')!)).toBe(
      'Backs up the vault now to the 2 folders an administrator set up, locked with the key they chose:',
    );

    // The schedule is off: the configured backup runs all the same.
    const gate = gateSteps(fake);
    button.click();
    await settle();
    expect(button.disabled).toBe(true);
    expect(byTestId(target, 'backup-run-now-progress-text').textContent).toContain('Preparing');
    await gate.release();
    await gate.release();
    expect(byTestId(target, 'backup-run-now-progress-text').textContent).toContain(
      '2 MB of 4 MB (50%)',
    );
    for (let step = 0; step < 6; step++) await gate.release();

    await until(() =>
      expect(text(byTestId(target, 'backup-run-now-done'))).toBe('Backup done in all 2 folders.'),
    );
    const result = byTestId(target, 'backup-run-now-result');
    expect(result.dataset.outcome).toBe('done');
    expect(allByTestId(result, 'backup-run-now-outcome').map(text)).toEqual([
      'Backed up to /media/usb (4 MB).',
      'Backed up to /mnt/nas (4 MB).',
    ]);
    expect(document.activeElement).toBe(result);
    expect(absent(target, 'backup-run-now-progress')).toBe(true);
    expect(button.disabled).toBe(false);

    expect(fake.calls).toContain('backup_run_now');
    expect(fake.calls).not.toContain('backup_create');
    // Locked with the configured public key: nothing the vault holds opens them.
    expect(fake.state.backups.map((r) => [r.destination, r.encryption, r.created_by])).toEqual([
      ['/mnt/nas', 'recipient', 'rui'],
      ['/media/usb', 'recipient', 'rui'],
    ]);
    for (const file of fake.state.backupFiles.values()) {
      expect(file).toMatchObject({ passphrase: null, recipient: KEY });
    }
    await until(() => expect(allByTestId(target, 'backup-row')).toHaveLength(2));
    await until(() => expect(store.overdue).toBe(false));
  });

  it('tells a clinician calmly that an administrator must first set up where backups go', async () => {
    const { target, fake } = await backupsScreen('rui', async (fake) => {
      // Folders without a public key are not enough: the backup could not be locked.
      fake.state.schedule = { ...fake.state.schedule, destinations: ['/media/usb'] };
    });
    expect(text(byTestId(target, 'backup-run-now-unconfigured'))).toBe(
      'An administrator must first set up where backups go. Once that is done, you can back up from here.',
    );
    expect(byTestId(target, 'backup-run-now-unconfigured').closest('.alert')).toBeNull();
    for (const id of [...FORM, 'backup-run-now', 'backup-run-now-destinations']) {
      expect(absent(target, id), id).toBe(true);
    }
    expect(fake.calls).not.toContain('backup_run_now');
  });

  it('shows the sentence too when the backend finds nothing configured any more', async () => {
    const { target, fake } = await backupsScreen('rui', async (fake) => configure(fake));
    fake.state.schedule = { ...fake.state.schedule, destinations: [] };
    byTestId(target, 'backup-run-now').click();
    await until(() => byTestId(target, 'backup-run-now-unconfigured'));
    expect(document.activeElement).toBe(byTestId(target, 'backup-run-now-unconfigured'));
    expect(absent(target, 'backup-run-now')).toBe(true);
    expect(absent(target, 'backup-run-now-error')).toBe(true);
  });

  it('says which folders failed, and cancels a run under way', async () => {
    const { target, fake } = await backupsScreen('rui', async (fake) => {
      configure(fake, ['/media/usb', '/media/unplugged'], true);
      fake.state.schedule.keep_last = 1;
      await existingBackup(fake, 40);
      await existingBackup(fake, 35);
    });
    byTestId(target, 'backup-run-now').click();
    await until(() => byTestId(target, 'backup-run-now-partial'));
    const result = byTestId(target, 'backup-run-now-result');
    expect(result.classList.contains('alert-warning')).toBe(true);
    expect(text(byTestId(result, 'backup-run-now-partial'))).toContain(
      'Check that each drive is plugged in',
    );
    const outcomes = allByTestId(result, 'backup-run-now-outcome');
    expect(outcomes.map((o) => o.dataset.status)).toEqual(['ok', 'failed']);
    // Pruned after it, as the schedule says.
    expect(text(outcomes[0] ?? result)).toBe(
      'Backed up to /media/usb (4 MB). 2 older backups there were removed.',
    );
    expect(text(outcomes[1] ?? result)).toBe(
      'Not backed up to /media/unplugged: the backup destination /media/unplugged is not available: No such file or directory (os error 2)',
    );
    expect(document.activeElement).toBe(result);

    const gate = gateSteps(fake);
    byTestId(target, 'backup-run-now').click();
    await gate.release();
    expect(absent(target, 'backup-run-now-result')).toBe(true);
    byTestId(target, 'backup-run-now-cancel').click();
    await settle();
    expect(fake.calls).toContain('backup_cancel');
    await gate.release();
    await until(() => byTestId(target, 'backup-run-now-cancelled'));
    expect(text(byTestId(target, 'backup-run-now-cancelled'))).toBe(
      'Backup cancelled. Folders already finished keep their new backup; the others got nothing.',
    );
    expect(document.activeElement).toBe(byTestId(target, 'backup-run-now-cancelled'));
    expect(absent(target, 'backup-run-now-error')).toBe(true);
  });

  it('offers an admin the configured backup too, once it is set up', async () => {
    const { target, fake } = await backupsScreen('ana');
    // Nothing set up: admins have their own folder form and the schedule, and no sentence.
    expect(absent(target, 'backup-run-now')).toBe(true);
    expect(absent(target, 'backup-run-now-unconfigured')).toBe(true);

    const form = byTestId(target, 'backup-schedule-form');
    typeInto(form, 'backup-schedule-destination-0', '/media/usb');
    typeInto(form, 'backup-schedule-recipient', KEY);
    byTestId(form, 'backup-schedule-save').click();
    await until(() => byTestId(target, 'backup-run-now'));
    const heading = document.getElementById('backup-run-now-heading');
    expect(heading?.textContent).toBe('Run the configured backup now');
    expect(byTestId(target, 'backup-destination')).toBeTruthy();

    byTestId(target, 'backup-run-now').click();
    await until(() => expect(text(byTestId(target, 'backup-run-now-done'))).toBe('Backup done.'));
    expect(fake.state.backups[0]).toMatchObject({
      destination: '/media/usb',
      encryption: 'recipient',
      trigger: 'manual',
    });
  });
});

describe('verifying and restoring', () => {
  it('verifies a backup from the history and marks it verified', async () => {
    const { target } = await backupsScreen(
      'rui',
      async (fake) => void (await existingBackup(fake)),
    );
    expect(target.querySelector('[data-testid="backup-row-restore"]')).toBeNull();
    byTestId(target, 'backup-row-verify').click();
    await settle();
    const dialog = byTestId(target, 'backup-verify-dialog');
    expect(byTestId<HTMLInputElement>(dialog, 'backup-verify-file').value).toMatch(/\.age$/);
    // Focus starts in the first field of the dialog.
    expect(document.activeElement?.tagName).toBe('INPUT');

    byTestId(dialog, 'backup-verify-submit').click();
    await settle();
    expect(errorOf(dialog, 'backup-verify-passphrase')).toBe('Type the passphrase.');
    expect(errorOf(dialog, 'backup-verify-password')).toBe('Type your password.');

    typeInto(dialog, 'backup-verify-passphrase', 'not the passphrase');
    typeInto(dialog, 'backup-verify-password', 'another long secret');
    byTestId(dialog, 'backup-verify-submit').click();
    await until(() =>
      expect(errorOf(dialog, 'backup-verify-passphrase')).toBe(
        'This passphrase does not open the backup.',
      ),
    );

    typeInto(dialog, 'backup-verify-passphrase', PASSPHRASE);
    byTestId(dialog, 'backup-verify-submit').click();
    await until(() =>
      expect(byTestId(dialog, 'backup-verify-result').textContent).toContain(
        'The backup is intact.',
      ),
    );
    await until(() =>
      expect(byTestId(target, 'backup-row-verified').textContent?.trim()).not.toBe('Not yet'),
    );
    press(dialog, 'Escape');
    await settle();
    expect(target.querySelector('[data-testid="backup-verify-dialog"]')).toBeNull();
  });

  it('shows no field error beside a successful check, only after a try with the field empty', async () => {
    const { target } = await backupsScreen(
      'rui',
      async (fake) => void (await existingBackup(fake)),
    );
    byTestId(target, 'backup-row-verify').click();
    await settle();
    const dialog = byTestId(target, 'backup-verify-dialog');

    // Typed in full at the first try: nothing is flagged, and nothing once the check passed
    // (the password field is emptied then, the dialog does not keep it).
    typeInto(dialog, 'backup-verify-passphrase', PASSPHRASE);
    typeInto(dialog, 'backup-verify-password', 'another long secret');
    byTestId(dialog, 'backup-verify-submit').click();
    await until(() => byTestId(dialog, 'backup-verify-result'));
    expect(byTestId(dialog, 'backup-verify-result').textContent).toContain('The backup is intact.');
    expect(byTestId<HTMLInputElement>(dialog, 'backup-verify-password').value).toBe('');
    expect(errorOf(dialog, 'backup-verify-password')).toBeNull();
    expect(errorOf(dialog, 'backup-verify-passphrase')).toBeNull();
    expect(byTestId(dialog, 'backup-verify-password').getAttribute('aria-invalid')).toBeNull();

    // Checked again with the password left empty: now it says so, and only there.
    byTestId(dialog, 'backup-verify-submit').click();
    await settle();
    expect(errorOf(dialog, 'backup-verify-password')).toBe('Type your password.');
    expect(errorOf(dialog, 'backup-verify-passphrase')).toBeNull();
    expect(absent(dialog, 'backup-verify-result')).toBe(true);
  });

  it('flags only the fields that were empty at the try', async () => {
    const { target } = await backupsScreen(
      'rui',
      async (fake) => void (await existingBackup(fake)),
    );
    byTestId(target, 'backup-row-verify').click();
    await settle();
    const dialog = byTestId(target, 'backup-verify-dialog');

    typeInto(dialog, 'backup-verify-password', 'another long secret');
    byTestId(dialog, 'backup-verify-submit').click();
    await settle();
    expect(errorOf(dialog, 'backup-verify-passphrase')).toBe('Type the passphrase.');
    expect(errorOf(dialog, 'backup-verify-password')).toBeNull();
    // Emptied after the try, the password is not flagged until the next try.
    typeInto(dialog, 'backup-verify-password', '');
    await settle();
    expect(errorOf(dialog, 'backup-verify-password')).toBeNull();
  });

  it('checks first and shows what a restore would change, then restores and signs out', async () => {
    const { target, fake, app } = await backupsScreen('ana', async (fake) => {
      await existingBackup(fake);
      await fake.patientCreate({
        profile: { given_name: 'Zoë', family_name: 'Dubois', status: 'active' },
        not_duplicate: true,
      });
    });
    byTestId(target, 'backup-row-restore').click();
    await settle();
    const dialog = byTestId(target, 'backup-restore-dialog');
    expect(dialog.querySelector('[data-testid="backup-restore-confirm"]')).toBeNull();

    typeInto(dialog, 'backup-restore-passphrase', PASSPHRASE);
    typeInto(dialog, 'backup-restore-password', 'not my password');
    byTestId(dialog, 'backup-restore-check').click();
    await until(() =>
      expect(errorOf(dialog, 'backup-restore-password')).toBe(
        'This password does not open the backup.',
      ),
    );

    typeInto(dialog, 'backup-restore-password', PASSWORD);
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-report'));
    expect(document.activeElement?.id).toBe('backup-restore-report-heading');
    expect(byTestId(dialog, 'backup-restore-taken').textContent).toMatch(/Backup taken .* by ana/);
    const rows = allByTestId(dialog, 'backup-restore-difference').map((r) =>
      [...r.children].map((c) => c.textContent?.trim()),
    );
    expect(rows).toContainEqual(['Patients', '0', '1']);
    expect(byTestId(dialog, 'backup-restore-newer').textContent).toMatch(
      /\d+ audit entries newer than the backup will be set aside with the current vault/,
    );
    const warning = byTestId(dialog, 'backup-restore-warning').textContent ?? '';
    expect(warning).toContain('replaces the whole vault');
    expect(warning).toContain('/home/demo/.local/share/tessera.previous-');
    expect(fake.state.session).not.toBeNull();

    // A changed input needs a new check before the restore is offered again.
    typeInto(dialog, 'backup-restore-passphrase', `${PASSPHRASE}x`);
    await settle();
    expect(dialog.querySelector('[data-testid="backup-restore-confirm"]')).toBeNull();
    typeInto(dialog, 'backup-restore-passphrase', PASSPHRASE);
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-confirm'));

    byTestId(dialog, 'backup-restore-confirm').click();
    await until(() => expect(app.session.phase).toBe('locked'));
    expect(app.session.lockReason).toBe('restored');
    const outcome = app.session.restoreOutcome;
    expect(outcome && 'report' in outcome && outcome.report.previous_vault).toMatch(
      /tessera\.previous-/,
    );
    expect(fake.calls.filter((c) => c === 'backup_restore')).toHaveLength(4);

    // The unlock screen then tells what happened and where the old vault is.
    unmountAll();
    const rendered = render(Unlock, {}, { fake, app });
    expect(byTestId(rendered.target, 'unlock-restored').textContent).toMatch(
      /The backup taken .* by ana was restored/,
    );
    expect(byTestId(rendered.target, 'unlock-previous-vault').textContent).toContain(
      '/home/demo/.local/share/tessera.previous-',
    );
    expect(byTestId<HTMLInputElement>(rendered.target, 'unlock-username').value).toBe('ana');
  });

  it('says how many patients erased since the backup the restore erases again', async () => {
    const { target, fake, app } = await backupsScreen('ana', async (fake) => {
      const patients = [];
      for (const given_name of ['Zoë', 'Léo', 'Inès']) {
        patients.push(
          await fake.patientCreate({
            profile: { given_name, family_name: 'Dubois', status: 'active' },
            not_duplicate: true,
          }),
        );
      }
      await existingBackup(fake);
      // Two of them erased since the backup.
      for (const p of patients.slice(0, 2)) {
        await fake.patientErase({ patient: p.id, mode: 'anonymise', confirmation: p.human_id });
      }
    });
    const restore = vi.spyOn(fake, 'backupRestore');
    byTestId(target, 'backup-row-restore').click();
    await settle();
    const dialog = byTestId(target, 'backup-restore-dialog');
    typeInto(dialog, 'backup-restore-passphrase', PASSPHRASE);
    typeInto(dialog, 'backup-restore-password', PASSWORD);
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-report'));
    expect(byTestId(dialog, 'backup-restore-erasures').textContent?.trim()).toBe(
      '2 patients erased since this backup was made will be erased again after the restore.',
    );
    // The vault can be read: who was erased is known, and no reason is asked.
    expect(absent(dialog, 'backup-restore-erasures-unknown')).toBe(true);
    expect(absent(dialog, 'backup-restore-override-reason')).toBe(true);

    // One patient, in the singular.
    fake.state.erasuresSinceBackup = 1;
    byTestId(dialog, 'backup-restore-check').click();
    await until(() =>
      expect(byTestId(dialog, 'backup-restore-erasures').textContent?.trim()).toBe(
        '1 patient erased since this backup was made will be erased again after the restore.',
      ),
    );
    // None: nothing is said.
    fake.state.erasuresSinceBackup = 0;
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => expect(restore).toHaveBeenCalledTimes(3));
    await until(() => byTestId(dialog, 'backup-restore-report'));
    expect(absent(dialog, 'backup-restore-erasures')).toBe(true);

    fake.state.erasuresSinceBackup = null;
    byTestId(dialog, 'backup-restore-check').click();
    await until(() => byTestId(dialog, 'backup-restore-erasures'));
    byTestId(dialog, 'backup-restore-confirm').click();
    await until(() => expect(app.session.phase).toBe('locked'));
    expect(restore.mock.calls.at(-1)?.[0]).toMatchObject({ dry_run: false, override_reason: null });

    // The unlock screen tells it with the outcome.
    unmountAll();
    const rendered = render(Unlock, {}, { fake, app });
    expect(byTestId(rendered.target, 'unlock-restored-erasures').textContent?.trim()).toBe(
      '2 patients erased since the backup was made were erased again.',
    );
    expect(absent(rendered.target, 'unlock-restored-erasures-unknown')).toBe(true);
  });

  it('keeps restore, the schedule and pruning for admins', async () => {
    const { target, fake } = await backupsScreen('rui', async (fake) => {
      configure(fake, ['/media/usb'], true);
      await existingBackup(fake);
    });
    expect(target.querySelector('[data-testid="backup-row-restore"]')).toBeNull();
    expect(target.querySelector('[data-testid="backup-typed-restore"]')).toBeNull();
    expect(target.querySelector('[data-testid="backup-schedule-form"]')).toBeNull();
    expect(target.querySelector('[data-testid="backup-prune-form"]')).toBeNull();
    expect(byTestId(target, 'backup-schedule-readonly').textContent).toContain(
      'every 24 h to /media/usb',
    );
    expect(fake.calls).not.toContain('backup_schedule_set');
  });
});

describe('the schedule and pruning', () => {
  it('asks an admin for no passphrase, and for the public key once the schedule is on', async () => {
    const { target, fake } = await backupsScreen();
    const form = byTestId(target, 'backup-schedule-form');
    expect(form.querySelector('input[type="password"]')).toBeNull();
    for (const id of [
      'backup-schedule-passphrase',
      'backup-schedule-repeat',
      'backup-schedule-passphrase-choice',
      'backup-schedule-recipient-choice',
    ]) {
      expect(absent(form, id), id).toBe(true);
    }
    expect(form.textContent).not.toMatch(/passphrase/i);

    // The public key, explained in plain words next to it; required only once it is on.
    const key = byTestId<HTMLInputElement>(form, 'backup-schedule-recipient');
    expect(key.getAttribute('aria-describedby')).toBe('backup-schedule-recipient-hint');
    const hint = text(form.querySelector('#backup-schedule-recipient-hint') ?? form);
    expect(hint).toContain('The backups are locked with this key');
    expect(hint).toContain('Only the matching private key can open them');
    expect(hint).toContain('printed on paper');
    expect(hint).toContain('Tessera never stores anything that opens the backups.');
    const required = () => key.closest('.field')?.querySelector('.required') ?? null;
    expect(required()).toBeNull();

    byTestId(form, 'backup-schedule-enabled').click();
    await settle();
    expect(required()).not.toBeNull();
    byTestId(form, 'backup-schedule-save').click();
    await settle();
    expect(form.textContent).toContain('Add at least one folder');
    expect(errorOf(form, 'backup-schedule-recipient')).toBe(
      'Paste the public key the backups are to be locked with, or turn the schedule off.',
    );
    expect(key.getAttribute('aria-invalid')).toBe('true');
    expect(key.getAttribute('aria-describedby')).toContain('backup-schedule-recipient-error');
    expect(fake.calls).not.toContain('backup_schedule_set');

    typeInto(form, 'backup-schedule-recipient', 'AGE-SECRET-KEY-1XYZ');
    await settle();
    expect(errorOf(form, 'backup-schedule-recipient')).toContain('starts with age1');
    expect(fake.calls).not.toContain('backup_schedule_set');
  });

  it('saves the schedule with its public key and no passphrase argument', async () => {
    const { target, fake } = await backupsScreen();
    const set = vi.spyOn(fake, 'backupScheduleSet');
    const form = byTestId(target, 'backup-schedule-form');
    byTestId(form, 'backup-schedule-enabled').click();
    typeInto(form, 'backup-schedule-destination-0', '/media/usb');
    typeInto(form, 'backup-schedule-interval', '12');
    typeInto(form, 'backup-schedule-recipient', ` ${KEY} `);
    byTestId(form, 'backup-schedule-save').click();
    await until(() => byTestId(form, 'backup-schedule-saved'));

    expect(set).toHaveBeenCalledTimes(1);
    const [args] = set.mock.calls[0] ?? [];
    expect(Object.keys(args ?? {})).toEqual(['schedule']);
    expect(args?.schedule).toEqual({
      enabled: true,
      interval_hours: 12,
      destinations: ['/media/usb'],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: KEY,
    });
    expect(fake.state.schedule).toEqual(args?.schedule);
    expect(byTestId<HTMLInputElement>(form, 'backup-schedule-recipient').value).toBe(KEY);
    expect(text(byTestId(target, 'backup-schedule-summary'))).toContain('every 12 h to one folder');
  });

  it('previews what pruning removes before removing it', async () => {
    const { target, fake } = await backupsScreen('ana', async (fake) => {
      await existingBackup(fake, 40);
      await existingBackup(fake, 35);
      await existingBackup(fake);
    });
    const form = byTestId(target, 'backup-prune-form');
    expect(byTestId<HTMLInputElement>(form, 'backup-prune-destination').value).toBe('/media/usb');
    typeInto(form, 'backup-prune-keep-last', '1');
    byTestId(form, 'backup-prune-preview').click();
    await until(() =>
      expect(byTestId(form, 'backup-prune-result').textContent).toContain(
        '2 backups would be removed',
      ),
    );
    expect(fake.state.backups.filter((r) => r.status === 'pruned')).toHaveLength(0);
    byTestId(form, 'backup-prune-confirm').click();
    await until(() =>
      expect(byTestId(form, 'backup-prune-result').textContent).toContain('Removed 2 backups'),
    );
    expect(fake.state.backups.filter((r) => r.status === 'pruned')).toHaveLength(2);
  });
});

describe('the shell', () => {
  async function banner(user: string, prepare?: (fake: FakeBackend) => Promise<unknown>) {
    const context = await signedIn(user);
    await prepare?.(context.fake);
    const store = new BackupStore(context.app.backend);
    await store.refresh();
    const rendered = render(BackupBanner, { backups: store }, context);
    await settle();
    return { ...rendered, store };
  }

  it('warns calmly when there is no backup yet, and links to the Backups screen', async () => {
    const { target, app } = await banner('ana');
    const warning = byTestId(target, 'backup-overdue');
    expect(warning.getAttribute('role')).toBe('status');
    expect(warning.textContent).toContain('No backup yet.');
    byTestId(target, 'backup-overdue-open').click();
    expect(app.nav.screen.name).toBe('backups');
  });

  it('says how old the last good backup is once it passes the warning age', async () => {
    const { target, store } = await banner('rui', (fake) => existingBackup(fake, 5));
    expect(byTestId(target, 'backup-overdue').textContent).toContain(
      'Last good backup: 5 days ago.',
    );
    // A fresh backup: no warning; the clock moving on brings it back without asking again.
    const fresh = new Date().toISOString();
    if (store.status?.last_ok) store.status.last_ok.started_at = fresh;
    await settle();
    expect(target.querySelector('[data-testid="backup-overdue"]')).toBeNull();
    store.tick(Date.now() + 73 * 3_600_000);
    await settle();
    expect(byTestId(target, 'backup-overdue').textContent).toContain('3 days ago');
  });

  it('shows a scheduled backup under way with Cancel, then how it ended', async () => {
    const { target, store, fake } = await banner('ana', (fake) => existingBackup(fake));
    store.handle({
      kind: 'progress',
      destination: '/media/usb',
      progress: { done_bytes: 1_000_000, total_bytes: 4_000_000 },
    });
    await settle();
    expect(text(byTestId(target, 'backup-scheduled-running'))).toContain(
      'Scheduled backup to /media/usb under way: 1 MB of 4 MB (25%)',
    );
    byTestId(target, 'backup-scheduled-cancel').click();
    await settle();
    expect(fake.calls).toContain('backup_cancel');

    store.handle({
      kind: 'finished',
      runs: [
        {
          destination: '/media/usb',
          backup: fake.state.backups[0] ?? null,
          error: null,
          pruned: 0,
        },
        {
          destination: '/media/unplugged',
          backup: null,
          error: 'the backup destination /media/unplugged is not available',
          pruned: 0,
        },
      ],
    });
    await settle();
    expect(target.querySelector('[data-testid="backup-scheduled-running"]')).toBeNull();
    const outcome = byTestId(target, 'backup-scheduled-outcome');
    expect(outcome.getAttribute('role')).toBe('alert');
    expect(outcome.textContent).toContain(
      'Scheduled backup to /media/unplugged failed: the backup destination /media/unplugged is not available',
    );
    expect(store.changes).toBe(1);

    store.handle({
      kind: 'finished',
      runs: [{ destination: '/media/usb', backup: null, error: null, pruned: 0 }],
    });
    await settle();
    store.handle({ kind: 'failed', message: 'cancelled', cancelled: true });
    await settle();
    expect(byTestId(target, 'backup-scheduled-outcome').textContent).toContain(
      'Scheduled backup cancelled',
    );
  });

  it('hides backups from the front desk', async () => {
    const context = await signedIn('eva');
    const rendered = render(Shell, {}, context);
    await settle();
    expect(rendered.target.querySelector('[data-testid="nav-backups"]')).toBeNull();
    expect(rendered.target.querySelector('[data-testid="backup-overdue"]')).toBeNull();
    expect(context.fake.calls).not.toContain('backup_status');
  });

  it('offers Backups to practitioners, with the warning under the header', async () => {
    const context = await signedIn('rui');
    const rendered = render(Shell, {}, context);
    await until(() => byTestId(rendered.target, 'backup-overdue'));
    byTestId(rendered.target, 'nav-backups').click();
    await until(() => byTestId(rendered.target, 'screen-backups'));
    // On the Backups screen the warning no longer links to it.
    expect(rendered.target.querySelector('[data-testid="backup-overdue-open"]')).toBeNull();

    // The shell's schedule events reach the banner, and a finished one refreshes the history.
    context.fake.emitScheduled({
      kind: 'progress',
      destination: '/media/usb',
      progress: { done_bytes: 3_000_000, total_bytes: 4_000_000 },
    });
    await settle();
    expect(byTestId(rendered.target, 'backup-scheduled-running').textContent).toContain('75%');
    const listed = context.fake.calls.filter((c) => c === 'backup_list').length;
    context.fake.emitScheduled({ kind: 'finished', runs: [] });
    await until(() =>
      expect(context.fake.calls.filter((c) => c === 'backup_list').length).toBe(listed + 1),
    );
    expect(byTestId(rendered.target, 'backup-scheduled-outcome').textContent).toContain(
      'Scheduled backup',
    );
  });
});
