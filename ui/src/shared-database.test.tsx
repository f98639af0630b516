import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import type { SharedDatabaseView } from './generated/ipc';
import { fakeShell, type FakeDatabaseAccount } from './test/backend';

const ADDRESS = 'db.acme.test:5432/switchboard';
const ANN: FakeDatabaseAccount = {
  address: ADDRESS,
  user: 'ann',
  password: 'correct horse battery',
  operator_name: 'Ann',
  is_admin: false,
};
const BORIS: FakeDatabaseAccount = { ...ANN, user: 'boris', password: 'b-secret', operator_name: 'Boris', is_admin: true };

const SHARED: Partial<SharedDatabaseView> = {
  mode: 'shared',
  address: ADDRESS,
  user: 'ann',
  operator_name: 'Ann',
  connection: { state: 'online' },
};

function standaloneShell(options: { encrypted?: boolean } = {}) {
  return fakeShell({ databaseAccounts: [ANN, BORIS], databaseServer: { encrypted: options.encrypted ?? true } });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  return screen.findByTestId('shared-database-block');
}

async function openForm() {
  await openSettings();
  return screen.findByTestId('shared-db-form');
}

function input(name: 'address' | 'user' | 'password') {
  return screen.getByTestId(`shared-db-${name}`) as HTMLInputElement;
}

function fill(login: { address?: string; user?: string; password?: string }) {
  for (const [name, value] of Object.entries(login)) {
    fireEvent.change(input(name as 'address' | 'user' | 'password'), { target: { value } });
  }
}

function block() {
  return screen.getByTestId('shared-database-block');
}

describe('Shared database: connecting a standalone desktop', () => {
  it('explains the block and offers address, user and a password field that is never autofilled', async () => {
    standaloneShell();
    const form = await openForm();
    expect(form.textContent).toContain('connect this desktop to your contact centre’s shared database');
    expect(input('address').placeholder).toBe('db.example.com:5432/switchboard');
    expect(input('password').type).toBe('password');
    expect(input('password').autocomplete).toBe('off');
    expect(screen.getByTestId('shared-db-test').textContent).toBe('Test connection');
    expect(screen.getByTestId('shared-db-connect').textContent).toBe('Connect');
  });

  it('tests a login and says who it is, on which server, and whether the link is encrypted', async () => {
    const shell = standaloneShell();
    await openForm();
    fill({ address: ` ${ADDRESS} `, user: 'ann', password: ANN.password });
    fireEvent.click(screen.getByTestId('shared-db-test'));

    const result = await screen.findByTestId('shared-db-check');
    expect(result.getAttribute('role')).toBe('status');
    expect(result.textContent).toBe('Connected as Ann (operator) · PostgreSQL 15.8 · encrypted');
    expect(shell.callsOf('test_shared_database')[0]?.args).toEqual({
      login: { address: ADDRESS, user: 'ann', password: ANN.password },
    });
    expect(shell.callsOf('connect_shared_database')).toHaveLength(0);
    expect(shell.databasePassword).toBeNull();

    // Another login: the old answer goes away at the first keystroke.
    fill({ user: 'boris' });
    expect(screen.queryByTestId('shared-db-check')).toBeNull();
  });

  it('says when the tested connection is an admin and not encrypted', async () => {
    standaloneShell({ encrypted: false });
    await openForm();
    fill({ address: ADDRESS, user: 'boris', password: BORIS.password });
    fireEvent.click(screen.getByTestId('shared-db-test'));
    expect((await screen.findByTestId('shared-db-check')).textContent).toBe(
      'Connected as Boris (admin) · PostgreSQL 15.8 · not encrypted',
    );
  });

  it('shows the shell’s sentence in an alert when the test fails', async () => {
    standaloneShell();
    await openForm();
    fill({ address: ADDRESS, user: 'ann', password: 'wrong' });
    fireEvent.click(screen.getByTestId('shared-db-test'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('The shared database refused this user name or password.');
    expect(screen.queryByTestId('shared-db-check')).toBeNull();

    fill({ address: `ann:secret@${ADDRESS}`, password: ANN.password });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByTestId('shared-db-test'));
    expect((await screen.findByTestId('shared-db-error')).textContent).toBe(
      'Put the password in the password field, not in the address.',
    );
  });

  it('refuses empty fields inline without asking the shell', async () => {
    const shell = standaloneShell();
    await openForm();
    fireEvent.click(screen.getByTestId('shared-db-connect'));
    expect(screen.getByTestId('shared-db-address-problem').textContent).toBe('Enter the database address.');
    expect(screen.getByTestId('shared-db-user-problem').textContent).toBe('Enter your user name.');
    expect(screen.getByTestId('shared-db-password-problem').textContent).toBe('Enter your password.');
    expect(input('address').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(input('address'));

    fill({ address: ADDRESS, user: '   ' });
    fireEvent.click(screen.getByTestId('shared-db-test'));
    expect(screen.queryByTestId('shared-db-address-problem')).toBeNull();
    expect(screen.getByTestId('shared-db-user-problem').textContent).toBe('Enter your user name.');
    expect(screen.getByTestId('shared-db-password-problem')).toBeTruthy();
    expect(document.activeElement).toBe(input('user'));

    expect(shell.callsOf('test_shared_database')).toHaveLength(0);
    expect(shell.callsOf('connect_shared_database')).toHaveLength(0);
  });

  it('connects, keeps the password out of the page and asks for a restart; Restart now restarts', async () => {
    const shell = standaloneShell();
    await openForm();
    fill({ address: ADDRESS, user: 'ann', password: ANN.password });
    fireEvent.click(screen.getByTestId('shared-db-connect'));

    const prompt = await screen.findByTestId('restart-prompt');
    expect(prompt.textContent).toContain('Restart Switchboard to start working in shared mode.');
    expect(shell.callsOf('connect_shared_database')[0]?.args).toEqual({
      login: { address: ADDRESS, user: 'ann', password: ANN.password },
    });
    expect(shell.databasePassword).toBe(ANN.password);
    expect(screen.queryByTestId('shared-db-form')).toBeNull();
    expect(screen.getByTestId('shared-db-joining').textContent).toBe(
      `After the restart this desktop connects to ${ADDRESS} as ann.`,
    );
    expect(document.body.innerHTML).not.toContain(ANN.password);
    // Still standalone until the restart: no badge yet.
    expect(screen.queryByTestId('database-badge')).toBeNull();

    const restart = screen.getByTestId('restart-now') as HTMLButtonElement;
    expect(restart.textContent).toBe('Restart now');
    fireEvent.click(restart);
    await waitFor(() => expect(shell.callsOf('restart_app')).toHaveLength(1));
    expect(restart.disabled).toBe(true);
    expect(restart.textContent).toBe('Restarting…');
  });

  it('keeps what was typed when Connect is refused', async () => {
    const shell = standaloneShell();
    shell.override('connect_shared_database', () => {
      throw { code: 'keychain', message: 'The system keychain refused to store the password.', details: null };
    });
    await openForm();
    fill({ address: ADDRESS, user: 'ann', password: ANN.password });
    fireEvent.click(screen.getByTestId('shared-db-connect'));
    expect((await screen.findByRole('alert')).textContent).toBe('The system keychain refused to store the password.');
    expect(input('password').value).toBe(ANN.password);
    expect(screen.queryByTestId('restart-prompt')).toBeNull();
  });

  it('shows why shared mode could not start at the top of the block', async () => {
    fakeShell({
      database: {
        address: ADDRESS,
        user: 'ann',
        problem: 'The password for the shared database is no longer in the keychain: connect again.',
      },
    });
    await openSettings();
    const problem = await screen.findByTestId('shared-db-problem');
    expect(problem.textContent).toBe('The password for the shared database is no longer in the keychain: connect again.');
    expect(block().querySelector('.settings-block__header')?.nextElementSibling).toBe(problem);
    expect(screen.getByTestId('shared-db-form')).toBeTruthy();
  });

  it('shows no connection badge in the rail', async () => {
    const shell = standaloneShell();
    await openForm();
    expect(shell.callsOf('shared_database').length).toBeGreaterThan(0);
    expect(screen.queryByTestId('database-badge')).toBeNull();
  });
});

describe('Shared database: a desktop in shared mode', () => {
  it('shows the address, the login, the operator and the state, and follows database-changed in the block and the rail', async () => {
    const shell = fakeShell({ database: SHARED });
    render(<App channelPollMs={0} />);
    const badge = await screen.findByTestId('database-badge');
    expect(badge.textContent).toBe('Shared database: Online');
    expect(badge.getAttribute('title')).toBe('Shared database: Online');
    expect(badge.getAttribute('role')).toBe('status');

    fireEvent.click(screen.getByTestId('nav-settings'));
    await screen.findByTestId('shared-db-status');
    expect(screen.getByTestId('shared-db-address').textContent).toBe(ADDRESS);
    expect(screen.getByTestId('shared-db-user').textContent).toBe('ann');
    expect(screen.getByTestId('shared-db-operator').textContent).toBe('Ann');
    expect(screen.getByTestId('shared-db-connection').textContent?.trim()).toBe('Online');
    expect(screen.queryByTestId('shared-db-form')).toBeNull();

    await shell.emitDatabaseChanged({ connection: { state: 'connecting' } });
    await waitFor(() => expect(screen.getByTestId('shared-db-connection').textContent?.trim()).toBe('Connecting…'));
    expect(screen.getByTestId('database-badge').getAttribute('data-state')).toBe('connecting');

    await shell.emitDatabaseChanged({ connection: { state: 'offline', reason: 'the server does not answer' } });
    await waitFor(() =>
      expect(screen.getByTestId('shared-db-connection').textContent?.trim()).toBe('Offline: the server does not answer'),
    );
    const offline = screen.getByTestId('database-badge');
    expect(offline.getAttribute('data-state')).toBe('offline');
    expect(offline.getAttribute('title')).toBe('Offline: the server does not answer');
    expect(offline.textContent).toBe('Shared database: Offline: the server does not answer');
    expect(within(offline).getByText('Offline')).toBeTruthy();
  });

  it('counts the changes waiting to be sent', async () => {
    const shell = fakeShell({ database: { ...SHARED, pending_changes: 3 } });
    render(<App channelPollMs={0} />);
    expect((await screen.findByTestId('database-badge-pending')).textContent).toBe('· 3 waiting');
    fireEvent.click(screen.getByTestId('nav-settings'));
    expect((await screen.findByTestId('shared-db-pending')).textContent).toBe('3 changes wait to be sent');

    await shell.emitDatabaseChanged({ pending_changes: 1 });
    await waitFor(() => expect(screen.getByTestId('shared-db-pending').textContent).toBe('1 change waits to be sent'));
    expect(screen.getByTestId('database-badge-pending').textContent).toBe('· 1 waiting');

    await shell.emitDatabaseChanged({ pending_changes: 0 });
    await waitFor(() => expect(screen.queryByTestId('shared-db-pending')).toBeNull());
    expect(screen.queryByTestId('database-badge-pending')).toBeNull();
  });

  it('leaves shared mode only after the confirm step, then asks for a restart', async () => {
    const shell = fakeShell({ database: SHARED });
    await openSettings();
    fireEvent.click(await screen.findByTestId('shared-db-leave'));
    const confirm = screen.getByTestId('shared-db-leave-confirm');
    expect(confirm.textContent).toContain(
      'This desktop will work on its own after a restart. Nothing is deleted from the shared database.',
    );
    fireEvent.click(screen.getByTestId('shared-db-leave-cancel'));
    expect(screen.queryByTestId('shared-db-leave-confirm')).toBeNull();
    expect(shell.callsOf('leave_shared_database')).toHaveLength(0);

    fireEvent.click(screen.getByTestId('shared-db-leave'));
    fireEvent.click(screen.getByTestId('shared-db-leave-yes'));
    const prompt = await screen.findByTestId('restart-prompt');
    expect(prompt.textContent).toContain('Restart Switchboard to leave shared mode.');
    expect(shell.callsOf('leave_shared_database')).toHaveLength(1);
    expect(screen.queryByTestId('shared-db-leave')).toBeNull();
    // Shared until the restart: the badge stays.
    expect(screen.getByTestId('database-badge')).toBeTruthy();

    fireEvent.click(screen.getByTestId('restart-now'));
    await waitFor(() => expect(shell.callsOf('restart_app')).toHaveLength(1));
  });

  it('renders the operator’s name and the offline reason as text', async () => {
    const XSS = '<img src=x onerror=alert(1)>';
    fakeShell({
      database: { ...SHARED, operator_name: XSS, connection: { state: 'offline', reason: XSS }, problem: XSS },
    });
    await openSettings();
    expect((await screen.findByTestId('shared-db-operator')).textContent).toBe(XSS);
    expect(screen.getByTestId('shared-db-problem').textContent).toBe(XSS);
    expect(screen.getByTestId('database-badge').getAttribute('title')).toBe(`Offline: ${XSS}`);
    expect(document.querySelector('img[src="x"]')).toBeNull();
  });
});

describe('Shared database: the first run', () => {
  it('offers a new standalone desktop the way into the team, which opens the block', async () => {
    standaloneShell();
    render(<App channelPollMs={0} />);
    const invitation = await screen.findByTestId('empty-state-team');
    expect(invitation.textContent).toContain('Working in a team?');
    fireEvent.click(within(invitation).getByTestId('join-team'));
    expect(await screen.findByTestId('shared-db-form')).toBeTruthy();
  });

  it('does not offer it on a desktop that already works in shared mode', async () => {
    fakeShell({ database: SHARED });
    render(<App channelPollMs={0} />);
    await screen.findByTestId('empty-state');
    await screen.findByTestId('database-badge');
    expect(screen.queryByTestId('empty-state-team')).toBeNull();
  });
});
