import { describe, expect, it } from 'vitest';

import type { ApiError } from './backend';
import { changeRefusal, recoveryRefusal } from './passwords';

const invalid = (field: string): ApiError => ({ code: 'invalid', field, message: `${field}: no` });

describe('a refused password change in words', () => {
  it('tells a field’s refusal at the field', () => {
    expect(changeRefusal(invalid('current password'), 'a new password', 'ana')).toEqual({
      at: 'current',
      words: 'password.error.wrongCurrent',
    });
    expect(changeRefusal(invalid('new password'), 'a new password', 'ana')).toEqual({
      at: 'new',
      words: 'password.sameAsCurrent',
    });
    // Core's rules, in the form's own words for the password typed.
    expect(changeRefusal(invalid('password'), 'short', 'ana')).toEqual({
      at: 'new',
      words: 'validation.passwordShort',
    });
    expect(changeRefusal(invalid('password'), 'fine and long', 'ana')).toEqual({
      at: 'new',
      words: 'setup.passwordHint',
    });
  });

  it('tells a lock-out with its wait, and anything else with the details for support', () => {
    expect(
      changeRefusal(
        { code: 'locked_out', message: 'locked for another 45 s', retry_after_secs: 45 },
        'x',
        'ana',
      ),
    ).toEqual({ at: 'alert', words: 'password.error.lockedOut', details: false, wait: 45 });
    expect(changeRefusal({ code: 'internal', message: 'disk full' }, 'x', 'ana')).toEqual({
      at: 'alert',
      words: 'password.error.other',
      details: true,
    });
  });
});

describe('a refused recovery in words', () => {
  it('tells a wrong or mistyped key at the key, and the rest where it belongs', () => {
    expect(recoveryRefusal({ code: 'bad_credentials', message: 'x' }, '', '')).toEqual({
      at: 'key',
      words: 'recover.error.wrongKey',
    });
    expect(recoveryRefusal(invalid('password'), 'ana', 'ana')).toEqual({
      at: 'new',
      words: 'validation.passwordShort',
    });
    expect(recoveryRefusal({ code: 'not_found', message: 'choose an admin' }, '', '')).toEqual({
      at: 'alert',
      words: 'recover.error.notAdmin',
      details: false,
    });
    expect(recoveryRefusal({ code: 'integrity', message: 'damaged' }, '', '')).toEqual({
      at: 'alert',
      words: 'recover.error.other',
      details: true,
    });
  });
});
