import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from './App';
import type { ReplyWindow } from './generated/ipc';
import { chat, fakeShell, message, messengerChat, NOW } from './test/backend';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function renderApp() {
  return render(<App channelPollMs={0} noticeMs={0} />);
}

async function openedChat(id: string) {
  await waitFor(() =>
    expect(document.querySelector(`.conversation[data-chat-id="${id}"] [data-testid="message"]`)).not.toBeNull(),
  );
  // Let the conversation's effects (the window's timers) run before the test moves the clock.
  await act(async () => undefined);
}

/** My Messenger chat m1 with one customer message and the given reply window. */
function messengerPanel(replyWindow: ReplyWindow) {
  return fakeShell({
    chats: [messengerChat({ id: 'm1', contact_name: 'Lena Messenger' })],
    messages: [message({ id: 'x1', chat_id: 'm1', text: 'Hi from Messenger', author: 'Lena Messenger' })],
    windows: { m1: replyWindow },
  });
}

function composerInput() {
  return screen.getByTestId('composer-input') as HTMLTextAreaElement;
}

function sendButton() {
  return screen.getByTestId('send-button') as HTMLButtonElement;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Messenger reply window', () => {
  it('shows the time left in the 24-hour window and lets the operator reply', async () => {
    const shell = messengerPanel({ state: 'open', closes_at: Date.now() + 23 * HOUR + 12 * MINUTE + 30_000, reason: null });
    renderApp();
    await openedChat('m1');
    const indicator = screen.getByTestId('reply-window');
    expect(indicator.getAttribute('data-state')).toBe('open');
    expect(indicator.textContent).toContain('Reply window: 23 h 12 min left');
    expect(screen.queryByTestId('reply-window-reason')).toBeNull();
    fireEvent.change(composerInput(), { target: { value: 'Hello Lena' } });
    expect(sendButton().disabled).toBe(false);
    fireEvent.click(sendButton());
    await waitFor(() => expect(shell.callsOf('send_reply')).toHaveLength(1));
  });

  it('counts down every minute', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    messengerPanel({ state: 'open', closes_at: Date.now() + 2 * MINUTE + 30_000, reason: null });
    renderApp();
    await openedChat('m1');
    expect(screen.getByTestId('reply-window').textContent).toContain('2 min left');
    act(() => {
      vi.advanceTimersByTime(MINUTE);
    });
    expect(screen.getByTestId('reply-window').textContent).toContain('1 min left');
  });

  it('asks the shell again when the window runs out', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const shell = messengerPanel({ state: 'open', closes_at: Date.now() + 5 * MINUTE, reason: null });
    renderApp();
    await openedChat('m1');
    const reads = shell.callsOf('read_chat').length;
    shell.windows.set('m1', { state: 'human_agent', closes_at: Date.now() + 6 * DAY, reason: null });
    act(() => {
      vi.advanceTimersByTime(5 * MINUTE + 2_000);
    });
    await waitFor(() => expect(screen.getByTestId('reply-window').getAttribute('data-state')).toBe('human_agent'));
    expect(shell.callsOf('read_chat').length).toBeGreaterThan(reads);
  });

  it('shows the days left under the Human Agent tag', async () => {
    messengerPanel({ state: 'human_agent', closes_at: Date.now() + 6 * DAY + 5 * HOUR, reason: null });
    renderApp();
    await openedChat('m1');
    const indicator = screen.getByTestId('reply-window');
    expect(indicator.getAttribute('data-state')).toBe('human_agent');
    expect(indicator.textContent).toContain('Human Agent tag: 6 days left');
    expect(composerInput().disabled).toBe(false);
  });

  it('disables the composer and says why before anything is typed when the window is closed', async () => {
    const reason = 'The customer last wrote 9 days ago: Messenger allows no reply until they write again.';
    const shell = messengerPanel({ state: 'closed', closes_at: null, reason });
    renderApp();
    await openedChat('m1');
    expect(screen.getByTestId('reply-window').getAttribute('data-state')).toBe('closed');
    expect(screen.getByTestId('reply-window-reason').textContent).toBe(reason);
    expect(composerInput().disabled).toBe(true);
    expect(sendButton().disabled).toBe(true);
    expect((screen.getByTestId('composer-attach') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(composerInput(), { key: 'Enter' });
    expect(shell.callsOf('send_reply')).toHaveLength(0);
  });

  it('shows a refusal from the shell as an error', async () => {
    const shell = messengerPanel({ state: 'open', closes_at: Date.now() + HOUR, reason: null });
    shell.override('send_reply', () => {
      throw { code: 'conflict', message: 'The reply window closed a moment ago.', details: null };
    });
    renderApp();
    await openedChat('m1');
    fireEvent.change(composerInput(), { target: { value: 'Still there?' } });
    fireEvent.click(sendButton());
    expect((await screen.findByTestId('error-banner')).textContent).toContain('The reply window closed a moment ago.');
    expect(composerInput().value).toBe('Still there?');
  });

  it('shows no window for Telegram chats', async () => {
    fakeShell({ chats: [chat({ id: 'c1' })], messages: [message({ id: 'x1', chat_id: 'c1' })] });
    renderApp();
    await openedChat('c1');
    expect(screen.getByTestId('composer-input')).toBeTruthy();
    expect(screen.queryByTestId('reply-window')).toBeNull();
  });
});

describe('Messenger receipts', () => {
  it('marks outbound messages Delivered or Read, with the time in the title', async () => {
    fakeShell({
      chats: [messengerChat({ id: 'm1' })],
      messages: [
        message({ id: 'o1', chat_id: 'm1', kind: 'outbound', delivery: 'sent', delivered_at: NOW - 50_000 }),
        message({ id: 'o2', chat_id: 'm1', kind: 'outbound', delivery: 'sent', delivered_at: NOW - 40_000, read_at: NOW - 30_000 }),
        message({ id: 'o3', chat_id: 'm1', kind: 'outbound', delivery: 'sent' }),
      ],
      windows: { m1: { state: 'open', closes_at: NOW + HOUR, reason: null } },
    });
    renderApp();
    await openedChat('m1');
    const bubble = (id: string) => document.querySelector(`[data-message-id="${id}"]`) as HTMLElement;
    const delivered = within(bubble('o1')).getByTestId('message-receipt');
    expect(delivered.getAttribute('data-receipt')).toBe('delivered');
    expect(delivered.textContent).toBe('Delivered');
    expect(delivered.getAttribute('title')).toMatch(/^Delivered /);
    const read = within(bubble('o2')).getByTestId('message-receipt');
    expect(read.getAttribute('data-receipt')).toBe('read');
    expect(read.textContent).toBe('Read');
    expect(read.getAttribute('title')).toMatch(/^Read /);
    expect(within(bubble('o3')).queryByTestId('message-receipt')).toBeNull();
    expect(bubble('o3').textContent).toContain('Sent');
  });
});

function botPanel() {
  return fakeShell({
    chats: [
      chat({ id: 'c1', contact_name: 'Anna Petrova', last_activity_at: NOW - 2 * MINUTE }),
      messengerChat({ id: 'b1', state: 'bot', contact_name: 'Bob Botfan', queue_name: 'Sales', unread_count: 3 }),
    ],
    messages: [
      message({ id: 'x1', chat_id: 'c1', text: 'Where is my order?' }),
      message({ id: 'x2', chat_id: 'b1', text: 'What are your hours?', author: 'Bob Botfan' }),
      message({ id: 'x3', chat_id: 'b1', kind: 'outbound', text: 'We open at 9.', author: 'Acme bot' }),
    ],
  });
}

describe('conversations a bot is handling', () => {
  it('lists them in their own section, below my chats, and does not open them by itself', async () => {
    botPanel();
    renderApp();
    const [item] = await screen.findAllByTestId('bot-chat-item');
    expect(screen.getAllByTestId('bot-chat-item')).toHaveLength(1);
    expect(item?.getAttribute('data-chat-id')).toBe('b1');
    expect(within(item as HTMLElement).getByTestId('chat-item-name').textContent).toBe('Bob Botfan');
    expect(screen.getByText('Handled by a bot')).toBeTruthy();
    const mine = screen.getAllByTestId('chat-item');
    expect(mine.map((i) => i.getAttribute('data-chat-id'))).toEqual(['c1']);
    expect(mine[0]?.compareDocumentPosition(item as HTMLElement)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
    await openedChat('c1');
    // What the bot answers does not wait for this operator.
    expect(screen.getByTestId('counter-unread').textContent).not.toContain('3');
  });

  it('opens one read-only with a Take over bar', async () => {
    botPanel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('bot-chat-item'));
    await openedChat('b1');
    expect(screen.getByTestId('bot-chat-item').getAttribute('aria-current')).toBe('true');
    expect(screen.getAllByTestId('message-text').map((m) => m.textContent)).toEqual(['What are your hours?', 'We open at 9.']);
    expect(screen.getByTestId('bot-bar').textContent).toContain('A bot is handling this conversation');
    expect(screen.queryByTestId('composer-input')).toBeNull();
    expect(screen.queryByTestId('complete-button')).toBeNull();
    expect(screen.queryByTestId('pass-thread-button')).toBeNull();
    expect(screen.getByTestId('take-thread-button')).toBeTruthy();
  });

  it('takes over: take_thread, then the chat is routed (here offered to me)', async () => {
    const shell = botPanel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('bot-chat-item'));
    await openedChat('b1');
    fireEvent.click(screen.getByTestId('take-thread-button'));
    await waitFor(() => expect(shell.callsOf('take_thread').map((c) => c.args)).toEqual([{ chatId: 'b1' }]));
    expect((await screen.findByTestId('notice')).textContent).toContain('Bob Botfan');
    await waitFor(() => expect(screen.queryByTestId('bot-chat-item')).toBeNull());
    expect(screen.getByTestId('offer-item').getAttribute('data-chat-id')).toBe('b1');
    expect(screen.getByTestId('accept-bar').getAttribute('data-chat-id')).toBe('b1');
  });

  it('shows why taking over failed', async () => {
    const shell = botPanel();
    shell.override('take_thread', () => {
      throw { code: 'conflict', message: 'Another app holds this thread and refused to pass it.', details: null };
    });
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('bot-chat-item'));
    await openedChat('b1');
    fireEvent.click(screen.getByTestId('take-thread-button'));
    expect((await screen.findByTestId('error-banner')).textContent).toContain('Another app holds this thread');
    expect(screen.getByTestId('bot-chat-item')).toBeTruthy();
    expect((screen.getByTestId('take-thread-button') as HTMLButtonElement).disabled).toBe(false);
  });
});

describe('giving a Messenger chat back to the Page Inbox', () => {
  function passBackPanel() {
    return fakeShell({
      chats: [
        messengerChat({ id: 'm1', contact_name: 'Lena Messenger', last_activity_at: NOW - MINUTE }),
        chat({ id: 'c2', contact_name: 'John Smith', last_activity_at: NOW - HOUR }),
      ],
      messages: [message({ id: 'x1', chat_id: 'm1' }), message({ id: 'x2', chat_id: 'c2' })],
      windows: { m1: { state: 'open', closes_at: NOW + HOUR, reason: null } },
    });
  }

  it('asks first, and Cancel changes nothing', async () => {
    const shell = passBackPanel();
    renderApp();
    await openedChat('m1');
    fireEvent.click(screen.getByTestId('pass-thread-button'));
    const confirm = screen.getByTestId('pass-thread-confirm');
    expect(confirm.textContent).toContain('completed');
    fireEvent.click(within(confirm).getByTestId('pass-thread-cancel'));
    expect(screen.queryByTestId('pass-thread-confirm')).toBeNull();
    expect(shell.callsOf('pass_thread_back')).toHaveLength(0);
  });

  it('calls pass_thread_back once confirmed; the chat leaves and the next one opens', async () => {
    const shell = passBackPanel();
    renderApp();
    await openedChat('m1');
    fireEvent.click(screen.getByTestId('pass-thread-button'));
    fireEvent.click(screen.getByTestId('pass-thread-yes'));
    await waitFor(() => expect(shell.callsOf('pass_thread_back').map((c) => c.args)).toEqual([{ chatId: 'm1' }]));
    expect((await screen.findByTestId('notice')).textContent).toContain('Lena Messenger');
    await openedChat('c2');
    expect(screen.getAllByTestId('chat-item').map((i) => i.getAttribute('data-chat-id'))).toEqual(['c2']);
  });

  it('is offered for Messenger chats only', async () => {
    passBackPanel();
    renderApp();
    await openedChat('m1');
    fireEvent.click(screen.getAllByTestId('chat-item')[1] as HTMLElement);
    await openedChat('c2');
    expect(screen.getByTestId('complete-button')).toBeTruthy();
    expect(screen.queryByTestId('pass-thread-button')).toBeNull();
  });
});

describe('Messenger contact card', () => {
  it("shows the customer's profile picture only as an image data URL", async () => {
    fakeShell({
      chats: [messengerChat({ id: 'm1', contact_name: 'Lena Messenger' }), messengerChat({ id: 'm2', contact_name: 'Bo' })],
      messages: [
        message({ id: 'x1', chat_id: 'm1', text: 'Hi', author: 'Lena Messenger' }),
        message({ id: 'x2', chat_id: 'm2', text: 'Yo', author: 'Bo' }),
      ],
      pictures: { m1: 'data:image/png;base64,iVBORw0KGgo=', m2: 'javascript:alert(1)' },
    });
    renderApp();
    await openedChat('m1');
    expect(screen.getByTestId('contact-picture').getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');
    fireEvent.click(screen.getAllByTestId('chat-item').find((i) => i.getAttribute('data-chat-id') === 'm2') as HTMLElement);
    await openedChat('m2');
    expect(screen.queryByTestId('contact-picture')).toBeNull();
  });
});
