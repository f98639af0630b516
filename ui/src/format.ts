import { language, t, type MessageKey } from './i18n';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How long ago `at` was, compactly: "now", "5 min", "3 h", "2 d". */
export function formatWaiting(at: number, now: number): string {
  const elapsed = Math.max(0, now - at);
  if (elapsed < MINUTE) return t('time.now');
  if (elapsed < HOUR) return t('time.minutes', { count: Math.floor(elapsed / MINUTE) });
  if (elapsed < DAY) return t('time.hours', { count: Math.floor(elapsed / HOUR) });
  return t('time.days', { count: Math.floor(elapsed / DAY) });
}

const dayForms = new Intl.PluralRules(language);

/** How long is left, as the reply window shows it: "less than a minute", "12 min", "23 h 12 min"
 * (under two days), then whole days ("6 days"). Never more than there is. */
export function formatTimeLeft(ms: number): string {
  if (ms < MINUTE) return t('duration.lessThanMinute');
  if (ms < HOUR) return t('duration.minutes', { m: Math.floor(ms / MINUTE) });
  if (ms < 2 * DAY) {
    return t('duration.hoursMinutes', { h: Math.floor(ms / HOUR), m: Math.floor((ms % HOUR) / MINUTE) });
  }
  const days = Math.floor(ms / DAY);
  const form = dayForms.select(days);
  const key: MessageKey =
    form === 'one' || form === 'few' || form === 'many' ? `duration.days.${form}` : 'duration.days.other';
  return t(key, { count: days });
}

const clock = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' });
const full = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short' });
const dayAndClock = new Intl.DateTimeFormat(language, {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});

/** A message's time: the clock for today, with the date otherwise. */
export function formatMessageTime(at: number, now: number): string {
  const a = new Date(at);
  const b = new Date(now);
  const sameDay =
    a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  return sameDay ? clock.format(a) : dayAndClock.format(a);
}

export function formatFullDate(at: number): string {
  return full.format(new Date(at));
}

/** One line of a message for the chat list. */
export function previewLine(text: string | null): string | null {
  if (text === null) return null;
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? null : line;
}

const oneDecimal = new Intl.NumberFormat(language, { maximumFractionDigits: 1 });

/** A file size for people: "512 B", "14 KB", "3.2 MB". */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return t('size.bytes', { size: bytes });
  if (bytes < 1024 * 1024) return t('size.kb', { size: oneDecimal.format(Math.max(1, Math.round(bytes / 1024))) });
  return t('size.mb', { size: oneDecimal.format(bytes / (1024 * 1024)) });
}
