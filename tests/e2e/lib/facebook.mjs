// Facebook steps shared by the e2e tests: the app's settings, the Login
// window and the sandbox's dialog, and the sandbox's Facebook control API.

import { execFileSync } from 'node:child_process';
import { click, typeInto, waitFor } from './harness.mjs';

export const APP = { id: '4242424242', secret: 'e2eappsecret0123' };
/** The sandbox's demo pages (fixed ids). */
export const SUPPORT = '101000000000001';

export async function textOf(session, css) {
  const [element] = await session.findAll(css);
  return element ? element.text() : null;
}

/** Switches WebDriver to the Facebook Login window once it is open; returns the main window's handle. */
export async function toLoginWindow(session) {
  const main = await session.cmd('GET', '/window');
  const login = await waitFor('the Facebook Login window', async () => {
    const handles = await session.cmd('GET', '/window/handles');
    return handles.find((h) => h !== main);
  });
  await session.cmd('POST', '/window', { handle: login });
  return main;
}

/**
 * Clicks a button of Facebook's dialog that redirects to the app's redirect URI. The app blocks
 * that load, so it never finishes; WebDriver's click would wait for it until its page-load timeout
 * (300 s) and then fail. While the click runs the timeout is 1.5 s, and running out is expected.
 */
export async function clickToRedirect(session, css) {
  await session.cmd('POST', '/timeouts', { pageLoad: 1500 });
  try {
    await waitFor(`${css} to be clicked`, async () => {
      const [element] = await session.findAll(css);
      if (!element) return null;
      await element.click().catch((err) => {
        if (!/timeout|timed out/i.test(String(err?.message ?? err))) throw err;
      });
      return element;
    });
  } finally {
    await session.cmd('POST', '/timeouts', { pageLoad: 300_000 });
  }
}

export async function logInToFacebook(session) {
  await typeInto(session, '[data-testid="fb-email"]', 'admin@example.com');
  await typeInto(session, '[data-testid="fb-password"]', 'sandbox');
  await click(session, '[data-testid="fb-login"]');
}

export async function saveFacebookApp(session) {
  await click(session, '[data-testid="nav-settings"]');
  await typeInto(session, '[data-testid="facebook-app-id-input"]', APP.id);
  await typeInto(session, '[data-testid="facebook-app-secret-input"]', APP.secret);
  await click(session, '[data-testid="facebook-settings-apply"]');
  await waitFor('the settings saved', () => textOf(session, '[data-testid="facebook-settings-saved"]'));
}

export async function openAddFacebook(session) {
  await click(session, '[data-testid="channels-add-button"]');
  await click(session, '[data-testid="add-facebook"]');
  await click(session, '[data-testid="facebook-login-button"]');
}

/** Connects the given pages (ticked in the dialog and the picker); returns the main window handle. */
export async function connectPages(session, pageIds) {
  await openAddFacebook(session);
  const main = await toLoginWindow(session);
  await logInToFacebook(session);
  await waitFor('the pages in the dialog', async () => (await session.findAll('[data-testid="fb-page-checkbox"]')).length > 0);
  for (const id of pageIds) await click(session, `[data-testid="fb-page-checkbox"][data-page-id="${id}"]`);
  await click(session, '[data-testid="fb-continue"]');
  await clickToRedirect(session, '[data-testid="fb-allow"]');
  await session.cmd('POST', '/window', { handle: main });
  for (const id of pageIds) {
    await click(session, `[data-testid="page-option"][data-page-id="${id}"] [data-testid="page-option-checkbox"]`);
  }
  await click(session, '[data-testid="page-picker-next"]');
  await click(session, '[data-testid="page-picker-done"]');
  await waitFor('the pages connected', async () =>
    (await session.findAll('[data-testid="page-result"][data-ok="true"]')).length === pageIds.length);
  await click(session, '[data-testid="page-picker-close"]');
  return main;
}

/** Page tokens Switchboard keeps in the keychain for these channels (via Secret Service). */
export function keychainTokens(channelIds) {
  const out = execFileSync('secret-tool', ['search', '--all', 'service', 'switchboard'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tokens = [];
  for (const item of out.split(/\n(?=\[)/)) {
    if (channelIds.some((id) => item.includes(`/channel/${id}/token`))) {
      const secret = /^secret = (.+)$/m.exec(item);
      if (secret) tokens.push(secret[1]);
    }
  }
  return tokens;
}

/** The sandbox's Facebook control API (`/_sandbox/facebook/…`). */
export function facebookControl(sandbox) {
  const call = async (method, path, body) => {
    const response = await fetch(`${sandbox.baseUrl}_sandbox/facebook/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const json = await response.json();
    if (!json.ok) throw new Error(`sandbox ${path}: ${json.description}`);
    return json.result;
  };
  return {
    setWebhook: (callbackUrl, verifyToken) =>
      call('POST', `apps/${APP.id}/webhook`, { callback_url: callbackUrl, verify_token: verifyToken }),
    approveHumanAgent: (approved) => call('POST', `apps/${APP.id}/human-agent`, { approved }),
    addCustomer: async (pageId, firstName) =>
      (await call('POST', `pages/${pageId}/customers`, { first_name: firstName, last_name: 'Doe' })).psid,
    customerWrites: (pageId, psid, text) => call('POST', `pages/${pageId}/customers/${psid}/messages`, { text }),
    customerReads: (pageId, psid) => call('POST', `pages/${pageId}/customers/${psid}/reads`, {}),
    botHoldsThread: (pageId, psid, appId) => call('POST', `pages/${pageId}/customers/${psid}/thread`, { app_id: appId }),
    botPassesThread: (pageId, psid) =>
      call('POST', `pages/${pageId}/customers/${psid}/thread/pass`, { target_app_id: APP.id, metadata: 'a human please' }),
    sentMessages: (pageId) => call('GET', `pages/${pageId}/sent-messages`),
    shiftClock: (secs) => call('POST', 'clock', { shift_secs: secs }),
    changePassword: () => call('POST', 'password-changes', { email: 'admin@example.com', new_password: 'changed' }),
  };
}
