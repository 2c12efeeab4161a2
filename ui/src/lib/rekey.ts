/**
 * Replacing the vault key (`vault_rekey`, on the Staff screen): its refusals in words, its
 * progress and what it did. The backend's own text is never the message; where it may help
 * support, it is offered under "Details".
 */
import type { ApiError, Progress, VaultRekeyed } from './bindings';
import { percent } from './backups';
import type { MessageKey, Params } from './i18n';

export type RekeyErrorWords = {
  /** The alert's heading. */
  title: MessageKey;
  /** What happened and what to do. */
  text: MessageKey;
  params?: Params;
  /** Whether the backend's own text is offered under "Details" (for support). */
  details: boolean;
};

/**
 * What the Staff screen says when `vault_rekey` fails. `conflict` is core's "vault in use":
 * another window or command has the vault open, and it cannot take it for itself alone.
 */
export function rekeyErrorWords(error: ApiError): RekeyErrorWords {
  const title: MessageKey = 'staff.rekey.error.title';
  switch (error.code) {
    case 'conflict':
      return { title, text: 'staff.rekey.error.inUse', details: false };
    case 'denied':
      return { title, text: 'staff.rekey.error.denied', details: false };
    case 'invalid':
      // Core's message names the accounts or the photo file: kept under "Details".
      if (error.field === 'accounts')
        return { title, text: 'staff.rekey.error.accounts', details: true };
      if (error.field === 'photos')
        return { title, text: 'staff.rekey.error.photos', details: true };
      break;
  }
  return { title, text: 'staff.rekey.error.other', details: true };
}

/** "Re-encrypting… 42%": how far the re-encryption is (0% before the first report). */
export function rekeyProgressWords(
  progress: Progress | null,
  translate: (key: MessageKey, params?: Params) => string,
): string {
  return translate('staff.rekey.progress', { percent: progress ? percent(progress) : 0 });
}

/**
 * "2 accounts, 15 photo files re-encrypted.": what the rekey did, through `translate` (`t`,
 * or `translate` bound to a language).
 */
export function rekeySummary(
  done: Pick<VaultRekeyed, 'accounts' | 'photo_files'>,
  translate: (key: MessageKey, params?: Params) => string,
): string {
  return translate('staff.rekey.summary', {
    accounts: translate('staff.rekey.accounts', { count: done.accounts }),
    photos: translate('staff.rekey.photoFiles', { count: done.photo_files }),
  });
}
