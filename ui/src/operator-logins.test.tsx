import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import type { OperatorLogin, SharedDatabaseView } from './generated/ipc';
import { fakeShell, queue } from './test/backend';

const SHARED: Partial<SharedDatabaseView> = {
  mode: 'shared',
  address: 'db.acme.test:5432/switchboard',
  user: 'boris',
  operator_name: 'Boris',
  connection: { state: 'online' },
};

const LOGINS: OperatorLogin[] = [
  { user_id: 'u-boris', name: 'Boris', login: 'boris', is_admin: true, enabled: true },
  { user_id: 'u-ann', name: 'Ann', login: 'ann', is_admin: false, enabled: true },
];

const PASSWORD = 'correct horse battery';

function sharedShell(options: { admin?: boolean } = {}) {
  return fakeShell({
    database: SHARED,
    operatorLogins: LOGINS,
    operatorLoginsAdmin: options.admin ?? true,
    queues: [queue({ id: 'q-sales', name: 'Sales' }), queue({ id: 'q-support', name: 'Support' })],
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await screen.findByTestId('shared-database-block');
}

async function openBlock() {
  await openSettings();
  const block = await screen.findByTestId('operator-logins-block');
  await within(block).findAllByTestId('operator-login-row');
  return block;
}

function input(name: 'name' | 'login' | 'password') {
  return screen.getByTestId(`operator-login-${name}`) as HTMLInputElement;
}

function fill(values: { name?: string; login?: string; password?: string }) {
  for (const [name, value] of Object.entries(values)) {
    fireEvent.change(input(name as 'name' | 'login' | 'password'), { target: { value } });
  }
}

function row(login: string) {
  const found = screen.getAllByTestId('operator-login-row').find((r) => r.dataset['login'] === login);
  if (!found) throw new Error(`no row for ${login}`);
  return found;
}

describe('Operator logins', () => {
  it('is not shown in standalone mode and asks the shell nothing', async () => {
    const shell = fakeShell({ operatorLogins: LOGINS });
    await openSettings();
    await screen.findByTestId('shared-db-form');
    expect(screen.queryByTestId('operator-logins-block')).toBeNull();
    expect(shell.callsOf('list_operator_logins')).toHaveLength(0);
  });

  it('lists the operators in shared mode: name, login, Admin and Enabled/Disabled, after the Shared database block', async () => {
    sharedShell();
    const block = await openBlock();
    const blocks = [...document.querySelectorAll('.settings-block')].map((b) => b.getAttribute('data-testid'));
    expect(blocks.indexOf('operator-logins-block')).toBe(blocks.indexOf('shared-database-block') + 1);

    const boris = row('boris');
    expect(within(boris).getByText('Boris')).toBeTruthy();
    expect(within(boris).getByTestId('operator-login-admin-badge').textContent).toBe('Admin');
    expect(within(boris).getByTestId('operator-login-state').textContent).toBe('Enabled');
    expect(within(row('ann')).queryByTestId('operator-login-admin-badge')).toBeNull();
    expect(within(row('ann')).getByTestId('operator-login-disable').textContent).toBe('Disable');
    // The password field is a new password the browser never fills in.
    expect(input('password').type).toBe('password');
    expect(input('password').getAttribute('autocomplete')).toBe('new-password');
    expect(within(block).getAllByTestId('operator-login-queue').map((q) => q.dataset['queueId'])).toEqual([
      'q-sales',
      'q-support',
    ]);
  });

  it('shows the shell’s refusal in words to a non-admin', async () => {
    sharedShell({ admin: false });
    await openSettings();
    const block = await screen.findByTestId('operator-logins-block');
    expect((await within(block).findByRole('alert')).textContent).toContain(
      'Only an admin can manage operator logins.',
    );
  });

  it('creates an operator: the list shows them, the form is cleared and the password is gone', async () => {
    const shell = sharedShell();
    await openBlock();
    fill({ name: ' Carol ', login: 'carol_2', password: PASSWORD });
    fireEvent.click(screen.getByTestId('operator-login-admin'));
    fireEvent.click(screen.getAllByTestId('operator-login-queue')[1] as HTMLElement);
    fireEvent.click(screen.getByTestId('operator-login-submit'));

    expect((await screen.findByTestId('operator-login-created')).textContent).toBe('Carol can now connect as carol_2.');
    expect(shell.callsOf('create_operator_login')[0]?.args).toEqual({
      login: { name: 'Carol', login: 'carol_2', password: PASSWORD, is_admin: true, queue_ids: ['q-support'] },
    });
    await waitFor(() => expect(within(row('carol_2')).getByText('Carol')).toBeTruthy());
    expect(within(row('carol_2')).getByTestId('operator-login-admin-badge')).toBeTruthy();
    expect(input('name').value).toBe('');
    expect(input('login').value).toBe('');
    expect(input('password').value).toBe('');
    expect((screen.getByTestId('operator-login-admin') as HTMLInputElement).checked).toBe(false);
    expect(screen.getAllByTestId('operator-login-queue').some((q) => (q as HTMLInputElement).checked)).toBe(false);
    expect(document.body.innerHTML).not.toContain(PASSWORD);
  });

  it('refuses empty fields and a login outside the pattern inline, without asking the shell', async () => {
    const shell = sharedShell();
    await openBlock();
    fireEvent.click(screen.getByTestId('operator-login-submit'));
    expect(screen.getByTestId('operator-login-name-problem').textContent).toBe('Enter the operator’s name.');
    expect(screen.getByTestId('operator-login-login-problem').textContent).toBe('Enter a login.');
    expect(screen.getByTestId('operator-login-password-problem').textContent).toBe('Enter a password.');
    expect(document.activeElement).toBe(input('name'));

    fill({ name: 'Carol', login: 'Carol-1', password: PASSWORD });
    fireEvent.click(screen.getByTestId('operator-login-submit'));
    expect(screen.getByTestId('operator-login-login-problem').textContent).toBe(
      'A login is lower-case letters, digits and _, starting with a letter.',
    );
    expect(input('login').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(input('login'));

    fill({ login: '1carol' });
    fireEvent.click(screen.getByTestId('operator-login-submit'));
    expect(screen.getByTestId('operator-login-login-problem')).toBeTruthy();
    expect(shell.callsOf('create_operator_login')).toHaveLength(0);
  });

  it('shows the shell’s error in an alert and keeps the form', async () => {
    const shell = sharedShell();
    await openBlock();
    fill({ name: 'Another Ann', login: 'ann', password: PASSWORD });
    fireEvent.click(screen.getByTestId('operator-login-submit'));
    expect((await screen.findByTestId('operator-login-error')).textContent).toBe('That login is already taken.');
    expect(screen.getByTestId('operator-login-error').getAttribute('role')).toBe('alert');
    expect(input('login').value).toBe('ann');

    fill({ login: 'ann2', password: 'short' });
    expect(screen.queryByTestId('operator-login-error')).toBeNull();
    fireEvent.click(screen.getByTestId('operator-login-submit'));
    expect((await screen.findByTestId('operator-login-error')).textContent).toBe('A password has at least 8 characters.');
    expect(shell.operatorLogins).toHaveLength(2);
  });

  it('disables a login after a confirm step; Cancel changes nothing', async () => {
    const shell = sharedShell();
    await openBlock();
    fireEvent.click(within(row('ann')).getByTestId('operator-login-disable'));
    const confirm = screen.getByTestId('operator-login-disable-confirm');
    expect(confirm.textContent).toContain('Ann will no longer be able to connect with the login ann.');
    fireEvent.click(screen.getByTestId('operator-login-disable-cancel'));
    expect(screen.queryByTestId('operator-login-disable-confirm')).toBeNull();
    expect(shell.callsOf('disable_operator_login')).toHaveLength(0);

    fireEvent.click(within(row('ann')).getByTestId('operator-login-disable'));
    fireEvent.click(screen.getByTestId('operator-login-disable-yes'));
    await waitFor(() => expect(within(row('ann')).getByTestId('operator-login-state').textContent).toBe('Disabled'));
    expect(shell.callsOf('disable_operator_login')[0]?.args).toEqual({ login: 'ann' });
    expect(within(row('ann')).queryByTestId('operator-login-disable')).toBeNull();
    expect(screen.queryByTestId('operator-login-disable-confirm')).toBeNull();
  });

  it('shows the shell’s refusal to disable your own login', async () => {
    sharedShell();
    await openBlock();
    fireEvent.click(within(row('boris')).getByTestId('operator-login-disable'));
    fireEvent.click(screen.getByTestId('operator-login-disable-yes'));
    expect((await screen.findByTestId('operator-logins-error')).textContent).toBe('You cannot disable your own login.');
    expect(within(row('boris')).getByTestId('operator-login-state').textContent).toBe('Enabled');
  });
});
