/**
 * Pure helpers of the Backups screen and the overdue warning: the warning's rule (core's,
 * recomputed as time passes so no polling is needed), sizes and ages in words, progress,
 * and the form checks made before anything is sent.
 */
import type { BackupSchedule, BackupStatus, Language, Progress, ScheduledRun } from './bindings';
import type { MessageKey } from './i18n';
import { locale } from './i18n';

const HOUR_MS = 3_600_000;

/** The shortest passphrase a new backup accepts (the shell's and core's rule). */
export const MIN_PASSPHRASE = 12;

/**
 * Whether backups are overdue at `now`: no good backup yet, or the newest is older than the
 * warning age. The same rule as core's `backup::status`, so the warning appears on time in
 * an app left open, without asking the backend again.
 */
export function isOverdue(status: BackupStatus, now: number = Date.now()): boolean {
  const last = status.last_ok ? Date.parse(status.last_ok.started_at) : Number.NaN;
  if (Number.isNaN(last)) return true;
  return now - last > status.warn_after_hours * HOUR_MS;
}

/** "5 days ago", "il y a 3 heures": how long ago `instant` was, in the largest sensible unit. */
export function formatAgo(instant: string, lang: Language, now: number = Date.now()): string {
  const at = Date.parse(instant);
  if (Number.isNaN(at)) return instant;
  const minutes = Math.max(0, Math.round((now - at) / 60_000));
  const format = new Intl.RelativeTimeFormat(locale(lang), { numeric: 'auto' });
  if (minutes < 60) return format.format(-minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (hours < 48) return format.format(-hours, 'hour');
  return format.format(-Math.round(hours / 24), 'day');
}

/** A size in bytes as people read it: "0.5 kB", "12.4 MB", "1,2 Go". */
export function formatBytes(bytes: number, lang: Language): string {
  const units = ['kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return new Intl.NumberFormat(locale(lang), {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: value >= 100 ? 0 : 1,
  }).format(value);
}

/** Whole percent done, 0 to 100. */
export function percent(progress: Progress): number {
  if (progress.total_bytes <= 0) return 0;
  return Math.min(100, Math.floor((progress.done_bytes * 100) / progress.total_bytes));
}

/**
 * A path typed by the user: it must be a full path (from the root, the home directory `~`,
 * or a Windows drive), since the app's own working directory means nothing to them.
 */
export function pathProblem(text: string): MessageKey | null {
  const path = text.trim();
  if (!path) return 'backups.error.pathMissing';
  const full = /^(\/|~(\/|$)|[A-Za-z]:[\\/]|\\\\)/.test(path);
  return full ? null : 'backups.error.pathNotFull';
}

/**
 * `path` moved into `folder` (a folder chosen with the system's chooser): its file name kept,
 * with the folder's own separator (`\` for a Windows folder).
 */
export function inFolder(folder: string, path: string): string {
  const name = path.trim().split(/[\\/]/).pop() ?? '';
  const separator = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return `${folder.replace(/[\\/]+$/, '')}${separator}${name}`;
}

/** A new passphrase and its repetition. */
export function passphraseProblem(passphrase: string, repeat: string): MessageKey | null {
  if (!passphrase) return 'backups.error.passphraseMissing';
  if ([...passphrase].length < MIN_PASSPHRASE) return 'backups.error.passphraseShort';
  if (passphrase !== repeat) return 'backups.error.passphraseMismatch';
  return null;
}

/** An age public key: `age1` and bech32 characters (the backend checks it fully). */
export function recipientProblem(text: string): MessageKey | null {
  const key = text.trim();
  if (!key) return 'backups.error.recipientMissing';
  return /^age1[02-9ac-hj-np-z]{20,}$/.test(key) ? null : 'backups.error.recipient';
}

/** A whole number typed into a field, within `min` and `max`, or null. */
export function wholeNumber(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= min && value <= max ? value : null;
}

/** The schedule as its form edits it: numbers as typed text. */
export type ScheduleForm = {
  enabled: boolean;
  interval_hours: string;
  destinations: string[];
  keep_last: string;
  keep_days: string;
  warn_after_hours: string;
  /** The age public key the backups are locked with (empty: none yet). */
  recipient: string;
};

export function scheduleForm(s: BackupSchedule): ScheduleForm {
  return {
    enabled: s.enabled,
    interval_hours: String(s.interval_hours),
    destinations: s.destinations.length > 0 ? [...s.destinations] : [''],
    keep_last: String(s.keep_last),
    keep_days: String(s.keep_days),
    warn_after_hours: String(s.warn_after_hours),
    recipient: s.recipient ?? '',
  };
}

/** What is wrong with the schedule form, field by field (empty when nothing). */
export type ScheduleProblems = Partial<
  Record<
    | 'interval_hours'
    | 'keep_last'
    | 'keep_days'
    | 'warn_after_hours'
    | 'destinations'
    | 'recipient',
    MessageKey
  >
> & { destination?: Record<number, MessageKey> };

/**
 * Checks the form. A schedule that is on needs a folder and the public key its backups are
 * locked with (the vault keeps nothing that opens them); one that is off may lack either.
 */
export function scheduleProblems(form: ScheduleForm): ScheduleProblems {
  const problems: ScheduleProblems = {};
  if (wholeNumber(form.interval_hours, 1, 720) === null) {
    problems.interval_hours = 'backups.error.interval';
  }
  if (wholeNumber(form.keep_last, 1, 10_000) === null)
    problems.keep_last = 'backups.error.keepLast';
  if (wholeNumber(form.keep_days, 0, 36_500) === null)
    problems.keep_days = 'backups.error.keepDays';
  if (wholeNumber(form.warn_after_hours, 1, 100_000) === null) {
    problems.warn_after_hours = 'backups.error.warnAfter';
  }
  const destination: Record<number, MessageKey> = {};
  form.destinations.forEach((d, i) => {
    if (!d.trim()) return;
    const problem = pathProblem(d);
    if (problem) destination[i] = problem;
  });
  if (Object.keys(destination).length > 0) problems.destination = destination;
  if (form.enabled && !form.destinations.some((d) => d.trim())) {
    problems.destinations = 'backups.error.noDestination';
  }
  if (form.recipient.trim()) {
    const problem = recipientProblem(form.recipient);
    if (problem) problems.recipient = problem;
  } else if (form.enabled) {
    problems.recipient = 'backups.error.scheduleRecipientMissing';
  }
  return problems;
}

export function hasProblems(problems: ScheduleProblems): boolean {
  return Object.keys(problems).length > 0;
}

/** The schedule to save from a checked form. */
export function scheduleFrom(form: ScheduleForm): BackupSchedule {
  return {
    enabled: form.enabled,
    interval_hours: Number(form.interval_hours.trim()),
    destinations: form.destinations.map((d) => d.trim()).filter(Boolean),
    keep_last: Number(form.keep_last.trim()),
    keep_days: Number(form.keep_days.trim()),
    warn_after_hours: Number(form.warn_after_hours.trim()),
    recipient: form.recipient.trim() || null,
  };
}

/**
 * Whether the backup an admin configured can run now (`backup_run_now`): it has at least one
 * folder and a public key to lock its backups with, whether or not the schedule is on.
 */
export function runnable(schedule: BackupSchedule): boolean {
  return schedule.destinations.length > 0 && !!schedule.recipient?.trim();
}

/** How each folder of a run of the configured backup ended, in all. */
export type RunOutcome = 'done' | 'partial' | 'failed';

export function runOutcome(runs: readonly ScheduledRun[]): RunOutcome {
  const good = runs.filter((r) => r.backup !== null && r.error === null).length;
  if (good === runs.length) return 'done';
  return good > 0 ? 'partial' : 'failed';
}

/**
 * Whether `backup_run_now` refused because nothing (or not enough) is configured: no folder
 * or no public key. Any other refusal is shown as it came.
 */
export function unconfiguredError(error: { code: string; field?: string }): boolean {
  return error.code === 'invalid' && (error.field === 'destination' || error.field === 'recipient');
}

/**
 * Whether `backup_restore` refused for want of a reason: the vault being replaced cannot be
 * read, so patients erased since the backup cannot be erased again after the restore, and
 * going on anyway needs a reason (it is recorded). Nothing was restored.
 */
export function reasonRefused(error: { code: string; field?: string }): boolean {
  return error.code === 'invalid' && error.field === 'override_reason';
}

/** Tables named in a restore report, in words; others are shown by their name. */
const TABLES: Record<string, MessageKey> = {
  audit_log: 'backups.table.audit_log',
  consents: 'backups.table.consents',
  encounters: 'backups.table.encounters',
  narratives: 'backups.table.narratives',
  patients: 'backups.table.patients',
  photos: 'backups.table.photos',
  provider_credentials: 'backups.table.provider_credentials',
  staff: 'backups.table.staff',
};

export function tableLabel(table: string): MessageKey | null {
  return TABLES[table] ?? null;
}

/** Where an error from verifying or restoring a backup belongs in its dialog. */
export type KeyErrors = { passphrase?: MessageKey; identity?: MessageKey; password?: MessageKey };

/**
 * Splits an error of `backup_verify`/`backup_restore` into field messages (a wrong key, a
 * wrong password) and what is shown as an alert (everything else).
 */
export function keyErrors(
  error: { code: string; field?: string },
  mode: 'passphrase' | 'identity',
): KeyErrors | null {
  if (error.code === 'bad_credentials') return { password: 'backups.error.wrongPassword' };
  if (error.code === 'invalid' && error.field === 'passphrase') {
    return mode === 'passphrase'
      ? { passphrase: 'backups.error.wrongPassphrase' }
      : { identity: 'backups.error.wrongIdentity' };
  }
  return null;
}

/** The heading of an error about a backup file: a damaged file is not a damaged vault. */
export function backupErrorTitle(code: string): MessageKey | null {
  return code === 'integrity' ? 'backups.error.damaged' : null;
}
