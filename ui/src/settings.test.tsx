import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { channel, fakeShell, queue } from './test/backend';

function settingsShell() {
  return fakeShell({
    channels: [
      channel({ id: 'ch1', name: 'Support bot' }),
      channel({ id: 'ch2', provider: 'messenger', name: 'Acme Page', active: false }),
    ],
    queues: [
      queue({ id: 'q-all', name: 'All operators', operator_names: ['Olga Operator', 'Boris Second'] }),
      queue({ id: 'q-vip', name: 'VIP', rule: 'freest', completion_timeout_min: 30, operator_names: [] }),
    ],
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('queue-row').length).toBeGreaterThan(0));
}

function form() {
  return screen.getByTestId('queue-form');
}

function fill(testId: string, value: string) {
  fireEvent.change(within(form()).getByTestId(testId), { target: { value } });
}

describe('Chat settings: queues', () => {
  it('shows the queues table: name, routing rule, completion timeout and operators', async () => {
    settingsShell();
    await openSettings();
    const rows = screen.getAllByTestId('queue-row');
    expect(rows.map((r) => r.getAttribute('data-queue-id'))).toEqual(['q-all', 'q-vip']);
    const cells = (row: HTMLElement) => Array.from(row.querySelectorAll('td')).map((td) => td.textContent);
    expect(cells(rows[0] as HTMLElement)).toEqual(['All operators', 'To all', 'Never', 'Olga Operator, Boris Second']);
    expect(cells(rows[1] as HTMLElement)).toEqual(['VIP', 'Freest operator', '30', 'No operators yet']);
    const headers = Array.from(screen.getByTestId('queues-block').querySelectorAll('th')).map((th) => th.textContent);
    expect(headers).toEqual(['Name', 'Routing rule', 'Completion timeout, min', 'Operators']);
  });

  it('offers the two rules with human labels', async () => {
    settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    const select = within(form()).getByTestId('queue-rule-select') as HTMLSelectElement;
    expect(Array.from(select.options).map((o) => [o.value, o.textContent])).toEqual([
      ['to_all', 'To all'],
      ['freest', 'Freest operator'],
    ]);
    expect(select.value).toBe('to_all');
  });

  it('refuses an empty name without asking the shell', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', '   ');
    fireEvent.click(within(form()).getByTestId('queue-apply'));
    expect((await within(form()).findByTestId('queue-name-error')).textContent).toBe('Enter a name for the queue.');
    expect(shell.callsOf('create_queue')).toHaveLength(0);
    expect(within(form()).getByTestId('queue-name-input').getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses a timeout that is not a whole number of minutes', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', 'Night shift');
    for (const bad of ['0', '2.5', '-5']) {
      fill('queue-timeout-input', bad);
      fireEvent.click(within(form()).getByTestId('queue-apply'));
      expect((await within(form()).findByTestId('queue-timeout-error')).textContent).toContain('whole number');
    }
    expect(shell.callsOf('create_queue')).toHaveLength(0);
  });

  it('creates a queue with create_queue (empty timeout = never) and shows it in the table', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', '  Night shift ');
    fill('queue-rule-select', 'freest');
    fireEvent.click(within(form()).getByTestId('queue-apply'));

    await waitFor(() => expect(screen.queryByTestId('queue-form')).toBeNull());
    expect(shell.callsOf('create_queue').map((c) => c.args)).toEqual([
      { queue: { name: 'Night shift', rule: 'freest', completion_timeout_min: null } },
    ]);
    await waitFor(() => expect(screen.getAllByTestId('queue-row')).toHaveLength(3));
    const added = screen.getAllByTestId('queue-row')[2] as HTMLElement;
    expect(added.textContent).toContain('Night shift');
    expect(added.textContent).toContain('Freest operator');
    expect(added.textContent).toContain('Never');
  });

  it('sends the timeout in minutes as a number', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', 'Returns');
    fill('queue-timeout-input', '15');
    fireEvent.click(within(form()).getByTestId('queue-apply'));
    await waitFor(() => expect(shell.callsOf('create_queue')).toHaveLength(1));
    expect(shell.callsOf('create_queue')[0]?.args).toEqual({
      queue: { name: 'Returns', rule: 'to_all', completion_timeout_min: 15 },
    });
  });

  it('catches a duplicate name before asking the shell', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', 'vip');
    fireEvent.click(within(form()).getByTestId('queue-apply'));
    expect((await within(form()).findByTestId('queue-name-error')).textContent).toBe(
      'A queue with this name already exists.',
    );
    expect(shell.callsOf('create_queue')).toHaveLength(0);
  });

  it("shows the shell's refusal in the form and keeps what was typed", async () => {
    const shell = settingsShell();
    shell.override('create_queue', () => {
      throw { code: 'invalid_input', message: 'The completion timeout must be at most 10080 minutes.', details: null };
    });
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', 'Long');
    fill('queue-timeout-input', '99999');
    fireEvent.click(within(form()).getByTestId('queue-apply'));
    const error = await within(form()).findByTestId('queue-form-error');
    expect(error.textContent).toBe('The completion timeout must be at most 10080 minutes.');
    expect((within(form()).getByTestId('queue-name-input') as HTMLInputElement).value).toBe('Long');
    expect((within(form()).getByTestId('queue-apply') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getAllByTestId('queue-row')).toHaveLength(2);
  });

  it('cancel closes the card without creating anything', async () => {
    const shell = settingsShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-queue'));
    fill('queue-name-input', 'Draft');
    fireEvent.click(within(form()).getByTestId('queue-cancel'));
    expect(screen.queryByTestId('queue-form')).toBeNull();
    expect(shell.callsOf('create_queue')).toHaveLength(0);
  });
});

describe('Chat settings: channels', () => {
  it('lists the channels read-only', async () => {
    settingsShell();
    await openSettings();
    const rows = await within(screen.getByTestId('channels-block')).findAllByTestId('channel-row');
    expect(rows.map((r) => r.getAttribute('data-channel-id'))).toEqual(['ch1', 'ch2']);
    expect(rows[0]?.textContent).toContain('Support bot');
    expect(rows[0]?.textContent).toContain('Yes');
    expect(rows[1]?.textContent).toContain('Messenger');
    expect(rows[1]?.textContent).toContain('No');
  });
});
