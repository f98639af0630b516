import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import type { ChannelView } from './generated/ipc';
import { channel, fakeShell, queue } from './test/backend';

const GOOD_TOKEN = '123456:AAAA-good-token';

function channelsShell(channels: ChannelView[] = [channel({ id: 'ch1', name: 'Support bot' })]) {
  return fakeShell({
    channels,
    queues: [queue({ id: 'q-all', name: 'All operators' }), queue({ id: 'q-vip', name: 'VIP' })],
    bots: { [GOOD_TOKEN]: 'Acme Help Bot' },
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('queue-row').length).toBeGreaterThan(0));
}

function row(id: string) {
  const found = screen.queryAllByTestId('channel-row').find((r) => r.getAttribute('data-channel-id') === id);
  if (!found) throw new Error(`no channel row ${id}`);
  return found;
}

async function openCard(id: string) {
  await waitFor(() => row(id));
  fireEvent.click(row(id));
  return screen.getByTestId('channel-card');
}

function openAddTelegram() {
  fireEvent.click(screen.getByTestId('channels-add-button'));
  fireEvent.click(screen.getByTestId('add-telegram'));
  return screen.getByTestId('add-telegram-card');
}

function tokenInput() {
  return screen.getByTestId('telegram-token-input') as HTMLInputElement;
}

describe('Chat settings: adding a Telegram channel', () => {
  it('offers Facebook Messenger and Telegram in the "+" menu', async () => {
    channelsShell();
    await openSettings();
    expect(screen.queryByTestId('add-telegram')).toBeNull();
    fireEvent.click(screen.getByTestId('channels-add-button'));
    expect(screen.getByTestId('channels-add-button').getAttribute('aria-expanded')).toBe('true');
    expect(screen.getByTestId('add-telegram').textContent).toContain('Telegram');
    const facebook = screen.getByTestId('add-facebook') as HTMLButtonElement;
    expect(facebook.disabled).toBe(false);
    expect(facebook.textContent).toContain('Facebook Messenger');
  });

  it('checks the token, says which bot was connected, lists the channel and forgets the token', async () => {
    const shell = channelsShell();
    let answer: (value: unknown) => void = () => undefined;
    shell.override('add_telegram_channel', (args) => {
      const created = channel({ id: 'ch-new', name: 'Acme Help Bot', health: 'starting', queue_id: 'q-vip', queue_name: 'VIP' });
      return new Promise((resolve) => {
        answer = () => {
          shell.channels.push(created);
          resolve(created);
        };
        void args;
      });
    });
    await openSettings();
    const card = openAddTelegram();
    expect(tokenInput().type).toBe('password');
    expect(tokenInput().getAttribute('autocomplete')).toBe('off');
    const queueSelect = within(card).getByTestId('telegram-queue-select') as HTMLSelectElement;
    expect(queueSelect.value).toBe('q-all');
    fireEvent.change(queueSelect, { target: { value: 'q-vip' } });
    expect((within(card).getByTestId('telegram-api-base-input') as HTMLInputElement).placeholder).toBe(
      'https://api.telegram.org/',
    );
    fireEvent.change(tokenInput(), { target: { value: ` ${GOOD_TOKEN} ` } });
    fireEvent.click(screen.getByTestId('telegram-connect-button'));

    await waitFor(() =>
      expect(screen.getByTestId('telegram-connect-button').textContent).toBe('Checking the token with Telegram…'),
    );
    expect((screen.getByTestId('telegram-connect-button') as HTMLButtonElement).disabled).toBe(true);
    expect(shell.callsOf('add_telegram_channel')[0]?.args).toEqual({
      channel: { token: GOOD_TOKEN, queue_id: 'q-vip', api_base: null },
    });

    await act(async () => answer(null));
    const done = await screen.findByTestId('add-channel-done');
    expect(done.getAttribute('role')).toBe('status');
    expect(done.textContent).toContain('Acme Help Bot');
    expect(screen.queryByTestId('add-telegram-card')).toBeNull();
    expect(screen.queryByTestId('telegram-token-input')).toBeNull();
    const added = row('ch-new');
    expect(added.textContent).toContain('Acme Help Bot');
    expect(added.textContent).toContain('VIP');
    expect(added.getAttribute('data-health')).toBe('starting');
    // Opening the card again starts from an empty token.
    openAddTelegram();
    expect(tokenInput().value).toBe('');
  });

  it('shows the shell\'s refusal inside the card and keeps the form', async () => {
    const shell = channelsShell();
    await openSettings();
    openAddTelegram();
    fireEvent.change(tokenInput(), { target: { value: '42:nope' } });
    fireEvent.click(screen.getByTestId('telegram-connect-button'));
    const error = await screen.findByTestId('add-channel-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('Telegram rejected this token: check it with @BotFather.');
    expect(within(screen.getByTestId('add-telegram-card')).getByTestId('add-channel-error')).toBe(error);
    expect(tokenInput().value).toBe('42:nope');
    expect(screen.getByTestId('telegram-connect-button').textContent).toBe('Connect');
    expect(shell.channels).toHaveLength(1);
    expect(screen.queryByTestId('add-channel-done')).toBeNull();
  });

  it('asks for a token and a web address for the Bot API server before calling the shell', async () => {
    const shell = channelsShell();
    await openSettings();
    const card = openAddTelegram();
    fireEvent.click(screen.getByTestId('telegram-connect-button'));
    expect(card.textContent).toContain('Paste the bot token.');
    fireEvent.change(tokenInput(), { target: { value: GOOD_TOKEN } });
    fireEvent.change(within(card).getByTestId('telegram-api-base-input'), { target: { value: 'localhost:8081' } });
    fireEvent.click(screen.getByTestId('telegram-connect-button'));
    expect(card.textContent).toContain('Enter an address starting with http:// or https://.');
    expect(shell.callsOf('add_telegram_channel')).toHaveLength(0);
    fireEvent.change(within(card).getByTestId('telegram-api-base-input'), { target: { value: 'http://127.0.0.1:8081/' } });
    fireEvent.click(screen.getByTestId('telegram-connect-button'));
    await screen.findByTestId('add-channel-done');
    expect(shell.callsOf('add_telegram_channel')[0]?.args).toEqual({
      channel: { token: GOOD_TOKEN, queue_id: 'q-all', api_base: 'http://127.0.0.1:8081/' },
    });
  });

  it('drops the token on Cancel', async () => {
    channelsShell();
    await openSettings();
    openAddTelegram();
    fireEvent.change(tokenInput(), { target: { value: GOOD_TOKEN } });
    fireEvent.click(screen.getByTestId('telegram-cancel-button'));
    expect(screen.queryByTestId('add-telegram-card')).toBeNull();
    openAddTelegram();
    expect(tokenInput().value).toBe('');
  });
});

describe('Chat settings: the channel mini-card', () => {
  it('shows provider, name, active, queue, language and health in the row', async () => {
    channelsShell([
      channel({ id: 'ch1', name: 'Support bot', language: 'ru' }),
      channel({ id: 'ch2', name: 'Night bot', active: false, health: 'stopped', queue_id: 'q-vip', queue_name: 'VIP' }),
      channel({
        id: 'ch3',
        name: 'Old bot',
        health: 'error',
        problem: 'token_rejected',
        health_reason: 'Telegram no longer accepts this bot token.',
      }),
    ]);
    await openSettings();
    await waitFor(() => row('ch3'));
    const cells = (id: string) => Array.from(row(id).querySelectorAll('td')).map((td) => td.textContent);
    expect(cells('ch1')).toEqual(['Telegram', 'Support bot', 'Yes', 'All operators', 'Русский', 'Running']);
    expect(cells('ch2')).toEqual(['Telegram', 'Night bot', 'No', 'VIP', 'English', 'Stopped']);
    expect(cells('ch3')).toEqual(['Telegram', 'Old bot', 'Yes', 'All operators', 'English', 'Token rejected']);
    expect(row('ch2').getAttribute('data-active')).toBe('false');
    expect(row('ch3').getAttribute('data-health')).toBe('error');
  });

  it('switches Active at once', async () => {
    const shell = channelsShell();
    await openSettings();
    const card = await openCard('ch1');
    const toggle = within(card).getByTestId('channel-active-toggle');
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    fireEvent.click(toggle);
    await waitFor(() => expect(row('ch1').getAttribute('data-active')).toBe('false'));
    expect(shell.callsOf('update_channel')[0]?.args).toEqual({
      channelId: 'ch1',
      changes: { name: null, active: false, queue_id: null, language: null, human_agent: null },
    });
    expect(within(screen.getByTestId('channel-card')).getByTestId('channel-active-toggle').getAttribute('aria-checked')).toBe(
      'false',
    );
  });

  it('applies a new queue and language, and Cancel puts back the saved ones', async () => {
    const shell = channelsShell();
    await openSettings();
    const card = await openCard('ch1');
    const apply = within(card).getByTestId('channel-apply') as HTMLButtonElement;
    const queueSelect = within(card).getByTestId('channel-queue-select') as HTMLSelectElement;
    const languageSelect = within(card).getByTestId('channel-language-select') as HTMLSelectElement;
    expect(apply.disabled).toBe(true);
    expect(Array.from(languageSelect.options).map((o) => o.textContent)).toEqual(['English', 'Русский']);

    fireEvent.change(languageSelect, { target: { value: 'ru' } });
    fireEvent.click(within(card).getByTestId('channel-cancel'));
    expect(languageSelect.value).toBe('en');
    expect(apply.disabled).toBe(true);

    fireEvent.change(queueSelect, { target: { value: 'q-vip' } });
    fireEvent.change(languageSelect, { target: { value: 'ru' } });
    expect(apply.disabled).toBe(false);
    fireEvent.click(apply);
    await waitFor(() => expect(row('ch1').textContent).toContain('VIP'));
    expect(row('ch1').textContent).toContain('Русский');
    expect(shell.callsOf('update_channel')[0]?.args).toEqual({
      channelId: 'ch1',
      changes: { name: null, active: null, queue_id: 'q-vip', language: 'ru', human_agent: null },
    });
    await waitFor(() => expect(apply.disabled).toBe(true));
  });

  it('shows the shell\'s refusal in the card', async () => {
    const shell = channelsShell();
    shell.override('update_channel', () => {
      throw { code: 'forbidden', message: 'Only admins can change channels.', details: null };
    });
    await openSettings();
    const card = await openCard('ch1');
    fireEvent.click(within(card).getByTestId('channel-active-toggle'));
    expect((await within(card).findByTestId('channel-card-error')).textContent).toBe('Only admins can change channels.');
    expect(row('ch1').getAttribute('data-active')).toBe('true');
  });

  it('takes a new token when Telegram rejected the old one', async () => {
    const shell = channelsShell([
      channel({
        id: 'ch1',
        health: 'error',
        problem: 'token_rejected',
        health_reason: 'Telegram no longer accepts this bot token.',
      }),
    ]);
    await openSettings();
    const card = await openCard('ch1');
    expect(within(card).getByTestId('channel-health-reason').textContent).toBe('Telegram no longer accepts this bot token.');
    expect(within(card).queryByTestId('channel-retry')).toBeNull();
    const input = within(card).getByTestId('channel-replace-token-input') as HTMLInputElement;
    expect(input.type).toBe('password');
    fireEvent.change(input, { target: { value: 'wrong' } });
    fireEvent.click(within(card).getByTestId('channel-replace-token-save'));
    expect((await within(card).findByTestId('channel-card-error')).textContent).toContain('Telegram rejected this token');
    fireEvent.change(input, { target: { value: GOOD_TOKEN } });
    fireEvent.click(within(card).getByTestId('channel-replace-token-save'));
    await waitFor(() => expect(row('ch1').getAttribute('data-health')).toBe('starting'));
    expect(shell.callsOf('replace_channel_token').at(-1)?.args).toEqual({ channelId: 'ch1', token: GOOD_TOKEN });
    expect(within(card).queryByTestId('channel-replace-token-input')).toBeNull();
    expect(within(card).queryByTestId('channel-card-error')).toBeNull();
  });

  it('offers "Try again" when the bot is used elsewhere or Telegram is unreachable', async () => {
    const shell = channelsShell([
      channel({
        id: 'ch1',
        health: 'error',
        problem: 'used_elsewhere',
        health_reason: 'Another program is reading this bot\'s updates.',
      }),
    ]);
    await openSettings();
    const card = await openCard('ch1');
    expect(within(card).queryByTestId('channel-replace-token-input')).toBeNull();
    fireEvent.click(within(card).getByTestId('channel-retry'));
    await waitFor(() => expect(row('ch1').getAttribute('data-health')).toBe('starting'));
    expect(shell.callsOf('restart_channel')).toEqual([{ cmd: 'restart_channel', args: { channelId: 'ch1' } }]);
  });

  it('offers nothing to press while Telegram slows the bot down', async () => {
    channelsShell([
      channel({ id: 'ch1', health: 'running', problem: 'rate_limited', health_reason: 'Retrying in 20 s.' }),
    ]);
    await openSettings();
    const card = await openCard('ch1');
    expect(within(card).getByTestId('channel-health-reason').textContent).toBe('Retrying in 20 s.');
    expect(card.textContent).toContain('resumes by itself');
    expect(within(card).queryByTestId('channel-retry')).toBeNull();
    expect(within(card).queryByTestId('channel-replace-token-input')).toBeNull();
  });

  it('follows a change made elsewhere in the fields the admin has not touched', async () => {
    const shell = channelsShell();
    await openSettings();
    const card = await openCard('ch1');
    fireEvent.change(within(card).getByTestId('channel-queue-select'), { target: { value: 'q-vip' } });
    const first = shell.channels[0];
    if (first) first.language = 'ru';
    await act(() => shell.emitChannelsChanged());
    await waitFor(() => expect((within(card).getByTestId('channel-language-select') as HTMLSelectElement).value).toBe('ru'));
    expect((within(card).getByTestId('channel-queue-select') as HTMLSelectElement).value).toBe('q-vip');
  });

  it('closes the "+" menu on Escape and on a click elsewhere', async () => {
    channelsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('channels-add-button'));
    fireEvent.keyDown(screen.getByTestId('add-telegram'), { key: 'Escape' });
    expect(screen.queryByTestId('channels-add-menu')).toBeNull();
    fireEvent.click(screen.getByTestId('channels-add-button'));
    fireEvent.mouseDown(screen.getByTestId('queues-block'));
    expect(screen.queryByTestId('channels-add-menu')).toBeNull();
  });

  it('reloads the channels when the shell says they changed', async () => {
    const shell = channelsShell();
    await openSettings();
    await waitFor(() => row('ch1'));
    const first = shell.channels[0];
    if (first) {
      first.health = 'error';
      first.problem = 'unreachable';
      first.health_reason = 'Telegram cannot be reached.';
    }
    await act(() => shell.emitChannelsChanged());
    await waitFor(() => expect(row('ch1').getAttribute('data-health')).toBe('error'));
    expect(row('ch1').textContent).toContain('Unreachable');
  });
});

describe('channel health strip', () => {
  it('says in words why a channel is stopped or failing', async () => {
    channelsShell([
      channel({ id: 'ch1', name: 'Support bot', health: 'stopped', health_reason: 'Stopped after a crash.' }),
      channel({
        id: 'ch2',
        name: 'Sales bot',
        health: 'error',
        problem: 'used_elsewhere',
        health_reason: 'Another program uses this bot.',
      }),
    ]);
    render(<App channelPollMs={0} />);
    const strip = await screen.findByTestId('channel-health');
    await waitFor(() => expect(within(strip).getAllByTestId('channel-health-item')).toHaveLength(2));
    const [stopped, used] = within(strip).getAllByTestId('channel-health-item') as [HTMLElement, HTMLElement];
    expect(stopped.getAttribute('data-health')).toBe('stopped');
    expect(stopped.textContent).toContain('Stopped: Stopped after a crash.');
    expect(used.getAttribute('data-health')).toBe('error');
    expect(used.textContent).toContain('Bot used elsewhere: Another program uses this bot.');
  });
});
