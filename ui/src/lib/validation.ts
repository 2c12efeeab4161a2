/** Checks the UI can make before asking the backend (which checks again, and decides). */
import type { MessageKey } from './i18n';

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const RESERVED = ['recovery-key', 'recovery', 'system'];

/** Why a user name would be refused, or null. */
export function usernameProblem(name: string): MessageKey | null {
  const n = name.trim().toLowerCase();
  if (!n) return 'form.required';
  if (!USERNAME.test(n)) return 'validation.username';
  if (RESERVED.includes(n)) return 'validation.usernameReserved';
  return null;
}

/** Why a new password would be refused, or null. */
export function passwordProblem(password: string, username: string): MessageKey | null {
  if (password.length === 0) return 'form.required';
  if ([...password].length < 10) return 'validation.passwordShort';
  if (new TextEncoder().encode(password).length > 1024) return 'validation.passwordLong';
  if (password.trim().toLowerCase() === username.trim().toLowerCase()) {
    return 'validation.passwordIsUsername';
  }
  return null;
}
