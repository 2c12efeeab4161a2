import { describe, expect, it } from 'vitest';

import type { BackupRecord, BackupStatus } from './backend';
import {
  formatAgo,
  formatBytes,
  isOverdue,
  keyErrors,
  passphraseProblem,
  pathProblem,
  percent,
  recipientProblem,
  runnable,
  runOutcome,
  scheduleForm,
  scheduleFrom,
  scheduleProblems,
  unconfiguredError,
  wholeNumber,
} from './backups';

const HOUR = 3_600_000;
const KEY = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const NOW = Date.parse('2026-03-10T12:00:00Z');

function record(startedAt: string): BackupRecord {
  return {
    id: 'b1',
    started_at: startedAt,
    finished_at: startedAt,
    destination: '/media/usb',
    file_name: 'x.age',
    file: '/media/usb/x.age',
    kind: 'full',
    trigger: 'manual',
    status: 'ok',
    error: null,
    byte_size: 1000,
    blobs_stored: 0,
    blobs_referred: 0,
    depends_on: [],
    encryption: 'passphrase',
    verified_at: null,
    created_by: 'ana',
  };
}

function status(lastOk: string | null, warnAfterHours = 72): BackupStatus {
  const last = lastOk ? record(lastOk) : null;
  return {
    last_ok: last,
    last_attempt: last,
    overdue: false,
    warn_after_hours: warnAfterHours,
    schedule_enabled: false,
  };
}

describe('the overdue rule', () => {
  it('is overdue with no good backup, and once the newest is older than the warning age', () => {
    expect(isOverdue(status(null), NOW)).toBe(true);
    const at = new Date(NOW - 72 * HOUR).toISOString();
    expect(isOverdue(status(at), NOW)).toBe(false);
    expect(isOverdue(status(at), NOW + 1)).toBe(true);
    expect(isOverdue(status(at, 100), NOW + 1)).toBe(false);
  });

  it('says how long ago in the largest sensible unit, in each language', () => {
    const ago = (ms: number, lang: 'en' | 'fr' = 'en') =>
      formatAgo(new Date(NOW - ms).toISOString(), lang, NOW);
    expect(ago(5 * 60_000)).toBe('5 minutes ago');
    expect(ago(3 * HOUR)).toBe('3 hours ago');
    expect(ago(5 * 24 * HOUR)).toBe('5 days ago');
    expect(ago(5 * 24 * HOUR, 'fr')).toBe('il y a 5 jours');
  });
});

describe('sizes and progress', () => {
  it('formats sizes in units people read', () => {
    expect(formatBytes(0, 'en')).toBe('0 kB');
    expect(formatBytes(512, 'en')).toBe('0.5 kB');
    expect(formatBytes(950_000, 'en')).toBe('950 kB');
    expect(formatBytes(12_400_000, 'en')).toBe('12.4 MB');
    expect(formatBytes(1_200_000_000, 'fr')).toMatch(/^1,2\s?Go$/);
  });

  it('gives whole percents and never more than 100', () => {
    expect(percent({ done_bytes: 0, total_bytes: 0 })).toBe(0);
    expect(percent({ done_bytes: 1, total_bytes: 3 })).toBe(33);
    expect(percent({ done_bytes: 5, total_bytes: 4 })).toBe(100);
  });
});

describe('form checks', () => {
  it('wants full paths', () => {
    expect(pathProblem('')).toBe('backups.error.pathMissing');
    expect(pathProblem('backups')).toBe('backups.error.pathNotFull');
    expect(pathProblem('~someone/x')).toBe('backups.error.pathNotFull');
    for (const ok of ['/media/usb', ' ~/backups ', '~', 'D:\\backups']) {
      expect(pathProblem(ok), ok).toBeNull();
    }
  });

  it('wants a passphrase of 12 characters, typed the same twice', () => {
    expect(passphraseProblem('', '')).toBe('backups.error.passphraseMissing');
    expect(passphraseProblem('eleven char', 'eleven char')).toBe('backups.error.passphraseShort');
    expect(passphraseProblem('twelve chars', 'twelve charz')).toBe(
      'backups.error.passphraseMismatch',
    );
    expect(passphraseProblem('twelve chars', 'twelve chars')).toBeNull();
  });

  it('wants an age public key', () => {
    expect(recipientProblem(' ')).toBe('backups.error.recipientMissing');
    expect(recipientProblem('AGE-SECRET-KEY-1QQQQ')).toBe('backups.error.recipient');
    expect(
      recipientProblem(' age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p '),
    ).toBeNull();
  });

  it('reads whole numbers within bounds', () => {
    expect(wholeNumber(' 24 ', 1, 720)).toBe(24);
    expect(wholeNumber('0', 1, 720)).toBeNull();
    expect(wholeNumber('2.5', 1, 720)).toBeNull();
    expect(wholeNumber('721', 1, 720)).toBeNull();
  });

  it('checks the schedule field by field and builds what is saved, with no passphrase', () => {
    const form = scheduleForm({
      enabled: false,
      interval_hours: 24,
      destinations: [],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: null,
    });
    expect(form.destinations).toEqual(['']);
    expect(form).not.toHaveProperty('passphrase');
    expect(scheduleProblems(form)).toEqual({});

    form.enabled = true;
    form.interval_hours = '0';
    form.destinations = ['/media/usb', 'relative'];
    const problems = scheduleProblems(form);
    expect(problems.interval_hours).toBe('backups.error.interval');
    expect(problems.destination).toEqual({ 1: 'backups.error.pathNotFull' });
    expect(problems).not.toHaveProperty('passphrase');

    form.interval_hours = '12';
    form.destinations = [' /media/usb ', ''];
    form.recipient = ` ${KEY} `;
    expect(scheduleProblems(form)).toEqual({});
    expect(scheduleFrom(form)).toEqual({
      enabled: true,
      interval_hours: 12,
      destinations: ['/media/usb'],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: KEY,
    });

    form.destinations = [''];
    expect(scheduleProblems(form).destinations).toBe('backups.error.noDestination');
  });

  it('requires the public key once the schedule is on, and checks any key typed', () => {
    const form = scheduleForm({
      enabled: false,
      interval_hours: 24,
      destinations: ['/media/usb'],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: null,
    });
    expect(form.recipient).toBe('');
    expect(scheduleProblems(form).recipient).toBeUndefined();
    expect(scheduleFrom(form).recipient).toBeNull();

    form.enabled = true;
    expect(scheduleProblems(form).recipient).toBe('backups.error.scheduleRecipientMissing');
    form.recipient = '   ';
    expect(scheduleProblems(form).recipient).toBe('backups.error.scheduleRecipientMissing');
    form.recipient = 'AGE-SECRET-KEY-1QQQQ';
    expect(scheduleProblems(form).recipient).toBe('backups.error.recipient');
    form.enabled = false;
    expect(scheduleProblems(form).recipient).toBe('backups.error.recipient');
    form.recipient = KEY;
    form.enabled = true;
    expect(scheduleProblems(form)).toEqual({});
  });

  it('tells when the configured backup can run, and how a run went', () => {
    const schedule = {
      enabled: false,
      interval_hours: 24,
      destinations: ['/media/usb'],
      keep_last: 7,
      keep_days: 30,
      warn_after_hours: 72,
      recipient: KEY,
    };
    // Whether or not the schedule is on.
    expect(runnable(schedule)).toBe(true);
    expect(runnable({ ...schedule, destinations: [] })).toBe(false);
    expect(runnable({ ...schedule, recipient: null })).toBe(false);

    const good = { destination: '/media/usb', backup: record(new Date(NOW).toISOString()) };
    const bad = { destination: '/media/unplugged', backup: null, error: 'not available' };
    expect(runOutcome([{ ...good, error: null, pruned: 0 }])).toBe('done');
    expect(
      runOutcome([
        { ...good, error: null, pruned: 1 },
        { ...bad, pruned: 0 },
      ]),
    ).toBe('partial');
    expect(runOutcome([{ ...bad, pruned: 0 }])).toBe('failed');

    expect(unconfiguredError({ code: 'invalid', field: 'destination' })).toBe(true);
    expect(unconfiguredError({ code: 'invalid', field: 'recipient' })).toBe(true);
    expect(unconfiguredError({ code: 'invalid', field: 'interval' })).toBe(false);
    expect(unconfiguredError({ code: 'denied' })).toBe(false);
  });

  it('puts a wrong key or password on its field', () => {
    expect(keyErrors({ code: 'bad_credentials' }, 'passphrase')).toEqual({
      password: 'backups.error.wrongPassword',
    });
    expect(keyErrors({ code: 'invalid', field: 'passphrase' }, 'passphrase')).toEqual({
      passphrase: 'backups.error.wrongPassphrase',
    });
    expect(keyErrors({ code: 'invalid', field: 'passphrase' }, 'identity')).toEqual({
      identity: 'backups.error.wrongIdentity',
    });
    expect(keyErrors({ code: 'integrity' }, 'passphrase')).toBeNull();
  });
});
