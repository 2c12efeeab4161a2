import { describe, expect, it } from 'vitest';

import type { ApiError } from './bindings';
import { translate, type MessageKey, type Params } from './i18n';
import { mergeErrorWords, movedWords } from './merge';

const en = (key: MessageKey, params?: Params) => translate('en', key, params);
const fr = (key: MessageKey, params?: Params) => translate('fr', key, params);

/** The words shown for `error`, in English. */
function shown(error: ApiError, change: 'merge' | 'undo') {
  const words = mergeErrorWords(error, change);
  return { title: en(words.title), text: en(words.text), details: words.details };
}

describe('what a merge moved, in words', () => {
  it('counts each kind of row, a missing one as none', () => {
    expect(movedWords({ encounters: 2, narratives: 1, photos: 0 }, en)).toBe(
      '2 visits, 1 narrative, 0 photos and 0 consents moved.',
    );
    expect(movedWords({ encounters: 1, narratives: 0, photos: 3, consents: 1 }, fr)).toBe(
      '1 consultation, 0 récit, 3 photos et 1 consentement déplacés.',
    );
  });
});

describe('refusals of a merge, in words', () => {
  it('tells a record others were merged into from a record in the bin', () => {
    const hasMerges = shown(
      {
        code: 'conflict',
        message:
          'other records were merged into TS-0000-0016; merge into TS-0000-0016 instead, or undo those merges first',
      },
      'merge',
    );
    expect(hasMerges.title).toBe('The records were not merged.');
    expect(hasMerges.text).toContain('Other records were already merged into the record you chose');
    expect(hasMerges.details).toBe(false);

    const inBin = shown(
      { code: 'conflict', message: 'patient TS-0000-0016 is deleted; restore it first' },
      'merge',
    );
    expect(inBin.text).toBe(
      'One of the two records is in the bin. Restore it first, or choose another record.',
    );
  });

  it('says the same record cannot be merged into itself', () => {
    const same = shown(
      {
        code: 'invalid',
        field: 'patient',
        message: 'patient: a record cannot be merged into itself',
      },
      'merge',
    );
    expect(same.text).toBe('This is the same record: choose the other record of this person.');
    expect(same.details).toBe(false);
  });

  it('says a merge can no longer be undone', () => {
    const final = shown(
      {
        code: 'conflict',
        message:
          'patient TS-0000-0016 was not merged into another record, or its merge can no longer be undone',
      },
      'undo',
    );
    expect(final.title).toBe('The merge was not undone.');
    expect(final.text).toBe(
      'This merge can no longer be undone: it was undone already, or the bin was emptied.',
    );
  });

  it('keeps anything else’s text for support, never as the message', () => {
    const other = shown({ code: 'internal', message: 'database is locked' }, 'merge');
    expect(other.text).not.toContain('database');
    expect(other.details).toBe(true);
    expect(shown({ code: 'denied', message: 'clinician may not patient.merge' }, 'undo').text).toBe(
      'Only administrators may merge records.',
    );
  });
});
