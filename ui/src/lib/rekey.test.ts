import { describe, expect, it } from 'vitest';

import type { ApiError } from './bindings';
import { translate, type MessageKey, type Params } from './i18n';
import { rekeyErrorWords, rekeyProgressWords, rekeySummary } from './rekey';

const en = (key: MessageKey, params?: Params) => translate('en', key, params);
const fr = (key: MessageKey, params?: Params) => translate('fr', key, params);

/** The words shown for `error`, in English: the heading and the sentence. */
function shown(error: ApiError, lang = en) {
  const words = rekeyErrorWords(error);
  return { title: lang(words.title), text: lang(words.text, words.params), details: words.details };
}

describe('replacing the vault key: refusals in words', () => {
  it('says the vault is in use by another window or command, never the code', () => {
    const inUse: ApiError = {
      code: 'conflict',
      message:
        'the vault is in use by another session: close the app (or wait for the other command) and try again',
    };
    const { title, text, details } = shown(inUse);
    expect(title).toBe('The vault key was not replaced.');
    expect(text).toBe(
      'Another Tessera window or command is using this vault. Close the other window, or wait for the command to end, then try again. Nothing was changed.',
    );
    // The backend's sentence adds nothing to these words.
    expect(details).toBe(false);
    expect(`${title} ${text}`).not.toMatch(/conflict|session/);

    const inFrench = shown(inUse, fr);
    expect(inFrench.title).toBe('La clé du coffre n’a pas été remplacée.');
    expect(inFrench.text).toContain('Une autre fenêtre ou commande Tessera utilise ce coffre.');
  });

  it('says some accounts must sign in once first, their names kept under the details', () => {
    const message =
      'accounts: eva, rui must sign in once (or be disabled) before the key can be replaced';
    const { text, details } = shown({ code: 'invalid', field: 'accounts', message });
    expect(text).toBe(
      'Some accounts must sign in once (or be disabled) before the key can be replaced; their names are in the details. Nothing was changed.',
    );
    expect(details).toBe(true);
    expect(shown({ code: 'invalid', field: 'accounts', message }, fr).text).toBe(
      'Certains comptes doivent se connecter une fois (ou être désactivés) avant que la clé puisse être remplacée\u202f; leurs noms figurent dans les détails. Rien n’a été modifié.',
    );
  });

  it('tells a missing photo file, and anything else with the details kept for support', () => {
    const photo = shown({
      code: 'invalid',
      field: 'photos',
      message: 'photos: photo file 0190… is missing or damaged; run `tessera vault check`',
    });
    expect(photo.text).toContain('A photo file is missing or damaged.');
    expect(photo.details).toBe(true);

    const other = shown({ code: 'internal', message: 'cannot flush /x: os error 28' });
    expect(other.title).toBe('The vault key was not replaced.');
    expect(other.text).toContain('Tessera could not replace the vault key.');
    expect(other.details).toBe(true);
    // A refusal of another field is told the general way.
    expect(rekeyErrorWords({ code: 'invalid', field: 'patient', message: 'x' }).text).toBe(
      'staff.rekey.error.other',
    );
    expect(rekeyErrorWords({ code: 'denied', message: 'clinician may not vault.rekey' }).text).toBe(
      'staff.rekey.error.denied',
    );
  });
});

describe('replacing the vault key: progress and outcome', () => {
  it('says how far it is, in whole percent', () => {
    expect(rekeyProgressWords(null, en)).toBe('Re-encrypting… 0%');
    expect(rekeyProgressWords({ done_bytes: 1, total_bytes: 3 }, en)).toBe('Re-encrypting… 33%');
    expect(rekeyProgressWords({ done_bytes: 3, total_bytes: 3 }, fr)).toBe(
      'Rechiffrement… 100\u00a0%',
    );
  });

  it('sums up what was re-encrypted, with plurals in both languages', () => {
    expect(rekeySummary({ accounts: 3, photo_files: 12 }, en)).toBe(
      '3 accounts, 12 photo files re-encrypted.',
    );
    expect(rekeySummary({ accounts: 1, photo_files: 1 }, en)).toBe(
      '1 account, 1 photo file re-encrypted.',
    );
    expect(rekeySummary({ accounts: 2, photo_files: 0 }, en)).toBe(
      '2 accounts, 0 photo files re-encrypted.',
    );
    expect(rekeySummary({ accounts: 2, photo_files: 0 }, fr)).toBe(
      '2 comptes, 0 fichier photo rechiffrés.',
    );
  });
});
