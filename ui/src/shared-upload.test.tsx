import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import type { SharedDatabaseLogin, StandaloneData } from './generated/ipc';
import { fakeShell, type FakeDatabaseAccount } from './test/backend';

const ADDRESS = 'db.acme.test:5432/switchboard';
const ADA: FakeDatabaseAccount = {
  address: ADDRESS,
  user: 'ada',
  password: 'ada-secret-1',
  operator_name: 'Ada',
  is_admin: true,
};
const OLGA: FakeDatabaseAccount = { ...ADA, user: 'olga', password: 'olga-secret', operator_name: 'Olga', is_admin: false };
const DATA: StandaloneData = { channels: 2, queues: 3, operators: 1, roles: 1, chats: 140, messages: 2311 };
const UPLOADED = 'Uploaded 2 channels, 3 queues, 1 operator, 1 role, 140 chats and 2,311 messages.';
const ADMIN_ONLY =
  "Only an admin can upload this desktop's data (its configuration and history). Connect with an admin's login, or untick “Upload this desktop's data” to connect without it.";

/** A standalone desktop with data of its own; Connect answers as the shell does with the upload. */
function desktopWithData(data: StandaloneData | null = DATA) {
  const shell = fakeShell({
    database: data === null ? {} : { standalone_data: data },
    databaseAccounts: [ADA, OLGA],
  });
  shell.override('connect_shared_database', (args) => {
    const login = args['login'] as SharedDatabaseLogin;
    const account = [ADA, OLGA].find((a) => a.user === login.user && a.password === login.password);
    if (!account) throw { code: 'forbidden', message: 'The shared database refused this user name or password.', details: null };
    if (login.upload === true && !account.is_admin) throw { code: 'forbidden', message: ADMIN_ONLY, details: null };
    const { standalone_data: _offered, ...rest } = shell.database;
    shell.database = {
      ...rest,
      address: ADDRESS,
      user: login.user,
      operator_name: account.operator_name,
      restart_required: true,
      ...(login.upload === true ? { upload_result: UPLOADED } : {}),
    };
    return structuredClone(shell.database);
  });
  return shell;
}

async function openForm() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  return screen.findByTestId('shared-db-form');
}

function fill(account: FakeDatabaseAccount) {
  for (const [name, value] of [
    ['address', account.address],
    ['user', account.user],
    ['password', account.password],
  ] as const) {
    fireEvent.change(screen.getByTestId(`shared-db-${name}`), { target: { value } });
  }
}

const box = () => screen.getByTestId('shared-db-upload-box') as HTMLInputElement;

describe('Shared database: uploading a standalone desktop’s data', () => {
  it('shows what would be uploaded, ticked, and says nothing is deleted here', async () => {
    desktopWithData();
    await openForm();
    const offer = screen.getByTestId('shared-db-upload');
    expect(screen.getByTestId('shared-db-upload-channels').textContent).toBe('2');
    expect(screen.getByTestId('shared-db-upload-queues').textContent).toBe('3');
    expect(screen.getByTestId('shared-db-upload-people').textContent).toBe('2');
    expect(screen.getByTestId('shared-db-upload-chats').textContent).toBe('140');
    expect(screen.getByTestId('shared-db-upload-messages').textContent).toBe('2,311');
    expect(offer.textContent).toContain('Operators and roles');
    expect(offer.textContent).toContain('Upload this desktop’s data to the shared database');
    expect(offer.textContent).toContain('Nothing is deleted on this desktop.');
    expect(box().checked).toBe(true);
    expect(screen.getByTestId('shared-db-connect').textContent).toBe('Upload and connect');
  });

  it('uploads with the connection and shows the result before the restart prompt', async () => {
    const shell = desktopWithData();
    await openForm();
    fill(ADA);
    fireEvent.click(screen.getByTestId('shared-db-connect'));

    const result = await screen.findByTestId('shared-db-upload-result');
    expect(result.textContent).toBe(UPLOADED);
    expect(result.getAttribute('role')).toBe('status');
    expect(shell.callsOf('connect_shared_database')[0]?.args).toEqual({
      login: { address: ADDRESS, user: 'ada', password: ADA.password, upload: true },
    });
    const prompt = screen.getByTestId('restart-prompt');
    expect(result.compareDocumentPosition(prompt) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(screen.queryByTestId('shared-db-form')).toBeNull();
  });

  it('connects without uploading when the box is unticked', async () => {
    const shell = desktopWithData();
    await openForm();
    fill(ADA);
    fireEvent.click(box());
    expect(box().checked).toBe(false);
    expect(screen.getByTestId('shared-db-connect').textContent).toBe('Connect');
    fireEvent.click(screen.getByTestId('shared-db-connect'));

    await screen.findByTestId('restart-prompt');
    expect(shell.callsOf('connect_shared_database')[0]?.args).toEqual({
      login: { address: ADDRESS, user: 'ada', password: ADA.password, upload: false },
    });
    expect(screen.queryByTestId('shared-db-upload-result')).toBeNull();
  });

  it('tells an operator who is not an admin that only an admin can upload', async () => {
    desktopWithData();
    await openForm();
    fill(OLGA);
    fireEvent.click(screen.getByTestId('shared-db-test'));
    const note = await screen.findByTestId('shared-db-upload-admin-only');
    expect(note.textContent).toBe(
      'Olga is not an admin, and only an admin can upload this desktop’s data. Connect with an admin’s login, or untick the box to connect without uploading.',
    );
    fireEvent.click(box());
    expect(screen.queryByTestId('shared-db-upload-admin-only')).toBeNull();
    fireEvent.click(box());

    // Connecting anyway: the shell refuses in words and nothing is recorded.
    fireEvent.click(screen.getByTestId('shared-db-connect'));
    expect((await screen.findByTestId('shared-db-error')).textContent).toBe(ADMIN_ONLY);
    expect(screen.queryByTestId('restart-prompt')).toBeNull();
    expect(screen.getByTestId('shared-db-form')).toBeTruthy();
  });

  it('offers nothing when the desktop holds nothing of its own', async () => {
    const shell = desktopWithData(null);
    await openForm();
    expect(screen.queryByTestId('shared-db-upload')).toBeNull();
    fill(ADA);
    fireEvent.click(screen.getByTestId('shared-db-connect'));
    await waitFor(() => expect(shell.callsOf('connect_shared_database')).toHaveLength(1));
    expect(shell.callsOf('connect_shared_database')[0]?.args).toEqual({
      login: { address: ADDRESS, user: 'ada', password: ADA.password },
    });
  });
});
