import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { MessengerWebhook } from './generated/ipc';
import { channel, fakeShell, queue } from './test/backend';

function settingsShell(hook: Partial<MessengerWebhook> = {}) {
  return fakeShell({
    channels: [
      channel({ id: 'ch-tg', name: 'Support bot' }),
      channel({ id: 'ch-fb', provider: 'messenger', name: 'Acme Page', external_id: '1029384756' }),
    ],
    queues: [queue({ id: 'q-all', name: 'All operators' })],
    webhook: hook,
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('channel-row').length).toBe(2));
}

function openCard(id: string) {
  const row = screen.getAllByTestId('channel-row').find((r) => r.getAttribute('data-channel-id') === id);
  fireEvent.click(row as HTMLElement);
  return screen.getByTestId('channel-card');
}

afterEach(() => {
  Reflect.deleteProperty(navigator, 'clipboard');
});

describe('channel card: Human Agent tag', () => {
  it('is a switch of Messenger channels that applies at once and says Meta must approve it', async () => {
    const shell = settingsShell();
    await openSettings();
    const card = openCard('ch-fb');
    expect(card.textContent).toContain('Page ID 1029384756');
    const toggle = within(card).getByTestId('channel-human-agent-toggle');
    expect(toggle.getAttribute('role')).toBe('switch');
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(toggle.textContent).toContain('Human Agent tag (replies up to 7 days)');
    expect(within(card).getByTestId('channel-human-agent-hint').textContent).toContain('Meta must first approve your app');

    fireEvent.click(toggle);
    await waitFor(() => expect(toggle.getAttribute('aria-checked')).toBe('true'));
    expect(shell.callsOf('update_channel').map((c) => c.args)).toEqual([
      { channelId: 'ch-fb', changes: { name: null, active: null, queue_id: null, language: null, human_agent: true } },
    ]);
    expect(shell.channels.find((c) => c.id === 'ch-fb')?.human_agent).toBe(true);
  });

  it('shows the refusal in the card', async () => {
    const shell = settingsShell();
    shell.override('update_channel', () => {
      throw { code: 'forbidden', message: 'Only admins can change channels.', details: null };
    });
    await openSettings();
    const card = openCard('ch-fb');
    fireEvent.click(within(card).getByTestId('channel-human-agent-toggle'));
    expect((await within(card).findByTestId('channel-card-error')).textContent).toBe('Only admins can change channels.');
    expect(within(card).getByTestId('channel-human-agent-toggle').getAttribute('aria-checked')).toBe('false');
  });

  it('is not offered for Telegram channels', async () => {
    settingsShell();
    await openSettings();
    const card = openCard('ch-tg');
    expect(within(card).queryByTestId('channel-human-agent-toggle')).toBeNull();
  });
});

describe('Settings: Messenger webhook', () => {
  it('shows the callback URL, the tunnel note with its path and a masked verify token with Show', async () => {
    settingsShell();
    await openSettings();
    const box = await screen.findByTestId('messenger-webhook');
    await waitFor(() => expect(within(box).getByTestId('messenger-callback-url').textContent).toBe('http://127.0.0.1:8788/webhooks/messenger'));
    expect(within(box).getByTestId('messenger-webhook-tunnel').textContent).toContain(
      'Meta must reach this address: put it behind an HTTPS tunnel and paste the tunnel’s URL with this path (/webhooks/messenger)',
    );
    const token = within(box).getByTestId('messenger-verify-token');
    expect(token.getAttribute('data-masked')).toBe('true');
    expect(box.textContent).not.toContain('vt-3f9a1c0d');
    expect(within(box).queryByTestId('messenger-webhook-problem')).toBeNull();
    expect(within(box).getByTestId('messenger-webhook-state').getAttribute('data-listening')).toBe('true');

    const show = within(box).getByTestId('messenger-verify-token-show');
    fireEvent.click(show);
    expect(token.textContent).toBe('vt-3f9a1c0d');
    expect(show.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(show);
    expect(token.textContent).not.toContain('vt-3f9a1c0d');
  });

  it('copies the URL and the token (even while masked)', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    settingsShell();
    await openSettings();
    const box = await screen.findByTestId('messenger-webhook');
    fireEvent.click(await within(box).findByTestId('messenger-callback-copy'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('http://127.0.0.1:8788/webhooks/messenger'));
    fireEvent.click(within(box).getByTestId('messenger-verify-token-copy'));
    await waitFor(() => expect(writeText).toHaveBeenLastCalledWith('vt-3f9a1c0d'));
    expect(within(box).getByTestId('messenger-copy-status').textContent).toBe('Copied.');
    expect(box.textContent).not.toContain('vt-3f9a1c0d');
  });

  it('says how to copy by hand when the clipboard refuses', async () => {
    const writeText = vi.fn().mockRejectedValue(new Error('denied'));
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    settingsShell();
    await openSettings();
    const box = await screen.findByTestId('messenger-webhook');
    fireEvent.click(await within(box).findByTestId('messenger-callback-copy'));
    await waitFor(() => expect(within(box).getByTestId('messenger-copy-status').textContent).toContain('copy it by hand'));
  });

  it('shows the problem when the receiver is not listening', async () => {
    settingsShell({ listening: false, problem: 'Port 8788 is taken by another program.' });
    await openSettings();
    const box = await screen.findByTestId('messenger-webhook');
    expect((await within(box).findByTestId('messenger-webhook-problem')).textContent).toBe('Port 8788 is taken by another program.');
    expect(within(box).getByTestId('messenger-webhook-state').getAttribute('data-listening')).toBe('false');
  });

  it('shows why the webhook info could not be read, with a retry', async () => {
    const shell = settingsShell();
    let fail = true;
    shell.override('messenger_webhook', () => {
      if (fail) throw { code: 'storage', message: 'The local database is locked.', details: null };
      return { callback_url: 'http://127.0.0.1:9000/hook', verify_token: 't', listening: true, problem: null };
    });
    await openSettings();
    const box = await screen.findByTestId('messenger-webhook');
    const banner = await within(box).findByTestId('error-banner');
    expect(banner.textContent).toContain('The local database is locked.');
    fail = false;
    fireEvent.click(within(banner).getByText('Try again'));
    await waitFor(() => expect(within(box).getByTestId('messenger-callback-url').textContent).toBe('http://127.0.0.1:9000/hook'));
  });
});

describe('channel card: a page whose token died', () => {
  it('offers Reconnect, which runs Add → Facebook again instead of asking for a pasted token', async () => {
    fakeShell({
      channels: [
        channel({
          id: 'ch-fb',
          provider: 'messenger',
          name: 'Acme Page',
          health: 'error',
          problem: 'token_rejected',
          health_reason: 'Facebook no longer accepts this page token. Reconnect the page.',
        }),
      ],
      queues: [queue({ id: 'q-all', name: 'All operators' })],
    });
    render(<App channelPollMs={0} />);
    fireEvent.click(screen.getByTestId('nav-settings'));
    await waitFor(() => expect(screen.getAllByTestId('channel-row').length).toBe(1));
    const card = openCard('ch-fb');
    expect(within(card).queryByTestId('channel-replace-token-input')).toBeNull();
    fireEvent.click(within(card).getByTestId('channel-reconnect'));
    await waitFor(() => expect(screen.getByTestId('add-facebook-card')).toBeTruthy());
    expect(screen.queryByTestId('channel-card')).toBeNull();
  });
});
