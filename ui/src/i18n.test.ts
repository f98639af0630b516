import { describe, expect, it } from 'vitest';
import { dictionaries, languageFor, translator } from './i18n';

describe('i18n', () => {
  it('chooses Russian for ru tags and English otherwise', () => {
    expect(languageFor('ru-RU')).toBe('ru');
    expect(languageFor('ru')).toBe('ru');
    expect(languageFor('en-US')).toBe('en');
    expect(languageFor('de-DE')).toBe('en');
    expect(languageFor(undefined)).toBe('en');
  });

  it('has every key translated in every language', () => {
    const keys = Object.keys(dictionaries.en).sort();
    expect(Object.keys(dictionaries.ru).sort()).toEqual(keys);
    for (const [key, text] of Object.entries(dictionaries.ru)) {
      expect(text.trim(), key).not.toBe('');
    }
  });

  it('fills parameters', () => {
    expect(translator('en')('time.minutes', { count: 5 })).toBe('5 min');
    expect(translator('ru')('message.failedReason', { reason: 'бот заблокирован' })).toBe(
      'Не доставлено: бот заблокирован',
    );
  });
});

describe('day forms', () => {
  it('has the plural forms Intl.PluralRules picks for Russian', () => {
    const ru = translator('ru');
    const rules = new Intl.PluralRules('ru');
    const form = (n: number) => ru(`duration.days.${rules.select(n)}` as 'duration.days.other', { count: n });
    expect([1, 2, 5, 21].map(form)).toEqual(['1 день', '2 дня', '5 дней', '21 день']);
  });
});
