/** Formatting and parsing helpers: dates, numbers, vital signs, human ids, recovery keys. */
import type { Language, Vitals } from './bindings';

const LOCALES: Record<Language, string> = { en: 'en-GB', fr: 'fr-FR' };

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const MIDNIGHT_UTC = /^(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?(?:Z|[+-]00:00)$/;

/** Whether `text` is a real calendar date `YYYY-MM-DD`. */
export function isCalendarDate(text: string): boolean {
  const m = DATE_ONLY.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** A calendar date `YYYY-MM-DD` (no time zone), e.g. a birth date: "9 Mar 1984". */
export function formatCalendarDate(date: string, lang: Language): string {
  if (!isCalendarDate(date)) return date;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${date}T00:00:00Z`));
}

/** An instant (RFC 3339) as its local date alone: "3 May 2025". */
export function formatLocalDate(instant: string, lang: Language, timeZone?: string): string {
  return formatInstant(instant, lang, {}, timeZone);
}

/** An instant (RFC 3339) as local date and time. */
export function formatDateTime(instant: string, lang: Language, timeZone?: string): string {
  return formatInstant(instant, lang, { hour: '2-digit', minute: '2-digit' }, timeZone);
}

/** An instant as its day, short month and year, with `more` (the time); itself if unreadable. */
function formatInstant(
  instant: string,
  lang: Language,
  more: Intl.DateTimeFormatOptions,
  timeZone?: string,
): string {
  const date = new Date(instant);
  if (Number.isNaN(date.getTime())) return instant;
  return new Intl.DateTimeFormat(LOCALES[lang], {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    ...more,
    timeZone,
  }).format(date);
}

/**
 * When a visit happened. A visit entered as a plain date is stored as midnight UTC: show it
 * as that date (not shifted by the time zone); otherwise local date and time.
 */
export function formatOccurredAt(instant: string, lang: Language, timeZone?: string): string {
  const day = DATE_ONLY.test(instant) ? instant : MIDNIGHT_UTC.exec(instant)?.[1];
  if (day) return formatCalendarDate(day, lang);
  return formatDateTime(instant, lang, timeZone);
}

const CAMERA_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/;

/**
 * When a photo was taken, by the camera's clock (`YYYY-MM-DDTHH:MM:SS`, with an offset when
 * the camera recorded one): shown as the camera read it, never shifted to this computer's
 * time zone. `dateOnly` leaves out the time.
 */
export function formatTakenAt(text: string, lang: Language, dateOnly = false): string {
  const m = CAMERA_CLOCK.exec(text);
  if (!m) return text;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const wall = new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0));
  if (Number.isNaN(wall.getTime())) return text;
  if (dateOnly) return formatCalendarDate(wall.toISOString().slice(0, 10), lang);
  return formatDateTime(wall.toISOString(), lang, 'UTC');
}

/** Today as `YYYY-MM-DD` in local time. */
export function localDate(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** `date` plus `days`, both `YYYY-MM-DD`. */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/**
 * A local date and optional time (`HH:MM`) as the backend takes them: the date alone, or
 * RFC 3339 with the local offset of that moment.
 */
export function toOccurredAt(date: string, time: string, offsetMinutes?: number): string {
  if (!time.trim()) return date;
  const [h = '0', m = '0'] = time.trim().split(':');
  const local = new Date(`${date}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:00`);
  const offset = offsetMinutes ?? -local.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const oh = String(Math.floor(abs / 60)).padStart(2, '0');
  const om = String(abs % 60).padStart(2, '0');
  return `${date}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:00${sign}${oh}:${om}`;
}

/**
 * When a visit happened, back in the form's fields (`toOccurredAt`'s inverse): a visit
 * entered as a plain date (stored as midnight UTC) gives that date and no time; any other
 * instant its local date and `HH:MM` (seconds are not shown).
 */
export function fromOccurredAt(instant: string): { date: string; time: string } {
  const day = DATE_ONLY.test(instant) ? instant : MIDNIGHT_UTC.exec(instant)?.[1];
  if (day) return { date: day, time: '' };
  const at = new Date(instant);
  if (Number.isNaN(at.getTime())) return { date: instant, time: '' };
  const pad = (n: number) => String(n).padStart(2, '0');
  return { date: localDate(at), time: `${pad(at.getHours())}:${pad(at.getMinutes())}` };
}

/** Full years between a birth date and `today` (both `YYYY-MM-DD`), or null. */
export function ageInYears(dateOfBirth: string | null | undefined, today: string): number | null {
  if (!dateOfBirth || !isCalendarDate(dateOfBirth) || !isCalendarDate(today)) return null;
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  let age = ty - by;
  if (tm < bm || (tm === bm && td < bd)) age -= 1;
  return age >= 0 ? age : null;
}

/** A number in the user's language (`36.8` or `36,8`), with at most `digits` decimals. */
export function formatNumber(value: number, lang: Language, digits = 1): string {
  return new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: digits }).format(value);
}

/** Parses a typed number; accepts a decimal comma. Blank is null, junk is NaN. */
export function parseDecimal(text: string): number | null {
  const trimmed = text.trim().replace(/\s/g, '');
  if (!trimmed) return null;
  if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)$/.test(trimmed)) return Number.NaN;
  return Number(trimmed.replace(',', '.'));
}

/** The vital signs of one visit as short texts with units, in a fixed order. */
export function formatVitals(
  v: Vitals,
  lang: Language,
): { field: keyof Vitals | 'bp'; text: string }[] {
  const out: { field: keyof Vitals | 'bp'; text: string }[] = [];
  const n = (x: number, digits = 1) => formatNumber(x, lang, digits);
  if (v.bp_systolic != null && v.bp_diastolic != null) {
    out.push({ field: 'bp', text: `${v.bp_systolic}/${v.bp_diastolic} mmHg` });
  }
  if (v.pulse != null) out.push({ field: 'pulse', text: `${v.pulse} bpm` });
  if (v.temperature_c != null) {
    out.push({ field: 'temperature_c', text: `${n(v.temperature_c)} °C` });
  }
  if (v.spo2 != null) out.push({ field: 'spo2', text: `${v.spo2} %` });
  if (v.weight_kg != null) out.push({ field: 'weight_kg', text: `${n(v.weight_kg)} kg` });
  if (v.height_cm != null) out.push({ field: 'height_cm', text: `${n(v.height_cm)} cm` });
  if (v.pain != null) out.push({ field: 'pain', text: `${v.pain}/10` });
  return out;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function checkSymbol(body: number[]): number {
  const sum = body
    .slice()
    .reverse()
    .reduce((acc, v, i) => {
      const addend = v * (i % 2 === 0 ? 2 : 1);
      return acc + Math.floor(addend / 32) + (addend % 32);
    }, 0);
  return (32 - (sum % 32)) % 32;
}

/**
 * A typed patient id in its canonical form `TS-7K3M-9Q2X`, or null when it is not one.
 * Mirrors the backend: any case, dashes and spaces optional, `TS` optional, I/L read as 1,
 * O as 0, and the Luhn mod 32 check symbol must match.
 */
export function parseHumanId(text: string): string | null {
  let compact = text.replace(/[-\s]/g, '').toUpperCase();
  if (compact.length === 10 && compact.startsWith('TS')) compact = compact.slice(2);
  if (compact.length !== 8) return null;
  const values: number[] = [];
  for (const raw of compact) {
    const c = raw === 'I' || raw === 'L' ? '1' : raw === 'O' ? '0' : raw;
    const v = CROCKFORD.indexOf(c);
    if (v < 0) return null;
    values.push(v);
  }
  const body = values.slice(0, 7);
  if (values[7] !== checkSymbol(body)) return null;
  const symbols = values.map((v) => CROCKFORD[v]).join('');
  return `TS-${symbols.slice(0, 4)}-${symbols.slice(4)}`;
}

/** The recovery key's groups of five (`XXXXX-XXXXX-…`). */
export function recoveryKeyGroups(key: string): string[] {
  return key
    .toUpperCase()
    .split(/[\s-]+/)
    .filter((g) => g.length > 0);
}

/** Whether `typed` is the last group of `key` (case, spaces and dashes ignored). */
export function confirmsLastGroup(key: string, typed: string): boolean {
  const last = recoveryKeyGroups(key).at(-1);
  return last !== undefined && typed.replace(/[\s-]/g, '').toUpperCase() === last;
}

/** The seconds to wait from a `locked_out` message ("… locked for another 30 s"), or null. */
export function lockoutSeconds(message: string): number | null {
  const m = /(\d+)\s*s\b/.exec(message);
  return m ? Number(m[1]) : null;
}
