/**
 * Sharing a record through an access grant, and opening one at the desk: the sections and
 * durations offered, how a code is shown and read, and the words for each refusal.
 */
import type { ApiError, Grant, Permission } from './bindings';
import type { MessageKey, Params } from './i18n';

/** The sections a grant may open, in the order they are offered and listed. */
export const PERMISSIONS: readonly Permission[] = [
  'emergency',
  'profile',
  'medications',
  'visits',
  'photos',
  'narratives',
];

/** The durations offered, in hours (1 hour to 30 days). */
export const DURATIONS: readonly number[] = [1, 4, 24, 72, 168, 720];

/** The duration preselected: one day. */
export const DEFAULT_DURATION = 24;

/** A duration in words: "4 hours", "3 days". */
export function durationLabel(hours: number): { key: MessageKey; params: Params } {
  return hours < 24 || hours % 24 !== 0
    ? { key: 'access.duration.hours', params: { count: hours } }
    : { key: 'access.duration.days', params: { count: hours / 24 } };
}

/** A code as shown and printed: two groups of three digits, `123 456`. */
export function formatAccessCode(code: string): string {
  const digits = code.replace(/\D/g, '');
  return digits.length === 6 ? `${digits.slice(0, 3)} ${digits.slice(3)}` : code;
}

/** The text a scanned QR carries starts with this. */
export const TOKEN_PREFIX = 'TS1:';

/**
 * What was typed or scanned at the desk: a 6-digit code (spaces and dashes allowed), a QR's
 * `TS1:` text, or something else (`digits` when it is digits of the wrong count).
 */
export type DeskInput =
  | { kind: 'empty' }
  | { kind: 'code'; code: string }
  | { kind: 'token'; token: string }
  | { kind: 'digits' }
  | { kind: 'unknown' };

export function readDeskInput(text: string): DeskInput {
  const typed = text.trim();
  if (!typed) return { kind: 'empty' };
  if (typed.slice(0, TOKEN_PREFIX.length).toUpperCase() === TOKEN_PREFIX) {
    return { kind: 'token', token: TOKEN_PREFIX + typed.slice(TOKEN_PREFIX.length) };
  }
  if (/^[\d\s-]+$/.test(typed)) {
    const digits = typed.replace(/[\s-]/g, '');
    return digits.length === 6 ? { kind: 'code', code: digits } : { kind: 'digits' };
  }
  return { kind: 'unknown' };
}

/** Why an access code or QR was refused, in words; null for any other error. */
export function refusalMessage(error: ApiError): { key: MessageKey; params?: Params } | null {
  if (error.code !== 'access_refused') return null;
  switch (error.reason) {
    case 'wrong_code':
      return { key: 'desk.refused.wrong_code' };
    case 'expired':
      return { key: 'desk.refused.expired' };
    case 'revoked':
      return { key: 'desk.refused.revoked' };
    case 'unknown_key':
      return { key: 'desk.refused.unknown_key' };
    case 'bad_signature':
      return { key: 'desk.refused.bad_signature' };
    case 'too_many_attempts':
      return {
        key: 'desk.refused.too_many_attempts',
        params: { count: error.retry_after_secs ?? 30 },
      };
    default:
      return { key: 'desk.refused.malformed' };
  }
}

/** The grant's sections, in the offered order. */
export function sectionsOf(grant: Pick<Grant, 'permissions'>): Permission[] {
  return PERMISSIONS.filter((p) => grant.permissions.includes(p));
}

/**
 * The QR's SVG document as an image address. The app's CSP lets images come from `data:`
 * (not `blob:`), and an SVG shown through `<img>` runs no script and loads nothing.
 */
export function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** Time left until `expiresAt`, in the largest whole unit, for "expires in …". */
export function timeLeft(
  expiresAt: string,
  now: number = Date.now(),
): { key: MessageKey; params: Params } {
  const minutes = Math.max(0, Math.round((Date.parse(expiresAt) - now) / 60_000));
  if (minutes < 60) return { key: 'access.left.minutes', params: { count: minutes } };
  const hours = Math.round(minutes / 60);
  if (hours < 48) return { key: 'access.left.hours', params: { count: hours } };
  return { key: 'access.left.days', params: { count: Math.round(hours / 24) } };
}
