import { describe, expect, it } from 'vitest';

import { t, translate } from '../i18n';
import { isLanguage, language, LanguageStore } from './language.svelte';

describe('language', () => {
  it('switches the language t() reads', () => {
    language.set('en');
    expect(t('nav.patients')).toBe('Patients');
    expect(t('app.lock')).toBe('Lock');
    language.set('fr');
    expect(t('app.lock')).toBe('Verrouiller');
    language.set('en');
  });

  it('ignores unknown languages', () => {
    const store = new LanguageStore();
    store.set('de' as never);
    expect(store.current).toBe('en');
    expect(isLanguage('fr')).toBe(true);
    expect(isLanguage('de')).toBe(false);
  });

  it('fills parameters and picks plural forms per language', () => {
    expect(translate('en', 'patients.count', { count: 1 })).toBe('1 patient');
    expect(translate('en', 'patients.count', { count: 0 })).toBe('0 patients');
    expect(translate('en', 'patients.count', { count: 3 })).toBe('3 patients');
    expect(translate('fr', 'patients.count', { count: 0 })).toBe('0 patient');
    expect(translate('fr', 'patients.count', { count: 2 })).toBe('2 patients');
    expect(translate('en', 'unlock.wait', { time: '30 seconds' })).toBe(
      'You can try again in 30 seconds.',
    );
  });
});
