// Interface strings. Customer and operator text never goes through here.
// The dictionaries live in ./i18n/en.ts and ./i18n/ru.ts.

import { en, type Dictionary, type MessageKey } from './i18n/en';
import { ru } from './i18n/ru';

export type { Dictionary, MessageKey };
export type Language = 'en' | 'ru';

export const dictionaries: Record<Language, Dictionary> = { en, ru };

/** Picks the interface language from a BCP 47 tag such as `ru-RU`; English otherwise. */
export function languageFor(tag: string | undefined | null): Language {
  return tag?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
}

function detectLanguage(): Language {
  if (typeof navigator === 'undefined') return 'en';
  return languageFor(navigator.language);
}

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export function translator(language: Language): Translate {
  const dict = dictionaries[language];
  return (key, params) => {
    const template = dict[key];
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = params[name];
      return value === undefined ? whole : String(value);
    });
  };
}

/** The language chosen for this session. */
export const language: Language = detectLanguage();

/** Translate with the session language. */
export const t: Translate = translator(language);
