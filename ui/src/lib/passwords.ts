/**
 * What the password forms say when the backend refuses: the user's own password change (at
 * the first sign-in after an admin chose the password, or from Settings) and an admin's
 * password set with the recovery key. A refusal of a field is told at that field; anything
 * else in an alert, in words of the UI's own (the backend's text at most under "Details for
 * support").
 */
import type { ApiError } from './backend';
import { lockoutSeconds } from './format';
import type { MessageKey } from './i18n';
import { passwordProblem } from './validation';

/** A refusal told at the field `at`. */
export type FieldRefusal<Field extends string> = { at: Field; words: MessageKey };

/** A refusal told in an alert above the button. */
export type AlertRefusal = {
  at: 'alert';
  words: MessageKey;
  /** Whether the backend's own text is offered under "Details for support". */
  details: boolean;
  /** Seconds before trying again, for a lock-out. */
  wait?: number;
};

/** Why core refused a new password, by the form's own check (which mirrors core's rules). */
const newPasswordWords = (password: string, username: string): MessageKey =>
  passwordProblem(password, username) ?? 'setup.passwordHint';

/** A refusal of the signed-in user's own password change (`session_change_password`). */
export function changeRefusal(
  error: ApiError,
  newPassword: string,
  username: string,
): FieldRefusal<'current' | 'new'> | AlertRefusal {
  if (error.code === 'invalid' && error.field === 'current password') {
    return { at: 'current', words: 'password.error.wrongCurrent' };
  }
  if (error.code === 'invalid' && error.field === 'new password') {
    return { at: 'new', words: 'password.sameAsCurrent' };
  }
  if (error.code === 'invalid' && error.field === 'password') {
    return { at: 'new', words: newPasswordWords(newPassword, username) };
  }
  if (error.code === 'locked_out') {
    const wait = error.retry_after_secs ?? lockoutSeconds(error.message) ?? 30;
    return { at: 'alert', words: 'password.error.lockedOut', details: false, wait };
  }
  return { at: 'alert', words: 'password.error.other', details: true };
}

/** A refusal of the recovery key (`recovery_admins`) or of the password it sets (`recovery_set_password`). */
export function recoveryRefusal(
  error: ApiError,
  newPassword: string,
  username: string,
): FieldRefusal<'key' | 'new'> | AlertRefusal {
  // A wrong key and a mistyped one (a bad character, length or checksum) alike.
  if (error.code === 'bad_credentials') return { at: 'key', words: 'recover.error.wrongKey' };
  if (error.code === 'invalid' && error.field === 'password') {
    return { at: 'new', words: newPasswordWords(newPassword, username) };
  }
  if (error.code === 'not_found') {
    return { at: 'alert', words: 'recover.error.notAdmin', details: false };
  }
  return { at: 'alert', words: 'recover.error.other', details: true };
}
