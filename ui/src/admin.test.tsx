import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import { fakeShell, ME, operator, queue, role } from './test/backend';

const BORIS = operator({ id: 'op-boris', name: 'Boris Second' });
const VERA = operator({ id: 'op-vera', name: 'Vera Third' });

function adminShell() {
  return fakeShell({
    operators: [operator({ id: ME.id, name: ME.name }), BORIS, VERA],
    roles: [
      role({ id: 'r-sales', name: 'Sales', user_ids: [BORIS.id], user_names: [BORIS.name] }),
      role({ id: 'r-night', name: 'Night shift' }),
    ],
    queues: [
      queue({
        id: 'q-all',
        name: 'All operators',
        operator_names: [ME.name, BORIS.name],
        members: [
          { kind: 'user', id: ME.id, name: ME.name },
          { kind: 'role', id: 'r-sales', name: 'Sales' },
        ],
      }),
      queue({ id: 'q-vip', name: 'VIP', operator_names: [], members: [] }),
    ],
    settings: { simultaneous_chats: 2, accept_timeout_min: 5 },
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('queue-row').length).toBeGreaterThan(0));
}

function queueRow(id: string) {
  const row = screen.getAllByTestId('queue-row').find((r) => r.getAttribute('data-queue-id') === id);
  if (!row) throw new Error(`no queue row ${id}`);
  return row;
}

function card() {
  return screen.getByTestId('queue-card');
}

function members() {
  return within(card())
    .queryAllByTestId('queue-member')
    .map((m) => [m.getAttribute('data-kind'), m.getAttribute('data-member-id'), m.textContent]);
}

async function openRoleCard(id: string) {
  const row = (await screen.findAllByTestId('role-row')).find((r) => r.getAttribute('data-role-id') === id);
  if (!row) throw new Error(`no role row ${id}`);
  fireEvent.click(row);
  return screen.getByTestId('role-card');
}

describe('Chat settings: a queue card and its operators', () => {
  it('opens on a row click and lists the users and roles serving the queue', async () => {
    adminShell();
    await openSettings();
    expect(screen.queryByTestId('queue-card')).toBeNull();
    fireEvent.click(queueRow('q-all'));
    expect(card().getAttribute('data-queue-id')).toBe('q-all');
    expect(members()).toEqual([
      ['user', ME.id, `User${ME.name}Remove`],
      ['role', 'r-sales', 'RoleSalesRemove'],
    ]);
    expect(within(card()).queryByTestId('queue-no-members')).toBeNull();
    fireEvent.click(within(card()).getByTestId('queue-card-close'));
    expect(screen.queryByTestId('queue-card')).toBeNull();
  });

  it('warns that the chats of a queue nobody serves wait forever', async () => {
    adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-vip'));
    expect(members()).toEqual([]);
    expect(within(card()).getByTestId('queue-no-members').textContent).toContain('wait forever');
  });

  it('offers only users and roles that are not members yet', async () => {
    adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-all'));
    fireEvent.click(within(card()).getByTestId('add-queue-member'));
    const picker = within(card()).getByTestId('queue-member-picker');
    const select = (await within(picker).findByRole('combobox')) as HTMLSelectElement;
    const values = Array.from(select.options)
      .map((o) => o.value)
      .filter((v) => v !== '');
    expect(values).toEqual([`user:${BORIS.id}`, `user:${VERA.id}`, 'role:r-night']);
    expect((within(picker).getByTestId('queue-member-confirm') as HTMLButtonElement).disabled).toBe(true);
  });

  it('adds a role with add_queue_member and shows it from the answer', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-vip'));
    fireEvent.click(within(card()).getByTestId('add-queue-member'));
    const picker = within(card()).getByTestId('queue-member-picker');
    fireEvent.change(await within(picker).findByRole('combobox'), { target: { value: 'role:r-sales' } });
    fireEvent.click(within(picker).getByTestId('queue-member-confirm'));

    await waitFor(() => expect(members()).toEqual([['role', 'r-sales', 'RoleSalesRemove']]));
    expect(shell.callsOf('add_queue_member').map((c) => c.args)).toEqual([
      { queueId: 'q-vip', kind: 'role', memberId: 'r-sales' },
    ]);
    expect(within(card()).queryByTestId('queue-member-picker')).toBeNull();
    expect(within(card()).queryByTestId('queue-no-members')).toBeNull();
    // The table row follows the answer too: the role's user now serves the queue.
    expect(queueRow('q-vip').textContent).toContain(BORIS.name);
  });

  it('removes a member with remove_queue_member', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-all'));
    const sales = within(card())
      .getAllByTestId('queue-member')
      .find((m) => m.getAttribute('data-member-id') === 'r-sales') as HTMLElement;
    fireEvent.click(within(sales).getByTestId('remove-queue-member'));

    await waitFor(() => expect(members()).toEqual([['user', ME.id, `User${ME.name}Remove`]]));
    expect(shell.callsOf('remove_queue_member').map((c) => c.args)).toEqual([
      { queueId: 'q-all', kind: 'role', memberId: 'r-sales' },
    ]);
    expect(queueRow('q-all').textContent).not.toContain(BORIS.name);
  });

  it("shows the shell's refusal in the card", async () => {
    const shell = adminShell();
    shell.override('remove_queue_member', () => {
      throw { code: 'conflict', message: 'You cannot remove the last admin queue member.', details: null };
    });
    await openSettings();
    fireEvent.click(queueRow('q-all'));
    fireEvent.click(within(card()).getAllByTestId('remove-queue-member')[0] as HTMLElement);
    expect((await within(card()).findByTestId('queue-card-error')).textContent).toBe(
      'You cannot remove the last admin queue member.',
    );
    expect(members()).toHaveLength(2);
  });
});

describe('Chat settings: editing a queue in its card', () => {
  const cardField = (id: string) => within(card()).getByTestId(id) as HTMLInputElement;
  const cardApply = () => within(card()).getByTestId('queue-card-apply') as HTMLButtonElement;

  it('shows the queue in the fields; Apply is disabled while nothing changed or something is wrong', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-vip'));
    expect(cardField('queue-card-name-input').value).toBe('VIP');
    expect(cardField('queue-card-rule-select').value).toBe('to_all');
    expect(cardField('queue-card-timeout-input').value).toBe('');
    expect(cardApply().disabled).toBe(true);

    fireEvent.change(cardField('queue-card-name-input'), { target: { value: '  ' } });
    expect(within(card()).getByTestId('queue-card-name-error').textContent).toBe('Enter a name for the queue.');
    expect(cardApply().disabled).toBe(true);
    fireEvent.change(cardField('queue-card-name-input'), { target: { value: 'all operators' } });
    expect(within(card()).getByTestId('queue-card-name-error').textContent).toBe('A queue with this name already exists.');
    expect(cardApply().disabled).toBe(true);
    fireEvent.change(cardField('queue-card-name-input'), { target: { value: 'VIP' } });
    fireEvent.change(cardField('queue-card-timeout-input'), { target: { value: '0' } });
    expect(within(card()).getByTestId('queue-card-timeout-error').textContent).toContain('whole number');
    expect(cardApply().disabled).toBe(true);
    fireEvent.click(cardApply());
    expect(shell.callsOf('update_queue')).toHaveLength(0);
  });

  it('applies with update_queue and the card and the row show the answer', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-all'));
    fireEvent.change(cardField('queue-card-name-input'), { target: { value: ' Everyone ' } });
    fireEvent.change(cardField('queue-card-rule-select'), { target: { value: 'freest' } });
    expect(cardApply().disabled).toBe(false);
    fireEvent.click(cardApply());

    await waitFor(() => expect(queueRow('q-all').textContent).toContain('Everyone'));
    expect(shell.callsOf('update_queue').map((c) => c.args)).toEqual([
      { queueId: 'q-all', queue: { name: 'Everyone', rule: 'freest', completion_timeout_min: null } },
    ]);
    expect(queueRow('q-all').textContent).toContain('Freest operator');
    expect(queueRow('q-all').textContent).toContain('Never');
    expect(within(card()).getByRole('heading', { level: 3 }).textContent).toContain('Everyone');
    expect(cardField('queue-card-name-input').value).toBe('Everyone');
    expect(cardApply().disabled).toBe(true);
    expect(within(card()).queryByTestId('queue-card-error')).toBeNull();
  });

  it('sends the timeout in minutes as a number', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-vip'));
    fireEvent.change(cardField('queue-card-timeout-input'), { target: { value: '30' } });
    fireEvent.click(cardApply());
    await waitFor(() => expect(queueRow('q-vip').textContent).toContain('30'));
    expect(shell.callsOf('update_queue').map((c) => c.args)).toEqual([
      { queueId: 'q-vip', queue: { name: 'VIP', rule: 'to_all', completion_timeout_min: 30 } },
    ]);
  });

  it("shows the shell's refusal of a duplicate name and keeps what was typed", async () => {
    const shell = adminShell();
    await openSettings();
    // Another admin created it after the page loaded: only the shell knows.
    shell.queues.push(queue({ id: 'q-new', name: 'Night shift' }));
    fireEvent.click(queueRow('q-vip'));
    fireEvent.change(cardField('queue-card-name-input'), { target: { value: 'Night shift' } });
    fireEvent.click(cardApply());
    expect((await within(card()).findByTestId('queue-card-error')).textContent).toBe(
      'A queue named "Night shift" already exists.',
    );
    expect(cardField('queue-card-name-input').value).toBe('Night shift');
    expect(queueRow('q-vip').textContent).toContain('VIP');
    expect(shell.queues.find((q) => q.id === 'q-vip')?.name).toBe('VIP');
  });

  it('Cancel puts back what the queue says', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(queueRow('q-all'));
    fireEvent.change(cardField('queue-card-name-input'), { target: { value: '' } });
    fireEvent.change(cardField('queue-card-rule-select'), { target: { value: 'freest' } });
    fireEvent.change(cardField('queue-card-timeout-input'), { target: { value: '15' } });
    fireEvent.click(within(card()).getByTestId('queue-card-cancel'));
    expect(cardField('queue-card-name-input').value).toBe('All operators');
    expect(cardField('queue-card-rule-select').value).toBe('to_all');
    expect(cardField('queue-card-timeout-input').value).toBe('');
    expect(within(card()).queryByTestId('queue-card-name-error')).toBeNull();
    expect(cardApply().disabled).toBe(true);
    expect(shell.callsOf('update_queue')).toHaveLength(0);
  });
});

describe('Chat settings: roles', () => {
  it('lists roles with their users', async () => {
    adminShell();
    await openSettings();
    const rows = await screen.findAllByTestId('role-row');
    expect(rows.map((r) => r.getAttribute('data-role-id'))).toEqual(['r-sales', 'r-night']);
    expect(rows[0]?.textContent).toBe(`Sales${BORIS.name}`);
    expect(rows[1]?.textContent).toBe('Night shiftNo users');
  });

  it('refuses an empty name without asking the shell', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-role'));
    fireEvent.change(screen.getByTestId('role-name-input'), { target: { value: '   ' } });
    fireEvent.click(screen.getByTestId('role-apply'));
    expect((await screen.findByTestId('role-name-error')).textContent).toBe('Enter a name for the role.');
    expect(shell.callsOf('create_role')).toHaveLength(0);
  });

  it('creates a role with create_role and shows it in the table', async () => {
    const shell = adminShell();
    await openSettings();
    fireEvent.click(screen.getByTestId('add-role'));
    fireEvent.change(screen.getByTestId('role-name-input'), { target: { value: ' Supervisors ' } });
    fireEvent.click(screen.getByTestId('role-apply'));
    await waitFor(() => expect(screen.getAllByTestId('role-row')).toHaveLength(3));
    expect(shell.callsOf('create_role').map((c) => c.args)).toEqual([{ name: 'Supervisors' }]);
    expect(screen.queryByTestId('role-form')).toBeNull();
    expect(screen.getAllByTestId('role-row')[2]?.textContent).toContain('Supervisors');
  });

  it("shows the shell's refusal in the role form", async () => {
    const shell = adminShell();
    shell.override('create_role', () => {
      throw { code: 'invalid_input', message: 'Role names are at most 64 characters.', details: null };
    });
    await openSettings();
    fireEvent.click(screen.getByTestId('add-role'));
    fireEvent.change(screen.getByTestId('role-name-input'), { target: { value: 'x'.repeat(80) } });
    fireEvent.click(screen.getByTestId('role-apply'));
    expect((await screen.findByTestId('role-form-error')).textContent).toBe('Role names are at most 64 characters.');
    expect(screen.getAllByTestId('role-row')).toHaveLength(2);
  });

  it('gives and takes the role with set_role_member', async () => {
    const shell = adminShell();
    await openSettings();
    const roleCard = await openRoleCard('r-sales');
    const box = (id: string) =>
      within(roleCard)
        .getAllByTestId('role-user-checkbox')
        .find((c) => c.getAttribute('data-user-id') === id) as HTMLInputElement;
    expect(box(BORIS.id).checked).toBe(true);
    expect(box(VERA.id).checked).toBe(false);

    fireEvent.click(box(VERA.id));
    await waitFor(() => expect(box(VERA.id).checked).toBe(true));
    fireEvent.click(box(BORIS.id));
    await waitFor(() => expect(box(BORIS.id).checked).toBe(false));

    expect(shell.callsOf('set_role_member').map((c) => c.args)).toEqual([
      { roleId: 'r-sales', userId: VERA.id, member: true },
      { roleId: 'r-sales', userId: BORIS.id, member: false },
    ]);
    const salesRow = screen.getAllByTestId('role-row')[0] as HTMLElement;
    expect(salesRow.textContent).toBe(`Sales${VERA.name}`);
    // The queue served by the role follows.
    await waitFor(() => expect(queueRow('q-all').textContent).toContain(VERA.name));
  });

  it("shows the shell's refusal in the role card", async () => {
    const shell = adminShell();
    shell.override('set_role_member', () => {
      throw { code: 'not_found', message: 'This user no longer exists.', details: null };
    });
    await openSettings();
    const roleCard = await openRoleCard('r-night');
    fireEvent.click(within(roleCard).getAllByTestId('role-user-checkbox')[0] as HTMLElement);
    expect((await within(roleCard).findByTestId('role-card-error')).textContent).toBe('This user no longer exists.');
    expect((within(roleCard).getAllByTestId('role-user-checkbox')[0] as HTMLInputElement).checked).toBe(false);
  });
});

describe('Chat settings: settings', () => {
  async function settingsBlock() {
    await openSettings();
    const block = screen.getByTestId('settings-block');
    await waitFor(() =>
      expect((within(block).getByTestId('setting-simultaneous') as HTMLInputElement).value).toBe('2'),
    );
    return block;
  }
  const field = (block: HTMLElement, id: string) => within(block).getByTestId(id) as HTMLInputElement;
  const apply = (block: HTMLElement) => within(block).getByTestId('settings-apply') as HTMLButtonElement;

  it('shows the current values; Apply is disabled while nothing changed', async () => {
    adminShell();
    const block = await settingsBlock();
    expect(field(block, 'setting-accept-timeout').value).toBe('5');
    expect(apply(block).disabled).toBe(true);
    expect(block.textContent).toContain('routes chats waiting in queues to operators at once');
  });

  it('validates the ranges without asking the shell', async () => {
    const shell = adminShell();
    const block = await settingsBlock();
    for (const bad of ['0', '51', '2.5', '']) {
      fireEvent.change(field(block, 'setting-simultaneous'), { target: { value: bad } });
      expect(within(block).getByTestId('setting-simultaneous-error').textContent).toBe(
        'Enter a whole number from 1 to 50.',
      );
      expect(apply(block).disabled).toBe(true);
    }
    fireEvent.change(field(block, 'setting-simultaneous'), { target: { value: '50' } });
    expect(within(block).queryByTestId('setting-simultaneous-error')).toBeNull();
    for (const bad of ['0', '121']) {
      fireEvent.change(field(block, 'setting-accept-timeout'), { target: { value: bad } });
      expect(within(block).getByTestId('setting-accept-timeout-error').textContent).toBe(
        'Enter a whole number of minutes from 1 to 120.',
      );
      expect(apply(block).disabled).toBe(true);
    }
    fireEvent.click(apply(block));
    expect(shell.callsOf('update_settings')).toHaveLength(0);
  });

  it('applies with update_settings, sending numbers, and confirms', async () => {
    const shell = adminShell();
    const block = await settingsBlock();
    fireEvent.change(field(block, 'setting-simultaneous'), { target: { value: '4' } });
    fireEvent.change(field(block, 'setting-accept-timeout'), { target: { value: '120' } });
    expect(apply(block).disabled).toBe(false);
    fireEvent.click(apply(block));
    expect((await within(block).findByTestId('settings-saved')).textContent).toBe('Settings saved.');
    expect(shell.callsOf('update_settings').map((c) => c.args)).toEqual([
      { settings: { simultaneous_chats: 4, accept_timeout_min: 120 } },
    ]);
    expect(shell.settings).toEqual({ simultaneous_chats: 4, accept_timeout_min: 120 });
    expect(apply(block).disabled).toBe(true);
  });

  it("shows the shell's refusal and keeps what was typed", async () => {
    const shell = adminShell();
    shell.override('update_settings', () => {
      throw { code: 'invalid_input', message: 'Only admins can change settings.', details: null };
    });
    const block = await settingsBlock();
    fireEvent.change(field(block, 'setting-simultaneous'), { target: { value: '7' } });
    fireEvent.click(apply(block));
    expect((await within(block).findByTestId('settings-error')).textContent).toBe('Only admins can change settings.');
    expect(field(block, 'setting-simultaneous').value).toBe('7');
    expect(within(block).queryByTestId('settings-saved')).toBeNull();
  });

  it('Cancel puts back the saved values', async () => {
    const shell = adminShell();
    const block = await settingsBlock();
    fireEvent.change(field(block, 'setting-simultaneous'), { target: { value: '99' } });
    fireEvent.change(field(block, 'setting-accept-timeout'), { target: { value: '10' } });
    fireEvent.click(within(block).getByTestId('settings-cancel'));
    expect(field(block, 'setting-simultaneous').value).toBe('2');
    expect(field(block, 'setting-accept-timeout').value).toBe('5');
    expect(within(block).queryByTestId('setting-simultaneous-error')).toBeNull();
    expect(apply(block).disabled).toBe(true);
    expect(shell.callsOf('update_settings')).toHaveLength(0);
  });
});
