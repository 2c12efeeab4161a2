import { describe, expect, it, vi } from 'vitest';

import { guardSession } from '../backend';
import { createFakeBackend } from '../testing/fakeBackend';
import { DraftStore } from './drafts.svelte';
import { LanguageStore } from './language.svelte';
import { SessionStore } from './session.svelte';

function setup(options: Parameters<typeof createFakeBackend>[0] = {}) {
  const fake = createFakeBackend(options);
  const drafts = new DraftStore();
  const language = new LanguageStore();
  const onUserChanged = vi.fn();
  const holder: { session?: SessionStore } = {};
  const backend = guardSession(fake, () => holder.session?.locked('inactivity'));
  const session = new SessionStore(backend, drafts, language, { onUserChanged });
  holder.session = session;
  return { fake, backend, drafts, language, session, onUserChanged };
}

describe('SessionStore', () => {
  it('asks for setup when there is no vault, then offers to sign in as the new admin', async () => {
    const { session, backend } = setup({ vaultExists: false });
    await session.load();
    expect(session.phase).toBe('setup');
    await backend.vaultCreate({
      admin_username: 'Ana',
      admin_display_name: 'Ana Souza',
      password: 'correct horse battery',
    });
    await session.vaultCreated('Ana');
    expect(session.phase).toBe('locked');
    expect(session.lastUsername).toBe('ana');
  });

  it('starts locked with the vault language, and opens with the right password', async () => {
    const { session, language } = setup({ language: 'fr' });
    await session.load();
    expect(session.phase).toBe('locked');
    expect(language.current).toBe('fr');
    const info = await session.unlock('ana', 'correct horse battery');
    expect(info.role).toBe('admin');
    expect(session.phase).toBe('open');
    expect(session.isAdmin).toBe(true);
    expect(session.settings).toEqual({
      auto_lock_minutes: 5,
      keep_photo_location: false,
      language: 'fr',
    });
  });

  it('stays locked and rethrows the backend error on a wrong password', async () => {
    const { session } = setup();
    await session.load();
    await expect(session.unlock('ana', 'wrong password!')).rejects.toEqual({
      code: 'bad_credentials',
      message: 'wrong user name or password',
    });
    expect(session.phase).toBe('locked');
    expect(session.info).toBeNull();
  });

  it('passes on a lock-out with the seconds to wait', async () => {
    const { session } = setup();
    await session.load();
    for (let i = 0; i < 5; i++) {
      await expect(session.unlock('ana', 'wrong password!')).rejects.toMatchObject({
        code: 'bad_credentials',
      });
    }
    await expect(session.unlock('ana', 'correct horse battery')).rejects.toMatchObject({
      code: 'locked_out',
      retry_after_secs: 30,
    });
    expect(session.phase).toBe('locked');
  });

  it('returns to the unlock screen on the session-locked event', async () => {
    const { session, fake } = setup();
    await session.load();
    await session.listen();
    await session.unlock('rui', 'another long secret');
    fake.emitLocked('inactivity');
    expect(session.phase).toBe('locked');
    expect(session.lockReason).toBe('inactivity');
    expect(session.lastUsername).toBe('rui');
    expect(session.info).toBeNull();
  });

  it('locks when a command answers no_session', async () => {
    const { session, fake, backend } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    fake.state.session = null; // the backend locked and the event was missed
    await expect(backend.sessionTouch()).rejects.toMatchObject({
      code: 'no_session',
    });
    expect(session.phase).toBe('locked');
  });

  it('locks at the user request', async () => {
    const { session, fake } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    await session.lock();
    expect(fake.calls).toContain('session_lock');
    expect(session.phase).toBe('locked');
    expect(session.lockReason).toBe('manual');
  });

  it('signs out: locks with the same command, forgets the user name and the drafts', async () => {
    const { session, fake, drafts, onUserChanged } = setup();
    await session.load();
    await session.unlock('rui', 'another long secret');
    drafts.open('visit:p1', () => ({ reason: '' })).reason = 'chest pain';
    await session.signOut();
    expect(fake.calls).toContain('session_lock');
    expect(fake.state.session).toBeNull();
    expect(session.phase).toBe('locked');
    expect(session.lockReason).toBe('signed_out');
    expect(session.lastUsername).toBe('');
    expect(drafts.keys()).toEqual([]);
    expect(onUserChanged).toHaveBeenCalledOnce();
    // The next person finds nothing of the last one's.
    await session.unlock('ana', 'correct horse battery');
    expect(drafts.keys()).toEqual([]);
    expect(session.lastUsername).toBe('ana');
  });

  it('signs out even when the backend event of the lock comes first, or the command fails', async () => {
    const { session, fake, drafts } = setup();
    await session.load();
    await session.listen();
    await session.unlock('rui', 'another long secret');
    drafts.open('visit:p1', () => ({ reason: '' })).reason = 'chest pain';
    const realLock = fake.sessionLock;
    fake.sessionLock = async () => {
      await realLock();
      fake.emitLocked('manual');
      return null;
    };
    await session.signOut();
    expect(session.lockReason).toBe('signed_out');
    expect(session.lastUsername).toBe('');
    expect(drafts.keys()).toEqual([]);

    await session.unlock('rui', 'another long secret');
    fake.sessionLock = () => Promise.reject({ code: 'internal', message: 'gone' });
    await expect(session.signOut()).rejects.toMatchObject({ code: 'internal' });
    expect(session.phase).toBe('locked');
    expect(session.lastUsername).toBe('');

    // Lock, unlike sign-out, keeps the name for the same user to come back.
    fake.sessionLock = realLock;
    await session.unlock('rui', 'another long secret');
    await session.lock();
    expect(session.lastUsername).toBe('rui');
  });

  it('keeps drafts for the same user after an auto-lock', async () => {
    const { session, fake, drafts, onUserChanged } = setup();
    await session.load();
    await session.listen();
    await session.unlock('rui', 'another long secret');
    drafts.open('narrative-new:p1', () => ({ body: '' })).body = 'Walked to the market.';
    fake.emitLocked('inactivity');
    await session.unlock('rui', 'another long secret');
    expect(drafts.open('narrative-new:p1', () => ({ body: '' })).body).toBe(
      'Walked to the market.',
    );
    expect(onUserChanged).not.toHaveBeenCalled();
  });

  it('keeps drafts hidden from another user who signs in, for their author to find again', async () => {
    const { session, fake, drafts, onUserChanged } = setup();
    await session.load();
    await session.listen();
    await session.unlock('rui', 'another long secret');
    drafts.open('visit:p1', () => ({ reason: '' })).reason = 'chest pain';
    fake.emitLocked('inactivity');

    await session.unlock('ana', 'correct horse battery');
    expect(drafts.has('visit:p1')).toBe(false);
    expect(onUserChanged).toHaveBeenCalledOnce();
    drafts.open('profile:p1', () => ({ phone: '' })).phone = '06 01';
    // Ana signs out: her drafts go, Rui's stay his.
    await session.signOut();
    expect(drafts.kept()).toEqual([{ user: 'rui', count: 1 }]);

    await session.unlock('rui', 'another long secret');
    expect(drafts.open('visit:p1', () => ({ reason: '' })).reason).toBe('chest pain');
    expect(drafts.has('profile:p1')).toBe(false);
  });

  it('stores the language when a session is open', async () => {
    const { session, fake, language } = setup();
    await session.load();
    await session.unlock('rui', 'another long secret');
    await session.setLanguage('fr');
    expect(language.current).toBe('fr');
    expect(fake.state.settings.language).toBe('fr');
    expect(session.settings?.language).toBe('fr');
  });

  it('stores a language chosen before sign-in, which then stays', async () => {
    const { session, fake, language } = setup();
    await session.load();
    await session.setLanguage('fr');
    expect(language.current).toBe('fr');
    expect(fake.state.settings.language).toBe('fr');
    await session.unlock('rui', 'another long secret');
    expect(language.current).toBe('fr');
  });

  it('stores the language after sign-in when the backend refused it before', async () => {
    const { session, fake, language } = setup();
    await session.load();
    const realSet = fake.settingsSet;
    fake.settingsSet = () => Promise.reject({ code: 'no_session', message: 'locked' });
    await session.setLanguage('fr');
    expect(language.current).toBe('fr');
    expect(fake.state.settings.language).toBe('en');
    fake.settingsSet = realSet;
    await session.unlock('rui', 'another long secret');
    expect(language.current).toBe('fr');
    expect(fake.state.settings.language).toBe('fr');
  });

  it('lets admins change the auto-lock delay and refuses others', async () => {
    const { session } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    await session.saveSettings({ auto_lock_minutes: 10 });
    expect(session.info?.auto_lock_minutes).toBe(10);
    await session.lock();
    await session.unlock('rui', 'another long secret');
    await expect(session.saveSettings({ auto_lock_minutes: 2 })).rejects.toMatchObject({
      code: 'denied',
    });
    expect(session.settings?.auto_lock_minutes).toBe(10);
  });

  it('lets admins keep photo locations, off by default, and refuses others', async () => {
    const { session, fake } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    expect(session.settings?.keep_photo_location).toBe(false);
    await session.saveSettings({ keep_photo_location: true });
    expect(fake.state.settings.keep_photo_location).toBe(true);
    await session.lock();
    await session.unlock('rui', 'another long secret');
    expect(session.settings?.keep_photo_location).toBe(true);
    await expect(session.saveSettings({ keep_photo_location: false })).rejects.toMatchObject({
      code: 'denied',
    });
    expect(fake.state.settings.keep_photo_location).toBe(true);
  });

  it('signs out after a restore whatever its outcome, with the outcome, and forgets drafts', async () => {
    const { session, fake, backend, drafts, onUserChanged } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    const record = await backend.backupCreate({
      destination: '/media/usb',
      passphrase: 'a long passphrase',
      recipient: null,
      full: false,
      on_progress: () => {},
    });
    drafts.open('visit:p1', () => ({ reason: '' })).reason = 'typed before the restore';
    const args = {
      file: record.file ?? '',
      passphrase: 'a long passphrase',
      identity_file: null,
      password: 'correct horse battery',
    };

    await session.restore(async () => {
      const report = await backend.backupRestore({ ...args, dry_run: false });
      // The backend is signed out while the UI waits: a stray no_session changes nothing.
      await expect(backend.backupList()).rejects.toMatchObject({ code: 'no_session' });
      expect(session.phase).toBe('open');
      return report;
    });
    expect(session.phase).toBe('locked');
    expect(session.lockReason).toBe('restored');
    expect(session.restoreOutcome).toMatchObject({ report: { dry_run: false } });
    expect(session.lastUsername).toBe('ana');
    expect(drafts.keys()).toEqual([]);
    expect(onUserChanged).toHaveBeenCalled();

    await session.unlock('ana', 'correct horse battery');
    expect(session.restoreOutcome).toBeNull();

    // Refused after signing out: the unlock screen says so.
    await session.restore(async () => {
      fake.state.session = null;
      throw { code: 'integrity', message: 'the backup is damaged' };
    });
    expect(session.phase).toBe('locked');
    expect(session.restoreOutcome).toEqual({
      error: { code: 'integrity', message: 'the backup is damaged' },
    });

    // Refused before signing out (a mistyped path): still signed in, the dialog shows it.
    await session.unlock('ana', 'correct horse battery');
    await expect(
      session.restore(() => backend.backupRestore({ ...args, file: 'x.age', dry_run: false })),
    ).rejects.toMatchObject({ code: 'invalid', field: 'file' });
    expect(session.phase).toBe('open');
    expect(session.restoring).toBe(false);
  });

  it('signed out, leaves a restore refused for want of a reason to the dialog', async () => {
    const { session, fake, backend } = setup();
    await session.load();
    await session.unlock('ana', 'correct horse battery');
    const record = await backend.backupCreate({
      destination: '/media/usb',
      passphrase: 'a long passphrase',
      recipient: null,
      full: false,
      on_progress: () => {},
    });
    await session.lock();
    fake.state.vaultDamaged = true;
    const args = {
      file: record.file ?? '',
      passphrase: 'a long passphrase',
      identity_file: null,
      username: 'ana',
      password: 'correct horse battery',
      dry_run: false,
    };

    // Nothing was restored: no outcome to tell, the dialog asks for the reason.
    await expect(session.restore(() => backend.backupRestore(args))).rejects.toMatchObject({
      code: 'invalid',
      field: 'override_reason',
    });
    expect(session.restoreOutcome).toBeNull();
    expect(session.restoring).toBe(false);

    // Any other refusal signed out is the restore's outcome, as before.
    await session.restore(() => Promise.reject({ code: 'integrity', message: 'damaged' }));
    expect(session.restoreOutcome).toEqual({ error: { code: 'integrity', message: 'damaged' } });

    await session.restore(() =>
      backend.backupRestore({ ...args, override_reason: 'the disk was damaged' }),
    );
    expect(session.restoreOutcome).toMatchObject({ report: { erasures_unknown: true } });
    expect(session.lockReason).toBe('restored');
  });

  it('reports a backend that cannot start', async () => {
    const { session, fake } = setup();
    fake.appStatus = () => Promise.reject({ code: 'integrity', message: 'corrupt header' });
    await session.load();
    expect(session.phase).toBe('unavailable');
    expect(session.loadError).toEqual({ code: 'integrity', message: 'corrupt header' });
  });
});
