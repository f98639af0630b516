import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { channel, chat, fakeShell, message, NOW } from './test/backend';

const XSS = '<img src=x onerror=alert(1)>';

function renderApp() {
  return render(<App channelPollMs={0} />);
}

async function chatItems() {
  return screen.findAllByTestId('chat-item');
}

async function openedMessages() {
  await waitFor(() => expect(screen.queryAllByTestId('message').length).toBeGreaterThan(0));
  return screen.getAllByTestId('message');
}

function composer() {
  return screen.getByTestId('composer-input') as HTMLTextAreaElement;
}

function sendButton() {
  return screen.getByTestId('send-button') as HTMLButtonElement;
}

function twoChats() {
  return fakeShell({
    chats: [
      chat({
        id: 'c1',
        contact_name: 'Anna Petrova',
        last_message_text: 'Where is my order?',
        unread_count: 2,
        last_activity_at: NOW - 2 * 60_000,
      }),
      chat({
        id: 'c2',
        provider: 'messenger',
        channel_name: 'Acme Page',
        contact_name: 'John Smith',
        last_message_text: 'Thanks!',
        last_activity_at: NOW - 3 * 3_600_000,
      }),
    ],
    messages: [
      message({ id: 'm1', chat_id: 'c1', text: 'Where is my order?\nIt was due Monday.', author: 'Anna Petrova' }),
      message({ id: 'm2', chat_id: 'c1', kind: 'system', text: 'Chat assigned to you', author: '' }),
      message({ id: 'm3', chat_id: 'c1', kind: 'outbound', text: 'Checking now', author: 'Operator', delivery: 'sent' }),
      message({
        id: 'm4',
        chat_id: 'c1',
        kind: 'outbound',
        text: 'Are you there?',
        author: 'Operator',
        delivery: 'failed',
        failure_reason: 'The customer blocked the bot.',
      }),
      message({ id: 'm5', chat_id: 'c1', kind: 'note', text: 'VIP customer', author: 'Operator' }),
      message({ id: 'm6', chat_id: 'c2', text: 'Thanks!', author: 'John Smith' }),
    ],
    channels: [
      channel({ id: 'ch1', name: 'Support bot' }),
      channel({
        id: 'ch2',
        provider: 'messenger',
        name: 'Acme Page',
        health: 'error',
        health_reason: 'The page token has expired.',
      }),
    ],
  });
}

describe('chat list', () => {
  it('renders the chats from list_chats in order with name, preview, time and unread badge', async () => {
    twoChats();
    renderApp();
    const items = await chatItems();
    expect(items.map((i) => i.getAttribute('data-chat-id'))).toEqual(['c1', 'c2']);
    const [first, second] = items as [HTMLElement, HTMLElement];
    expect(within(first).getByTestId('chat-item-name').textContent).toBe('Anna Petrova');
    expect(first.textContent).toContain('Where is my order?');
    expect(first.textContent).toContain('2 min');
    expect(within(second).getByTestId('chat-item-name').textContent).toBe('John Smith');
    expect(second.textContent).toContain('3 h');
    expect(within(second).getByRole('img', { name: 'Messenger' })).toBeTruthy();
    expect(within(second).queryByTestId('unread-badge')).toBeNull();
  });

  it('shows the rail counters', async () => {
    const shell = twoChats();
    shell.chats.push(chat({ id: 'c3', state: 'offered', unread_count: 1 }));
    renderApp();
    await chatItems();
    await waitFor(() => expect(screen.getByTestId('status-toggle').getAttribute('data-status')).toBe('active'));
    expect(screen.getByTestId('operator-status').textContent).toBe('Active');
    // Two active chats of a capacity of three; the offer does not count.
    expect(screen.getByTestId('counter-active').textContent).toContain('2 / 3');
    // c1's two unread are cleared when it auto-opens; c3 keeps its one.
    await waitFor(() => expect(screen.getByTestId('counter-unread').textContent).toContain('1'));
  });

  it('shows a friendly empty state when there are no chats', async () => {
    fakeShell({ chats: [] });
    renderApp();
    expect(
      await screen.findByText(
        'No chats yet — when a customer writes to your Telegram bot, the chat appears here.',
      ),
    ).toBeTruthy();
    expect(screen.queryByTestId('chat-item')).toBeNull();
  });

  it('shows the IpcError message when the list cannot be loaded, and retries', async () => {
    const shell = twoChats();
    let fail = true;
    const chats = shell.chats;
    shell.override('list_chats', () => {
      if (fail) throw { code: 'storage', message: 'The local database is locked.', details: null };
      return chats;
    });
    renderApp();
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('The local database is locked.');
    fail = false;
    fireEvent.click(within(banner).getByRole('button', { name: 'Try again' }));
    expect(await chatItems()).toHaveLength(2);
    await waitFor(() => expect(screen.queryByTestId('error-banner')).toBeNull());
  });
});

describe('conversation', () => {
  it('auto-opens the newest chat and shows its messages by kind and delivery', async () => {
    const shell = twoChats();
    renderApp();
    const messages = await openedMessages();
    expect(shell.callsOf('read_chat')[0]?.args).toEqual({ chatId: 'c1' });
    expect(messages.map((m) => m.getAttribute('data-kind'))).toEqual([
      'inbound',
      'system',
      'outbound',
      'outbound',
      'note',
    ]);
    const [inbound, system, sent, failed, note] = messages as [
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
      HTMLElement,
    ];
    expect(within(inbound).getByTestId('message-text').textContent).toBe('Where is my order?\nIt was due Monday.');
    expect(inbound.hasAttribute('data-delivery')).toBe(false);
    expect(within(system).getByTestId('message-text').textContent).toBe('Chat assigned to you');
    expect(sent.getAttribute('data-delivery')).toBe('sent');
    expect(failed.getAttribute('data-delivery')).toBe('failed');
    expect(failed.textContent).toContain('The customer blocked the bot.');
    expect(note.textContent).toContain('Internal note');
    const selected = (await chatItems())[0];
    expect(selected?.getAttribute('aria-current')).toBe('true');
    // Opening marks it read.
    await waitFor(() => expect(within(selected as HTMLElement).queryByTestId('unread-badge')).toBeNull());
  });

  it('opens the chat the operator clicks', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    const second = (await chatItems())[1] as HTMLElement;
    fireEvent.click(second);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(1));
    expect(shell.callsOf('read_chat').at(-1)?.args).toEqual({ chatId: 'c2' });
    expect(screen.getByTestId('message-text').textContent).toBe('Thanks!');
    expect(second.getAttribute('aria-current')).toBe('true');
  });

  it('renders customer text literally, never as HTML', async () => {
    fakeShell({
      chats: [chat({ id: 'x', contact_name: XSS, last_message_text: XSS })],
      messages: [message({ id: 'mx', chat_id: 'x', text: XSS, author: XSS })],
    });
    const { container } = renderApp();
    const [bubble] = await openedMessages();
    expect(within(bubble as HTMLElement).getByTestId('message-text').textContent).toBe(XSS);
    expect(screen.getByTestId('chat-item-name').textContent).toBe(XSS);
    expect(screen.getByTestId('chat-item').textContent).toContain(XSS);
    expect(container.querySelector('img')).toBeNull();
    expect(document.querySelector('img')).toBeNull();
  });

  it('shows the IpcError message when a chat cannot be opened', async () => {
    const shell = twoChats();
    shell.override('read_chat', () => {
      throw { code: 'not_found', message: 'This chat no longer exists.', details: null };
    });
    renderApp();
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('This chat no longer exists.');
  });
});

describe('composer', () => {
  it('sends the exact text with send_reply, clears the composer and shows the pending message', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    expect(sendButton().disabled).toBe(true);
    fireEvent.change(composer(), { target: { value: 'Your order ships today.\nTracking: 42' } });
    expect(sendButton().disabled).toBe(false);
    fireEvent.click(sendButton());
    await waitFor(() => expect(composer().value).toBe(''));
    expect(shell.callsOf('send_reply').map((c) => c.args)).toEqual([
      { chatId: 'c1', text: 'Your order ships today.\nTracking: 42' },
    ]);
    const last = screen.getAllByTestId('message').at(-1) as HTMLElement;
    expect(last.getAttribute('data-kind')).toBe('outbound');
    expect(last.getAttribute('data-delivery')).toBe('pending');
    expect(within(last).getByTestId('message-text').textContent).toBe('Your order ships today.\nTracking: 42');
    expect(sendButton().disabled).toBe(true);
  });

  it('sends on Enter and adds a line on Shift+Enter', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    fireEvent.change(composer(), { target: { value: 'Hi' } });
    fireEvent.keyDown(composer(), { key: 'Enter', shiftKey: true });
    expect(shell.callsOf('send_reply')).toHaveLength(0);
    fireEvent.keyDown(composer(), { key: 'Enter' });
    await waitFor(() => expect(shell.callsOf('send_reply')).toHaveLength(1));
    expect(shell.callsOf('send_reply')[0]?.args).toEqual({ chatId: 'c1', text: 'Hi' });
  });

  it('does not send empty or whitespace-only text', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    fireEvent.change(composer(), { target: { value: '   \n  ' } });
    expect(sendButton().disabled).toBe(true);
    fireEvent.keyDown(composer(), { key: 'Enter' });
    fireEvent.click(sendButton());
    await act(async () => {});
    expect(shell.callsOf('send_reply')).toHaveLength(0);
  });

  it('shows the IpcError message when sending fails and keeps the text', async () => {
    const shell = twoChats();
    shell.override('send_reply', () => {
      throw {
        code: 'conflict',
        message: 'This chat was completed; the customer can no longer be answered here.',
        details: null,
      };
    });
    renderApp();
    await openedMessages();
    fireEvent.change(composer(), { target: { value: 'Are you still there?' } });
    fireEvent.click(sendButton());
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('This chat was completed; the customer can no longer be answered here.');
    expect(composer().value).toBe('Are you still there?');
    expect(sendButton().disabled).toBe(false);
  });

  it('shows a generic sentence when the failure is not an IpcError', async () => {
    const shell = twoChats();
    shell.override('send_reply', () => {
      throw 'command send_reply not found';
    });
    renderApp();
    await openedMessages();
    fireEvent.change(composer(), { target: { value: 'Hello' } });
    fireEvent.click(sendButton());
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('Something went wrong. Please try again.');
    expect(banner.textContent).not.toContain('command send_reply');
    expect(composer().value).toBe('Hello');
  });

  it('keeps a separate draft per chat', async () => {
    twoChats();
    renderApp();
    await openedMessages();
    fireEvent.change(composer(), { target: { value: 'draft for Anna' } });
    fireEvent.click((await chatItems())[1] as HTMLElement);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(1));
    expect(composer().value).toBe('');
    fireEvent.click((await chatItems())[0] as HTMLElement);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(5));
    expect(composer().value).toBe('draft for Anna');
  });
});

describe('chats-changed event', () => {
  it('refetches the list and the open chat when it changed', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    const listCalls = shell.callsOf('list_chats').length;
    const readCalls = shell.callsOf('read_chat').length;

    shell.chats.unshift(chat({ id: 'c9', contact_name: 'New Customer', last_message_text: 'Hi there', unread_count: 1 }));
    shell.messages.set('c1', [
      ...(shell.messages.get('c1') ?? []),
      message({ id: 'm7', chat_id: 'c1', text: 'Any news?', author: 'Anna Petrova' }),
    ]);
    await act(() => shell.emitChatsChanged(['c1', 'c9']));

    await waitFor(() => expect(screen.getAllByTestId('chat-item')).toHaveLength(3));
    expect(screen.getAllByTestId('chat-item-name').map((n) => n.textContent)).toEqual([
      'New Customer',
      'Anna Petrova',
      'John Smith',
    ]);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(6));
    expect(shell.callsOf('list_chats').length).toBeGreaterThan(listCalls);
    expect(shell.callsOf('read_chat').length).toBe(readCalls + 1);
    // The open chat stays open.
    expect(screen.getAllByTestId('chat-item')[1]?.getAttribute('aria-current')).toBe('true');
  });

  it('does not reload the open chat when only other chats changed', async () => {
    const shell = twoChats();
    renderApp();
    await openedMessages();
    const listCalls = shell.callsOf('list_chats').length;
    const readCalls = shell.callsOf('read_chat').length;
    const other = shell.chats[1];
    if (other) other.last_message_text = 'One more question';
    await act(() => shell.emitChatsChanged(['c2']));
    await waitFor(() => expect(screen.getAllByTestId('chat-item')[1]?.textContent).toContain('One more question'));
    expect(shell.callsOf('list_chats').length).toBe(listCalls + 1);
    expect(shell.callsOf('read_chat').length).toBe(readCalls);
  });
});

describe('channel health', () => {
  it('shows each channel as running or in error with the reason', async () => {
    twoChats();
    renderApp();
    const strip = await screen.findByTestId('channel-health');
    await waitFor(() => expect(within(strip).getAllByTestId('channel-health-item')).toHaveLength(2));
    const [ok, broken] = within(strip).getAllByTestId('channel-health-item') as [HTMLElement, HTMLElement];
    expect(ok.getAttribute('data-health')).toBe('running');
    expect(ok.textContent).toContain('Support bot');
    expect(ok.textContent).toContain('Running');
    expect(broken.getAttribute('data-health')).toBe('error');
    expect(broken.textContent).toContain('Acme Page');
    expect(broken.textContent).toContain('The page token has expired.');
  });
});
