// Interface strings. Customer and operator text never goes through here.

const en = {
  'app.name': 'Switchboard',
  'rail.status': 'Status',
  'rail.statusActive': 'Active',
  'rail.activeChats': 'Active chats',
  'rail.unread': 'Unread',
  'list.title': 'My chats',
  'list.loading': 'Loading chats…',
  'list.empty': 'No chats yet.',
  'list.noMessages': 'No messages yet',
  'list.unknownCustomer': 'Customer',
  'list.unreadLabel': '{count} unread',
  'list.retry': 'Try again',
  'empty.title': 'No chats yet',
  'empty.body': 'No chats yet — when a customer writes to your Telegram bot, the chat appears here.',
  'conversation.loading': 'Loading conversation…',
  'conversation.none': 'Select a chat on the left to see the conversation.',
  'conversation.noMessages': 'No messages in this chat yet.',
  'message.note': 'Internal note',
  'message.pending': 'Sending…',
  'message.sent': 'Sent',
  'message.failed': 'Not delivered',
  'message.failedReason': 'Not delivered: {reason}',
  'composer.placeholder': 'Write a reply…',
  'composer.label': 'Reply to the customer',
  'composer.hint': 'Enter to send · Shift+Enter for a new line',
  'composer.send': 'Send',
  'composer.sending': 'Sending…',
  'composer.completed': 'This chat is completed.',
  'channels.title': 'Channels',
  'channels.none': 'No channels connected yet.',
  'channels.running': 'Running',
  'channels.starting': 'Starting…',
  'channels.error': 'Error',
  'channels.inactive': 'Inactive',
  'channels.unavailable': 'Channel status is unavailable: {reason}',
  'provider.telegram': 'Telegram',
  'provider.messenger': 'Messenger',
  'state.bot': 'Bot',
  'state.queued': 'Queued',
  'state.offered': 'Offered',
  'state.active': 'Active',
  'state.completed': 'Completed',
  'time.now': 'now',
  'time.minutes': '{count} min',
  'time.hours': '{count} h',
  'time.days': '{count} d',
  'error.generic': 'Something went wrong. Please try again.',
  'error.dismiss': 'Dismiss',
} as const;

export type MessageKey = keyof typeof en;
export type Dictionary = Record<MessageKey, string>;
export type Language = 'en' | 'ru';

const ru: Dictionary = {
  'app.name': 'Switchboard',
  'rail.status': 'Статус',
  'rail.statusActive': 'Активен',
  'rail.activeChats': 'Активные чаты',
  'rail.unread': 'Непрочитанные',
  'list.title': 'Мои чаты',
  'list.loading': 'Загружаем чаты…',
  'list.empty': 'Чатов пока нет.',
  'list.noMessages': 'Сообщений пока нет',
  'list.unknownCustomer': 'Клиент',
  'list.unreadLabel': 'Непрочитанных: {count}',
  'list.retry': 'Повторить',
  'empty.title': 'Чатов пока нет',
  'empty.body': 'Чатов пока нет — когда клиент напишет вашему Telegram-боту, чат появится здесь.',
  'conversation.loading': 'Загружаем переписку…',
  'conversation.none': 'Выберите чат слева, чтобы увидеть переписку.',
  'conversation.noMessages': 'В этом чате пока нет сообщений.',
  'message.note': 'Внутренняя заметка',
  'message.pending': 'Отправляется…',
  'message.sent': 'Отправлено',
  'message.failed': 'Не доставлено',
  'message.failedReason': 'Не доставлено: {reason}',
  'composer.placeholder': 'Напишите ответ…',
  'composer.label': 'Ответ клиенту',
  'composer.hint': 'Enter — отправить · Shift+Enter — новая строка',
  'composer.send': 'Отправить',
  'composer.sending': 'Отправляется…',
  'composer.completed': 'Этот чат завершён.',
  'channels.title': 'Каналы',
  'channels.none': 'Каналы ещё не подключены.',
  'channels.running': 'Работает',
  'channels.starting': 'Запускается…',
  'channels.error': 'Ошибка',
  'channels.inactive': 'Отключён',
  'channels.unavailable': 'Состояние каналов недоступно: {reason}',
  'provider.telegram': 'Telegram',
  'provider.messenger': 'Messenger',
  'state.bot': 'Бот',
  'state.queued': 'В очереди',
  'state.offered': 'Предложен',
  'state.active': 'Активен',
  'state.completed': 'Завершён',
  'time.now': 'сейчас',
  'time.minutes': '{count} мин',
  'time.hours': '{count} ч',
  'time.days': '{count} д',
  'error.generic': 'Что-то пошло не так. Попробуйте ещё раз.',
  'error.dismiss': 'Закрыть',
};

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
