/** The UI language: one reactive value that `t()` reads, so text follows a switch at once. */
import type { Language } from '../bindings';

export const LANGUAGES: readonly Language[] = ['en', 'fr'];

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

export class LanguageStore {
  current = $state<Language>('en');

  /** Switches the UI language (locally; persisting it is the settings' job). */
  set(language: Language): void {
    if (!isLanguage(language)) return;
    this.current = language;
    if (typeof document !== 'undefined') document.documentElement.lang = language;
  }
}

/** The app's language. */
export const language = new LanguageStore();
