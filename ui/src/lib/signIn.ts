/**
 * What the sign-in screen says when the backend refuses a sign-in: a plain sentence for each
 * error code (the backend's own text, e.g. "os error 2", is never the message; it is kept
 * behind a "Details" disclosure where it can help support), and a lock-out's wait in words.
 */
import type { ErrorCode } from './backend';
import type { MessageKey, Params } from './i18n';

export type SignInWords = {
  /** The alert's heading. */
  title: MessageKey;
  /** What happened and what to do, or null where the screen says it otherwise. */
  text: MessageKey | null;
  /** Whether the backend's own text is offered under "Details" (for support). */
  details: boolean;
};

const OTHER: SignInWords = {
  title: 'unlock.error.title',
  text: 'unlock.error.other',
  details: true,
};

/** The words for each code `session_unlock` can answer with. */
const WORDS: Record<ErrorCode, SignInWords> = {
  // The backend's text adds nothing to these, and a lock-out's would be a second countdown.
  bad_credentials: {
    title: 'error.bad_credentials',
    text: 'unlock.error.badCredentials',
    details: false,
  },
  locked_out: { title: 'error.locked_out', text: 'unlock.error.lockedOut', details: false },
  // The screen explains a damaged vault and offers a restore below the alert.
  integrity: { title: 'error.integrity', text: null, details: true },
  not_found: { title: 'unlock.error.title', text: 'unlock.error.notFound', details: true },
  conflict: { title: 'unlock.error.title', text: 'unlock.error.conflict', details: true },
  denied: { title: 'unlock.error.title', text: 'unlock.error.denied', details: true },
  // A sign-in says so in its answer (`must_change_password`), never as a refusal.
  password_change_required: OTHER,
  invalid: { title: 'unlock.error.title', text: 'unlock.error.invalid', details: true },
  likely_duplicate: OTHER,
  no_session: OTHER,
  cancelled: OTHER,
  access_refused: OTHER,
  bundle_refused: OTHER,
  bundle_damaged: OTHER,
  internal: OTHER,
};

/** What the sign-in screen says for a refusal with `code`. */
export function signInWords(code: ErrorCode): SignInWords {
  return WORDS[code] ?? OTHER;
}

/**
 * A wait in words: "1 minute and 5 seconds", "45 seconds", "2 minutes", through `translate`
 * (`t`, or `translate` bound to a language). `seconds` is rounded up to a whole second.
 */
export function waitInWords(
  seconds: number,
  translate: (key: MessageKey, params?: Params) => string,
): string {
  const whole = Math.max(0, Math.ceil(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const inMinutes = translate('unlock.time.minutes', { count: minutes });
  const inSeconds = translate('unlock.time.seconds', { count: rest });
  if (minutes === 0) return inSeconds;
  if (rest === 0) return inMinutes;
  return translate('unlock.time.both', { minutes: inMinutes, seconds: inSeconds });
}
