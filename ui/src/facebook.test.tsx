import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App';
import type { PageChoice } from './generated/ipc';
import { channel, DEFAULT_REDIRECT_URI, fakeShell, page, queue } from './test/backend';

const APP = { app_id: '1234567890', app_secret: 'stored-secret' };
const PNG = 'data:image/png;base64,iVBORw0KGgo=';

function facebookShell(options: { facebook?: Partial<typeof APP> | null; pages?: PageChoice[] } = {}) {
  return fakeShell({
    channels: [
      channel({ id: 'ch-tg', name: 'Support bot' }),
      channel({ id: 'ch-fb', provider: 'messenger', name: 'Acme Shoes', external_id: 'p2' }),
    ],
    queues: [queue({ id: 'q-all', name: 'All operators' })],
    facebook: options.facebook === null ? {} : { ...APP, ...options.facebook },
    facebookPages: options.pages ?? [
      page({ id: 'p1', name: 'Acme Books', picture: PNG }),
      page({ id: 'p2', name: 'Acme Shoes', connected_channel_id: 'ch-fb' }),
      page({ id: 'p3', name: 'Acme Toys' }),
    ],
  });
}

async function openSettings() {
  render(<App channelPollMs={0} />);
  fireEvent.click(screen.getByTestId('nav-settings'));
  await waitFor(() => expect(screen.getAllByTestId('channel-row').length).toBeGreaterThan(0));
  await screen.findByTestId('facebook-app-id-input');
}

function input(testId: string) {
  return screen.getByTestId(testId) as HTMLInputElement;
}

function openAddFacebook() {
  fireEvent.click(screen.getByTestId('channels-add-button'));
  fireEvent.click(screen.getByTestId('add-facebook'));
  return screen.getByTestId('add-facebook-card');
}

async function logIn() {
  openAddFacebook();
  fireEvent.click(await screen.findByTestId('facebook-login-button'));
  return screen.findByTestId('page-picker');
}

function option(id: string) {
  const found = screen.getAllByTestId('page-option').find((o) => o.getAttribute('data-page-id') === id);
  if (!found) throw new Error(`no page option ${id}`);
  return found;
}

function checkbox(id: string) {
  return within(option(id)).getByTestId('page-option-checkbox') as HTMLInputElement;
}

function button(testId: string) {
  return screen.getByTestId(testId) as HTMLButtonElement;
}

describe('Settings: Facebook app', () => {
  it('saves the App ID and secret, then forgets the secret and shows it only as set', async () => {
    const shell = facebookShell({ facebook: null });
    await openSettings();
    expect(input('facebook-app-id-input').value).toBe('');
    expect(input('facebook-app-secret-input').type).toBe('password');
    expect(input('facebook-app-secret-input').placeholder).toBe('');
    expect(input('facebook-redirect-input').placeholder).toBe(DEFAULT_REDIRECT_URI);
    expect(button('facebook-settings-apply').disabled).toBe(true);

    fireEvent.change(input('facebook-app-id-input'), { target: { value: ' 42424242 ' } });
    fireEvent.change(input('facebook-app-secret-input'), { target: { value: 'top-secret-value' } });
    fireEvent.click(button('facebook-settings-apply'));

    const saved = await screen.findByTestId('facebook-settings-saved');
    expect(saved.getAttribute('role')).toBe('status');
    expect(shell.callsOf('update_facebook_settings')[0]?.args).toEqual({
      settings: { app_id: '42424242', app_secret: 'top-secret-value', redirect_uri: null },
    });
    expect(shell.facebook.app_secret).toBe('top-secret-value');
    expect(input('facebook-app-id-input').value).toBe('42424242');
    expect(input('facebook-app-secret-input').value).toBe('');
    expect(input('facebook-app-secret-input').placeholder).toBe('•••••• (set)');
    expect(document.body.innerHTML).not.toContain('top-secret-value');
    expect(button('facebook-settings-apply').disabled).toBe(true);
  });

  it('keeps the stored secret when the field stays empty and sends a custom redirect URI', async () => {
    const shell = facebookShell();
    await openSettings();
    expect(input('facebook-app-id-input').value).toBe(APP.app_id);
    expect(input('facebook-app-secret-input').value).toBe('');
    expect(input('facebook-app-secret-input').placeholder).toBe('•••••• (set)');
    expect(input('facebook-redirect-input').value).toBe('');

    fireEvent.change(input('facebook-redirect-input'), { target: { value: 'https://example.com/fb' } });
    fireEvent.click(button('facebook-settings-apply'));
    await screen.findByTestId('facebook-settings-saved');
    expect(shell.callsOf('update_facebook_settings')[0]?.args).toEqual({
      settings: { app_id: APP.app_id, app_secret: null, redirect_uri: 'https://example.com/fb' },
    });
    expect(shell.facebook.app_secret).toBe(APP.app_secret);
    expect(input('facebook-redirect-input').value).toBe('https://example.com/fb');
  });

  it('refuses an App ID with letters before asking the shell, and shows the shell\'s refusal inline', async () => {
    const shell = facebookShell();
    shell.override('update_facebook_settings', () => {
      throw { code: 'keychain', message: 'The system keychain refused to store the secret.', details: null };
    });
    await openSettings();
    fireEvent.change(input('facebook-app-id-input'), { target: { value: '12ab' } });
    expect(screen.getByText('The App ID is made of digits only.')).toBeTruthy();
    expect(button('facebook-settings-apply').disabled).toBe(true);

    fireEvent.change(input('facebook-app-id-input'), { target: { value: '999' } });
    fireEvent.change(input('facebook-app-secret-input'), { target: { value: 'new-secret' } });
    fireEvent.click(button('facebook-settings-apply'));
    const error = await screen.findByTestId('facebook-settings-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('The system keychain refused to store the secret.');
    expect(screen.queryByTestId('facebook-settings-saved')).toBeNull();

    // Cancel puts back the stored values and drops what was typed.
    fireEvent.click(button('facebook-settings-cancel'));
    expect(input('facebook-app-id-input').value).toBe(APP.app_id);
    expect(input('facebook-app-secret-input').value).toBe('');
  });
});

describe('Chat settings: connecting Facebook pages', () => {
  it('explains what to fill in first and takes the admin to the Facebook app settings', async () => {
    const shell = facebookShell({ facebook: { app_id: '', app_secret: 'stored-secret' } });
    await openSettings();
    const card = openAddFacebook();
    const missing = await within(card).findByTestId('facebook-settings-missing');
    expect(missing.textContent).toContain('App ID');
    expect(missing.textContent).not.toContain('App secret');
    expect(screen.queryByTestId('facebook-login-button')).toBeNull();

    fireEvent.click(within(missing).getByTestId('facebook-settings-open'));
    expect(document.activeElement).toBe(input('facebook-app-id-input'));

    // Once saved, the same card offers Facebook Login.
    fireEvent.change(input('facebook-app-id-input'), { target: { value: '777' } });
    fireEvent.click(button('facebook-settings-apply'));
    await screen.findByTestId('facebook-login-button');
    expect(screen.queryByTestId('facebook-settings-missing')).toBeNull();
    expect(screen.getByTestId('facebook-takeover-warning').textContent).toBe(
      'A page can feed only one workspace: connecting it here takes it over from any other Switchboard workspace.',
    );
    expect(shell.callsOf('start_facebook_login')).toHaveLength(0);
  });

  it('asks for both when neither the App ID nor the secret is set', async () => {
    facebookShell({ facebook: null });
    await openSettings();
    openAddFacebook();
    const missing = await screen.findByTestId('facebook-settings-missing');
    expect(missing.textContent).toContain('App ID and App secret');
  });

  it('waits for the login window, and Cancel closes it: nothing was changed', async () => {
    const shell = facebookShell();
    shell.holdFacebookLogin = true;
    await openSettings();
    openAddFacebook();
    fireEvent.click(await screen.findByTestId('facebook-login-button'));

    const waiting = await screen.findByTestId('facebook-login-waiting');
    expect(waiting.textContent).toBe('Waiting for Facebook Login in the other window…');
    expect(button('facebook-login-button').disabled).toBe(true);
    expect(shell.callsOf('start_facebook_login')).toHaveLength(1);

    fireEvent.click(button('facebook-login-cancel'));
    const cancelled = await screen.findByTestId('facebook-login-cancelled');
    expect(cancelled.textContent).toBe('Facebook Login was cancelled; nothing was changed.');
    expect(shell.callsOf('cancel_facebook_login')).toHaveLength(1);
    expect(screen.queryByTestId('facebook-login-waiting')).toBeNull();
    expect(screen.queryByTestId('facebook-login-cancel')).toBeNull();
    expect(button('facebook-login-button').disabled).toBe(false);
    expect(shell.callsOf('connect_facebook_pages')).toHaveLength(0);
  });

  it('closes the login window when the admin leaves the page while it is open', async () => {
    const shell = facebookShell();
    shell.holdFacebookLogin = true;
    await openSettings();
    openAddFacebook();
    fireEvent.click(await screen.findByTestId('facebook-login-button'));
    await screen.findByTestId('facebook-login-waiting');
    fireEvent.click(screen.getByTestId('nav-panel'));
    await waitFor(() => expect(shell.callsOf('cancel_facebook_login')).toHaveLength(1));
  });

  it('shows why the login failed and lets the admin try again', async () => {
    const shell = facebookShell();
    shell.override('start_facebook_login', () => {
      throw {
        code: 'forbidden',
        message: 'Facebook Login was cancelled in Facebook’s dialog: no permission was granted.',
        details: null,
      };
    });
    await openSettings();
    openAddFacebook();
    fireEvent.click(await screen.findByTestId('facebook-login-button'));
    const error = await screen.findByTestId('facebook-login-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('Facebook Login was cancelled in Facebook’s dialog: no permission was granted.');
    expect(screen.queryByTestId('facebook-login-cancelled')).toBeNull();
    expect(button('facebook-login-button').disabled).toBe(false);
    expect(screen.queryByTestId('page-picker')).toBeNull();
  });

  it('connects two of three pages: Next, Done, one result per page, the channel list reloaded', async () => {
    const shell = facebookShell();
    await openSettings();
    const picker = await logIn();
    expect(within(picker).getAllByTestId('page-option').map((o) => o.getAttribute('data-page-id'))).toEqual(['p1', 'p2', 'p3']);
    expect(button('page-picker-next').disabled).toBe(true);

    fireEvent.click(checkbox('p1'));
    fireEvent.click(checkbox('p2'));
    expect(button('page-picker-next').disabled).toBe(false);
    fireEvent.click(button('page-picker-next'));

    const chosen = screen.getAllByTestId('page-chosen');
    expect(chosen.map((o) => o.getAttribute('data-page-id'))).toEqual(['p1', 'p2']);
    expect(chosen[0]?.textContent).toContain('Acme Books');
    expect(chosen[1]?.textContent).toContain('Acme Shoes');
    const listsBefore = shell.callsOf('list_channels').length;
    fireEvent.click(button('page-picker-done'));

    const results = await screen.findAllByTestId('page-result');
    expect(shell.callsOf('start_facebook_login')).toHaveLength(1);
    expect(shell.callsOf('connect_facebook_pages')[0]?.args).toEqual({
      request: { login_id: expect.stringMatching(/^login-/), page_ids: ['p1', 'p2'] },
    });
    expect(results.map((r) => [r.getAttribute('data-page-id'), r.getAttribute('data-ok')])).toEqual([
      ['p1', 'true'],
      ['p2', 'true'],
    ]);
    expect(results[0]?.textContent).toBe('Channel “Acme Books” created, inactive: choose its queue and switch it on.');
    expect(results[1]?.textContent).toBe('“Acme Shoes”: token refreshed.');

    await waitFor(() => expect(shell.callsOf('list_channels').length).toBeGreaterThan(listsBefore));
    const created = shell.channels.find((c) => c.external_id === 'p1');
    const row = await waitFor(() => {
      const found = screen.getAllByTestId('channel-row').find((r) => r.getAttribute('data-channel-id') === created?.id);
      if (!found) throw new Error('new channel not listed');
      return found;
    });
    expect(row.getAttribute('data-active')).toBe('false');
    expect(row.textContent).toContain('Acme Books');
    expect(screen.getAllByTestId('channel-row')).toHaveLength(3);

    fireEvent.click(button('page-picker-close'));
    expect(screen.queryByTestId('add-facebook-card')).toBeNull();
  });

  it('shows a page that failed with its reason next to the ones that worked', async () => {
    const shell = facebookShell();
    shell.facebookFailures.set('p3', 'Facebook refused to subscribe the app to this page.');
    await openSettings();
    await logIn();
    fireEvent.click(checkbox('p1'));
    fireEvent.click(checkbox('p3'));
    fireEvent.click(button('page-picker-next'));
    fireEvent.click(button('page-picker-done'));
    const results = await screen.findAllByTestId('page-result');
    expect(results.map((r) => r.getAttribute('data-ok'))).toEqual(['true', 'false']);
    expect(results[1]?.textContent).toBe('“Acme Toys” was not connected: Facebook refused to subscribe the app to this page.');
  });

  it('keeps the choice and shows the refusal when the whole connection is refused', async () => {
    const shell = facebookShell();
    shell.override('connect_facebook_pages', () => {
      throw { code: 'conflict', message: 'This Facebook Login has expired: log in again.', details: null };
    });
    await openSettings();
    await logIn();
    fireEvent.click(checkbox('p3'));
    fireEvent.click(button('page-picker-next'));
    fireEvent.click(button('page-picker-done'));
    const error = await screen.findByTestId('page-picker-error');
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('This Facebook Login has expired: log in again.');
    expect(screen.getByTestId('page-picker').getAttribute('data-step')).toBe('confirm');
    fireEvent.click(button('page-picker-back'));
    expect(checkbox('p3').checked).toBe(true);
  });

  it('disables a page without the MESSAGING task and says why', async () => {
    facebookShell({
      pages: [page({ id: 'p1', name: 'Acme Books' }), page({ id: 'p9', name: 'Read-only page', can_message: false })],
    });
    await openSettings();
    await logIn();
    expect(checkbox('p9').disabled).toBe(true);
    expect(within(option('p9')).getByTestId('page-option-no-messaging').textContent).toBe(
      'You lack the MESSAGING task on this page: Switchboard could not answer its customers',
    );
    expect(checkbox('p1').disabled).toBe(false);
    expect(within(option('p1')).queryByTestId('page-option-no-messaging')).toBeNull();
    fireEvent.click(checkbox('p9'));
    expect(button('page-picker-next').disabled).toBe(true);
  });

  it('marks a page that is already a channel as Connected and still lets it be chosen', async () => {
    facebookShell();
    await openSettings();
    await logIn();
    expect(within(option('p2')).getByTestId('page-option-connected').textContent).toBe('Connected');
    expect(within(option('p1')).queryByTestId('page-option-connected')).toBeNull();
    expect(checkbox('p2').disabled).toBe(false);
    fireEvent.click(checkbox('p2'));
    expect(button('page-picker-next').disabled).toBe(false);
  });

  it('renders page names as text and shows only data:image pictures', async () => {
    const evil = '<img src=x onerror="window.pwned=1"><b>Bold</b>';
    facebookShell({
      pages: [
        page({ id: 'p1', name: evil, picture: 'data:text/html;base64,PHNjcmlwdD4=' }),
        page({ id: 'p2', name: 'Remote picture', picture: 'https://evil.example/pixel.png' }),
        page({ id: 'p3', name: 'Real picture', picture: PNG }),
        page({ id: 'p4', name: 'javascript', picture: 'javascript:alert(1)' }),
      ],
    });
    await openSettings();
    const picker = await logIn();
    expect(option('p1').textContent).toContain(evil);
    expect(picker.querySelector('b')).toBeNull();
    expect(picker.querySelectorAll('img')).toHaveLength(1);
    const picture = within(option('p3')).getByTestId('page-picture') as HTMLImageElement;
    expect(picture.getAttribute('src')).toBe(PNG);
    for (const id of ['p1', 'p2', 'p4']) expect(within(option(id)).queryByTestId('page-picture')).toBeNull();
  });

  it('explains an empty page list and goes back to Log in with Facebook', async () => {
    facebookShell({ pages: [] });
    await openSettings();
    await logIn();
    expect(screen.getByTestId('page-picker-empty').textContent).toContain(
      'This Facebook account manages no pages, or you did not grant any in the dialog',
    );
    expect(button('page-picker-next').disabled).toBe(true);
    fireEvent.click(button('page-picker-cancel'));
    expect(screen.queryByTestId('page-picker')).toBeNull();
    expect(button('facebook-login-button').disabled).toBe(false);
  });

  it('logs in again after a cancelled login and gets the pages', async () => {
    const shell = facebookShell();
    shell.holdFacebookLogin = true;
    await openSettings();
    openAddFacebook();
    fireEvent.click(await screen.findByTestId('facebook-login-button'));
    await screen.findByTestId('facebook-login-waiting');
    await act(async () => shell.finishFacebookLogin({ status: 'cancelled' }));
    await screen.findByTestId('facebook-login-cancelled');
    fireEvent.click(button('facebook-login-button'));
    await screen.findByTestId('facebook-login-waiting');
    expect(screen.queryByTestId('facebook-login-cancelled')).toBeNull();
    await act(async () => shell.finishFacebookLogin());
    await screen.findByTestId('page-picker');
  });
});
