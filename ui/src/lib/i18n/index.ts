/**
 * A tiny typed message helper. Every visible string lives in `en.ts` and `fr.ts`; `t()`
 * reads the current language, so text re-renders when it changes. A message `one||other`
 * chooses by the number `count`.
 */
import type { Language } from '../bindings';
import { language } from '../stores/language.svelte';
import { en, type MessageKey } from './en';
import { fr } from './fr';

export type { MessageKey };

export type Params = Record<string, string | number>;

export const catalogs: Record<Language, Record<MessageKey, string>> = { en, fr };

/** The message `key` in `lang`, with `{name}` placeholders filled from `params`. */
export function translate(lang: Language, key: MessageKey, params?: Params): string {
  let template: string = catalogs[lang][key] ?? en[key] ?? key;
  if (template.includes('||')) {
    const [one = '', other = ''] = template.split('||');
    const count = typeof params?.count === 'number' ? params.count : Number.NaN;
    // English: singular for 1 only; French: for 0 and 1.
    template = (lang === 'fr' ? count >= 0 && count < 2 : count === 1) ? one : other;
  }
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The message `key` in the current language. */
export function t(key: MessageKey, params?: Params): string {
  return translate(language.current, key, params);
}

/** The BCP 47 locale for dates and numbers. */
export function locale(lang: Language = language.current): string {
  return lang === 'fr' ? 'fr-FR' : 'en-GB';
}
