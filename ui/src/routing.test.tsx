import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { chat, fakeShell, ME, message, NOW, operator, queue, routingEntry } from './test/backend';

function renderApp() {
  return render(<App channelPollMs={0} noticeMs={0} />);
}

/** One chat of mine (c1, newest), one more (c2) and an offer (o1) in the queue "Sales". */
function panel() {
  return fakeShell({
    chats: [
      chat({
        id: 'o1',
        state: 'offered',
        contact_name: 'Maria Offer',
        last_message_text: 'Is anyone there?',
        last_activity_at: NOW - 7 * 60_000,
        queue_name: 'Sales',
        unread_count: 1,
      }),
      chat({ id: 'c1', contact_name: 'Anna Petrova', last_activity_at: NOW - 2 * 60_000 }),
      chat({ id: 'c2', contact_name: 'John Smith', last_activity_at: NOW - 3 * 3_600_000 }),
    ],
    messages: [
      message({ id: 'm1', chat_id: 'c1', text: 'Where is my order?', author: 'Anna Petrova' }),
      message({ id: 'm2', chat_id: 'c2', text: 'Thanks!', author: 'John Smith' }),
      message({ id: 'm3', chat_id: 'o1', text: 'Is anyone there?', author: 'Maria Offer' }),
    ],
    me: { waiting_in_my_queues: 4 },
    queues: [queue({ id: 'q-all', name: 'All operators' }), queue({ id: 'q-sales', name: 'Sales', rule: 'freest' })],
    operators: [
      operator({ id: ME.id, name: ME.name }),
      operator({ id: 'op-2', name: 'Boris Second', active_chats: 1 }),
      operator({ id: 'op-3', name: 'Vera Third', status: 'inactive' }),
    ],
  });
}

async function openedChat(id: string) {
  await waitFor(() => expect(document.querySelector(`.conversation[data-chat-id="${id}"] [data-testid="message"]`)).not.toBeNull());
}

function statusToggle() {
  return screen.getByTestId('status-toggle') as HTMLButtonElement;
}

describe('offers', () => {
  it('lists offers on top with name, last message, waiting time and queue; my chats stay chat-items', async () => {
    panel();
    renderApp();
    const [offer] = await screen.findAllByTestId('offer-item');
    expect(screen.getAllByTestId('offer-item')).toHaveLength(1);
    expect(offer?.getAttribute('data-chat-id')).toBe('o1');
    expect(within(offer as HTMLElement).getByTestId('chat-item-name').textContent).toBe('Maria Offer');
    expect(offer?.textContent).toContain('Is anyone there?');
    expect(offer?.textContent).toContain('7 min');
    expect(within(offer as HTMLElement).getByTestId('offer-queue').textContent).toBe('Sales');
    expect(within(offer as HTMLElement).getByTestId('accept-button')).toBeTruthy();
    expect(within(offer as HTMLElement).getByTestId('decline-button')).toBeTruthy();
    // The offer comes before my chats, and only my chats are chat-items.
    const items = screen.getAllByTestId('chat-item');
    expect(items.map((i) => i.getAttribute('data-chat-id'))).toEqual(['c1', 'c2']);
    expect(offer?.compareDocumentPosition(items[0] as HTMLElement)).toBe(Node.DOCUMENT_POSITION_FOLLOWING);
    // My newest chat opens, not the offer.
    await openedChat('c1');
  });

  it('accept calls accept_chat, and the chat moves to my active chats and opens with the composer', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    await waitFor(() => expect(screen.getByTestId('counter-active').textContent).toContain('2 / 3'));
    fireEvent.click(within(screen.getByTestId('offer-item')).getByTestId('accept-button'));

    await waitFor(() => expect(screen.queryByTestId('offer-item')).toBeNull());
    expect(shell.callsOf('accept_chat').map((c) => c.args)).toEqual([{ chatId: 'o1' }]);
    expect(screen.getAllByTestId('chat-item').map((i) => i.getAttribute('data-chat-id'))).toContain('o1');
    const accepted = screen.getAllByTestId('chat-item').find((i) => i.getAttribute('data-chat-id') === 'o1');
    await waitFor(() => expect(accepted?.getAttribute('aria-current')).toBe('true'));
    expect(accepted?.getAttribute('data-state')).toBe('active');
    await waitFor(() => expect(screen.getByTestId('counter-active').textContent).toContain('3 / 3'));
    // The accepted chat is open for answering, with the shell's system line.
    await waitFor(() =>
      expect(screen.getAllByTestId('message-text').map((m) => m.textContent)).toContain(`${ME.name} accepted the chat`),
    );
    expect(screen.getByTestId('composer-input')).toBeTruthy();
    expect(screen.queryByTestId('accept-bar')).toBeNull();
    expect(screen.queryByTestId('error-banner')).toBeNull();
  });

  it('shows why accepting was refused and refetches the list', async () => {
    const shell = panel();
    shell.override('accept_chat', () => {
      // Someone else was faster: the offer is gone from the shell too.
      shell.chats = shell.chats.filter((c) => c.id !== 'o1');
      throw { code: 'conflict', message: 'Boris Second has already accepted this chat.', details: null };
    });
    renderApp();
    await openedChat('c1');
    const listCalls = shell.callsOf('list_chats').length;
    fireEvent.click(within(screen.getByTestId('offer-item')).getByTestId('accept-button'));

    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('Boris Second has already accepted this chat.');
    expect(shell.callsOf('list_chats').length).toBeGreaterThan(listCalls);
    await waitFor(() => expect(screen.queryByTestId('offer-item')).toBeNull());
    expect(screen.getAllByTestId('chat-item')).toHaveLength(2);
  });

  it('opens an offer read-only with an Accept bar instead of the composer', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(within(screen.getByTestId('offer-item')).getByTestId('chat-item-name'));
    await openedChat('o1');
    expect(screen.getByTestId('offer-item').getAttribute('aria-current')).toBe('true');
    expect(screen.queryByTestId('composer-input')).toBeNull();
    expect(screen.queryByTestId('complete-button')).toBeNull();
    expect(screen.queryByTestId('transfer-button')).toBeNull();
    const bar = screen.getByTestId('accept-bar');
    fireEvent.click(within(bar).getByTestId('accept-bar-accept'));
    await waitFor(() => expect(screen.getByTestId('composer-input')).toBeTruthy());
    expect(shell.callsOf('accept_chat').map((c) => c.args)).toEqual([{ chatId: 'o1' }]);
    expect(screen.queryByTestId('accept-bar')).toBeNull();
  });

  it('decline calls decline_chat and the offer leaves the list', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(within(screen.getByTestId('offer-item')).getByTestId('decline-button'));
    await waitFor(() => expect(screen.queryByTestId('offer-item')).toBeNull());
    expect(shell.callsOf('decline_chat').map((c) => c.args)).toEqual([{ chatId: 'o1' }]);
    expect(screen.getByTestId('notice').textContent).toContain('Maria Offer');
  });
});

describe('status and counters', () => {
  it('toggles Active/Inactive through set_my_status and reflects the answer', async () => {
    const shell = panel();
    renderApp();
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('active'));
    expect(screen.queryByTestId('status-hint')).toBeNull();

    fireEvent.click(statusToggle());
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('inactive'));
    expect(shell.callsOf('set_my_status').map((c) => c.args)).toEqual([{ status: 'inactive' }]);
    expect(statusToggle().getAttribute('aria-checked')).toBe('false');
    expect(screen.getByTestId('status-hint').textContent).toContain('No new chats will be offered');

    fireEvent.click(statusToggle());
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('active'));
    expect(shell.callsOf('set_my_status').map((c) => c.args)).toEqual([{ status: 'inactive' }, { status: 'active' }]);
    expect(screen.queryByTestId('status-hint')).toBeNull();
  });

  it('keeps the status and says why when set_my_status fails', async () => {
    const shell = panel();
    shell.override('set_my_status', () => {
      throw { code: 'storage', message: 'The local database is locked.', details: null };
    });
    renderApp();
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('active'));
    fireEvent.click(statusToggle());
    expect((await screen.findByTestId('error-banner')).textContent).toContain('The local database is locked.');
    expect(statusToggle().getAttribute('data-status')).toBe('active');
  });

  it('shows active chats against capacity, unread and waiting in my queues', async () => {
    panel();
    renderApp();
    await waitFor(() => expect(screen.getByTestId('counter-active').textContent).toContain('2 / 3'));
    expect(screen.getByTestId('counter-waiting').textContent).toContain('4');
    expect(screen.getByTestId('counter-unread').textContent).toContain('1');
  });

  it('chats-changed refetches my_status (a missed offer set me Inactive)', async () => {
    const shell = panel();
    renderApp();
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('active'));
    const statusCalls = shell.callsOf('my_status').length;
    shell.me.status = 'inactive';
    shell.me.waiting_in_my_queues = 7;
    shell.chats = shell.chats.filter((c) => c.id !== 'o1');
    await act(() => shell.emitChatsChanged(['o1']));
    await waitFor(() => expect(statusToggle().getAttribute('data-status')).toBe('inactive'));
    expect(shell.callsOf('my_status').length).toBeGreaterThan(statusCalls);
    expect(screen.getByTestId('counter-waiting').textContent).toContain('7');
    expect(screen.getByTestId('status-hint')).toBeTruthy();
    expect(screen.queryByTestId('offer-item')).toBeNull();
  });
});

describe('chat actions', () => {
  it('complete calls complete_chat, the chat leaves the list and the next one opens', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('complete-button'));
    await waitFor(() =>
      expect(screen.getAllByTestId('chat-item').map((i) => i.getAttribute('data-chat-id'))).toEqual(['c2']),
    );
    expect(shell.callsOf('complete_chat').map((c) => c.args)).toEqual([{ chatId: 'c1' }]);
    await openedChat('c2');
    expect(screen.getByTestId('chat-item').getAttribute('aria-current')).toBe('true');
    expect(shell.callsOf('read_chat').at(-1)?.args).toEqual({ chatId: 'c2' });
    expect(screen.getByTestId('notice').textContent).toBe('Chat with Anna Petrova completed.×');
  });

  it('after completing a chat in the middle of the list, the one below it opens', async () => {
    const shell = panel();
    shell.chats.push(chat({ id: 'c3', contact_name: 'Third Customer', last_activity_at: NOW - 5 * 3_600_000 }));
    shell.messages.set('c3', [message({ id: 'm9', chat_id: 'c3', text: 'Hi' })]);
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getAllByTestId('chat-item')[1] as HTMLElement);
    await openedChat('c2');
    fireEvent.click(screen.getByTestId('complete-button'));
    await openedChat('c3');
    expect(shell.callsOf('complete_chat').map((c) => c.args)).toEqual([{ chatId: 'c2' }]);
    expect(screen.getAllByTestId('chat-item').map((i) => [i.getAttribute('data-chat-id'), i.getAttribute('aria-current')])).toEqual([
      ['c1', null],
      ['c3', 'true'],
    ]);
  });

  it('shows why completing failed and keeps the chat', async () => {
    const shell = panel();
    shell.override('complete_chat', () => {
      throw { code: 'conflict', message: 'This chat was transferred to another operator.', details: null };
    });
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('complete-button'));
    expect((await screen.findByTestId('error-banner')).textContent).toContain(
      'This chat was transferred to another operator.',
    );
    expect(screen.getAllByTestId('chat-item')).toHaveLength(2);
  });

  it('the transfer menu lists queues and the other operators, and transfers to an operator', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('transfer-button'));
    await waitFor(() => expect(screen.getAllByTestId('transfer-target').length).toBeGreaterThan(0));
    const targets = screen.getAllByTestId('transfer-target').map((el) => [
      el.getAttribute('data-target-kind'),
      el.getAttribute('data-target-id'),
    ]);
    expect(targets).toEqual([
      ['queue', 'q-all'],
      ['queue', 'q-sales'],
      ['operator', 'op-2'],
      ['operator', 'op-3'],
    ]);
    expect(screen.getByTestId('transfer-menu').textContent).not.toContain(ME.name);
    const boris = screen.getAllByTestId('transfer-target')[2] as HTMLElement;
    expect(boris.textContent).toContain('Boris Second');
    fireEvent.click(boris);

    await waitFor(() => expect(screen.getAllByTestId('chat-item').map((i) => i.getAttribute('data-chat-id'))).toEqual(['c2']));
    expect(shell.callsOf('transfer_to_operator').map((c) => c.args)).toEqual([{ chatId: 'c1', operatorId: 'op-2' }]);
    expect(shell.callsOf('transfer_to_queue')).toHaveLength(0);
    expect(screen.queryByTestId('transfer-menu')).toBeNull();
    await openedChat('c2');
    expect(screen.getByTestId('notice').textContent).toContain('Boris Second');
  });

  it('transfers to a queue', async () => {
    const shell = panel();
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('transfer-button'));
    const sales = await waitFor(() => {
      const found = screen
        .getAllByTestId('transfer-target')
        .find((el) => el.getAttribute('data-target-id') === 'q-sales');
      expect(found).toBeTruthy();
      return found as HTMLElement;
    });
    fireEvent.click(sales);
    await waitFor(() => expect(shell.callsOf('transfer_to_queue').map((c) => c.args)).toEqual([{ chatId: 'c1', queueId: 'q-sales' }]));
    expect(shell.callsOf('transfer_to_operator')).toHaveLength(0);
  });

  it('"Why this chat?" lists the routing decisions with their candidates', async () => {
    const shell = panel();
    shell.explanations.set('c1', [
      routingEntry({
        decided_at: NOW - 3 * 60_000,
        kind: 'assign',
        rule: 'freest',
        summary: 'Assigned to Olga Operator: fewest active chats.',
        candidates: [
          { operator_name: ME.name, active_chats: 0, last_assigned_at: null },
          { operator_name: 'Boris Second', active_chats: 0, last_assigned_at: NOW - 60 * 60_000 },
        ],
        tie_break: 'Olga Operator never took a chat.',
      }),
      routingEntry({
        decided_at: NOW - 9 * 60_000,
        kind: 'wait',
        rule: null,
        summary: 'No Active operator below capacity; waiting in All operators.',
      }),
    ]);
    renderApp();
    await openedChat('c1');
    fireEvent.click(screen.getByTestId('why-button'));
    const whyPanel = await screen.findByTestId('why-panel');
    await waitFor(() => expect(within(whyPanel).getAllByTestId('why-entry')).toHaveLength(2));
    expect(shell.callsOf('explain_routing').map((c) => c.args)).toEqual([{ chatId: 'c1' }]);
    // Oldest first.
    const [waited, assigned] = within(whyPanel).getAllByTestId('why-entry') as [HTMLElement, HTMLElement];
    expect(waited.getAttribute('data-kind')).toBe('wait');
    expect(waited.textContent).toContain('No Active operator below capacity');
    expect(within(waited).queryByTestId('why-candidate')).toBeNull();
    expect(assigned.textContent).toContain('Assigned to Olga Operator: fewest active chats.');
    expect(within(assigned).getByTestId('why-rule').textContent).toBe('Freest operator');
    const rows = within(assigned).getAllByTestId('why-candidate');
    expect(rows.map((r) => r.querySelector('td')?.textContent)).toEqual([ME.name, 'Boris Second']);
    expect(rows[0]?.textContent).toContain('never');
    expect(within(assigned).getByTestId('why-tie-break').textContent).toContain('Olga Operator never took a chat.');

    fireEvent.click(screen.getByTestId('why-button'));
    expect(screen.queryByTestId('why-panel')).toBeNull();
  });
});

describe('navigation', () => {
  it('switches between the chat panel and Chat settings', async () => {
    panel();
    renderApp();
    await openedChat('c1');
    expect(screen.getByTestId('nav-panel').getAttribute('aria-current')).toBe('page');
    fireEvent.click(screen.getByTestId('nav-settings'));
    expect(await screen.findByTestId('chat-settings')).toBeTruthy();
    expect(screen.getByTestId('nav-settings').getAttribute('aria-current')).toBe('page');
    expect(screen.queryByTestId('chat-item')).toBeNull();
    fireEvent.click(screen.getByTestId('nav-panel'));
    expect(await screen.findAllByTestId('chat-item')).toHaveLength(2);
    expect(screen.queryByTestId('chat-settings')).toBeNull();
  });
});
