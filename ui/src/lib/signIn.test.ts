import { describe, expect, it } from 'vitest';

import { ERROR_CODES } from './backend';
import { translate, type MessageKey, type Params } from './i18n';
import { signInWords, waitInWords } from './signIn';

const inEnglish = (key: MessageKey, params?: Params) => translate('en', key, params);
const inFrench = (key: MessageKey, params?: Params) => translate('fr', key, params);

describe('a lock-out wait in words', () => {
  it('says minutes and seconds, in the singular where it is one', () => {
    expect(waitInWords(65, inEnglish)).toBe('1 minute and 5 seconds');
    expect(waitInWords(60, inEnglish)).toBe('1 minute');
    expect(waitInWords(3600, inEnglish)).toBe('60 minutes');
    expect(waitInWords(121, inEnglish)).toBe('2 minutes and 1 second');
    expect(waitInWords(30, inEnglish)).toBe('30 seconds');
    expect(waitInWords(1, inEnglish)).toBe('1 second');
    // A part of a second left is a whole second to wait.
    expect(waitInWords(0.2, inEnglish)).toBe('1 second');
  });

  it('says them in French', () => {
    expect(waitInWords(65, inFrench)).toBe('1 minute et 5 secondes');
    expect(waitInWords(121, inFrench)).toBe('2 minutes et 1 seconde');
    expect(waitInWords(1, inFrench)).toBe('1 seconde');
    expect(waitInWords(120, inFrench)).toBe('2 minutes');
  });
});

describe('what the sign-in screen says of a refusal', () => {
  const codes = ERROR_CODES;

  it('has a sentence of its own for every code, never the backend’s', () => {
    for (const code of codes) {
      const words = signInWords(code);
      expect(translate('en', words.title), code).not.toBe(words.title);
      if (words.text) expect(translate('fr', words.text), code).not.toBe(words.text);
    }
    // A lock-out's own text holds a second countdown ("locked for another 30 s"): never shown.
    expect(signInWords('locked_out').details).toBe(false);
    expect(signInWords('internal')).toMatchObject({ text: 'unlock.error.other', details: true });
  });
});
