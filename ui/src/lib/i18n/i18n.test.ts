import { describe, expect, it } from 'vitest';

import { en } from './en';
import { fr } from './fr';
import { translate } from './index';

const placeholders = (text: string) =>
  [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe('message catalogs', () => {
  it('have exactly the same keys in English and French', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
  });

  it('use the same placeholders and plural forms in both languages', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(fr[key]), key).toEqual(placeholders(en[key]));
      expect(fr[key].includes('||'), key).toBe(en[key].includes('||'));
    }
  });

  it('space French punctuation with non-breaking spaces in the messages of the configured backup', () => {
    const keys = (Object.keys(fr) as (keyof typeof fr)[]).filter(
      (key) =>
        key.startsWith('backups.runNow.') ||
        key.startsWith('backups.schedule.recipient') ||
        key === 'backups.error.scheduleRecipientMissing',
    );
    expect(keys.length).toBeGreaterThan(10);
    for (const key of keys) {
      expect(fr[key], key).not.toMatch(/ [:;?!»]|« /);
      expect(fr[key], key).not.toMatch(/\S[:;?!»]|«\S/);
    }
    expect(
      translate('fr', 'backups.runNow.runFailed', { destination: '/media/usb', reason: 'x' }),
    ).toBe('Pas de sauvegarde dans /media/usb\u00a0: x');
  });

  it('space French punctuation with non-breaking spaces in the messages of a restore', () => {
    const keys = (Object.keys(fr) as (keyof typeof fr)[]).filter(
      (key) => key.startsWith('backups.restore.') || key.startsWith('unlock.restore'),
    );
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      expect(fr[key], key).not.toMatch(/ [:;?!»]|« /);
      expect(fr[key], key).not.toMatch(/\S[:;?!»]|«\S/);
      // A full non-breaking space before a colon, a narrow one before ; ? and !.
      expect(fr[key], key).not.toMatch(/\u202f:|\u00a0[;?!]/);
    }
    expect(translate('fr', 'backups.restore.reason')).toBe('Pourquoi restaurer quand même\u202f?');
    expect(translate('fr', 'backups.restore.erasures', { count: 1 })).toBe(
      '1 patient effacé depuis cette sauvegarde sera de nouveau effacé après la restauration.',
    );
    expect(translate('fr', 'backups.restore.erasures', { count: 3 })).toBe(
      '3 patients effacés depuis cette sauvegarde seront de nouveau effacés après la restauration.',
    );
  });

  it('space French punctuation with non-breaking spaces in the sign-in, recovery and retention messages', () => {
    const keys = (Object.keys(fr) as (keyof typeof fr)[]).filter(
      (key) =>
        key.startsWith('unlock.error.') ||
        key.startsWith('unlock.time.') ||
        key.startsWith('unlock.wait') ||
        key === 'unlock.capsLock' ||
        key === 'recovery.use' ||
        key === 'recovery.printWarning' ||
        key === 'retention.policy.intro' ||
        key === 'retention.audit.hint' ||
        key === 'retention.rule.inactive_patients.hint',
    );
    expect(keys.length).toBeGreaterThan(15);
    for (const key of keys) {
      expect(fr[key], key).not.toMatch(/ [:;?!»]|« /);
      expect(fr[key], key).not.toMatch(/\S[:;?!»]|«\S/);
      expect(fr[key], key).not.toMatch(/\u202f:|\u00a0[;?!]/);
    }
    expect(translate('fr', 'unlock.error.lockedOut')).toContain('utilisateur\u00a0: la connexion');
  });

  it('space French punctuation with non-breaking spaces in every message', () => {
    const problems: string[] = [];
    for (const [key, text] of Object.entries(fr)) {
      // Clock times (14:30) are not punctuation.
      const words = text.replace(/\d:\d/g, '');
      // No plain space, and no space at all, where a non-breaking one belongs.
      if (/ [:;?!»]|« /.test(words))
        problems.push(`${key}: plain space in ${JSON.stringify(text)}`);
      if (/[^\s\u00a0\u202f][:;?!»]|«[^\s\u00a0\u202f]/.test(words)) {
        problems.push(`${key}: no space in ${JSON.stringify(text)}`);
      }
      // A full non-breaking space before a colon and inside « », a narrow one before ; ? !
      if (/\u202f:|\u00a0[;?!]|«\u202f|\u202f»/.test(words)) {
        problems.push(`${key}: wrong kind of space in ${JSON.stringify(text)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(Object.keys(fr).length).toBeGreaterThan(900);
    expect(translate('fr', 'app.signOutConfirmTitle')).toBe('Se déconnecter\u202f?');
    expect(translate('fr', 'visits.timeHint')).toContain('14:30');
  });

  it('have no empty message', () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(fr)]) {
      expect(text.trim().length, key).toBeGreaterThan(0);
    }
  });
});
