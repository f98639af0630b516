// Facebook page selection in the real app, against the sandbox's Facebook:
// the admin enters the app's id and secret, logs in through the dialog in the
// separate Login window, picks two of three pages, and two inactive channels
// named after them appear — subscribed at "Facebook", their tokens in the
// keychain and nowhere else. Then: Cancel in the dialog changes nothing, and an
// answer with a wrong `state` is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { click, launchApp, newWorkspaceDir, startSandbox, waitFor } from './lib/harness.mjs';
import {
  APP, clickToRedirect, keychainTokens, logInToFacebook, openAddFacebook, saveFacebookApp, textOf,
  toLoginWindow,
} from './lib/facebook.mjs';

test('an admin connects two of three Facebook pages; cancel and a wrong state change nothing', async () => {
  const sandbox = await startSandbox({ facebookApp: APP });
  const dir = newWorkspaceDir('facebook');
  const app = await launchApp(sandbox, dir, { seedBot: false });
  try {
    const { session } = app;
    await saveFacebookApp(session);

    // Log in and grant two of the three pages in Facebook's dialog.
    await openAddFacebook(session);
    const main = await toLoginWindow(session);
    await logInToFacebook(session);
    const boxes = await waitFor('the pages in the dialog', async () => {
      const found = await session.findAll('[data-testid="fb-page-checkbox"]');
      return found.length === 3 && found;
    });
    const granted = [];
    for (const box of boxes) {
      const id = await box.attribute('data-page-id');
      granted.push(id);
    }
    // The demo's third page ("Acme Jobs") is left out in the dialog.
    await boxes[0].click();
    await boxes[1].click();
    await click(session, '[data-testid="fb-continue"]');
    await clickToRedirect(session, '[data-testid="fb-allow"]');
    await session.cmd('POST', '/window', { handle: main });

    // The picker lists what was granted; choose both, Next, Done.
    const options = await waitFor('the page picker', async () => {
      const found = await session.findAll('[data-testid="page-option"]');
      return found.length === 2 && found;
    });
    const pageIds = [];
    for (const option of options) {
      pageIds.push(await option.attribute('data-page-id'));
      const [box] = await option.findAll('[data-testid="page-option-checkbox"]');
      await box.click();
    }
    assert.deepEqual(pageIds.sort(), granted.slice(0, 2).sort(), 'exactly the pages granted in the dialog');
    await click(session, '[data-testid="page-picker-next"]');
    await click(session, '[data-testid="page-picker-done"]');
    await waitFor('two pages connected', async () => {
      const results = await session.findAll('[data-testid="page-result"][data-ok="true"]');
      return results.length === 2;
    });
    await click(session, '[data-testid="page-picker-close"]');
    const rows = await waitFor('two inactive channels', async () => {
      const found = await session.findAll('[data-testid="channel-row"]');
      return found.length === 2 && found;
    });
    const names = [];
    const channelIds = [];
    for (const row of rows) {
      assert.equal(await row.attribute('data-active'), 'false', 'created inactive');
      names.push(await row.text());
      channelIds.push(await row.attribute('data-channel-id'));
    }
    assert.ok(names.some((n) => n.includes('Acme Support')) && names.some((n) => n.includes('Acme Sales')), names.join(' | '));

    for (const pageId of pageIds) {
      const subscriptions = await sandbox.pageSubscriptions(pageId);
      assert.equal(subscriptions.length, 1, `page ${pageId} subscribed`);
      assert.ok(subscriptions[0].subscribed_fields.includes('messages'));
    }
    const tokens = keychainTokens(channelIds);
    assert.equal(tokens.length, 2, 'both page tokens are in the keychain');
    // The database file and its write-ahead log (fresh commits live there).
    const database = Buffer.concat(['switchboard.sqlite', 'switchboard.sqlite-wal']
      .filter((name) => existsSync(join(dir, 'data', name)))
      .map((name) => readFileSync(join(dir, 'data', name))));
    const pageSource = await session.cmd('GET', '/source');
    for (const token of tokens) {
      assert.ok(!database.includes(token), 'no page token in SQLite');
      assert.ok(!pageSource.includes(token), 'no page token in the UI');
    }
    assert.ok(!pageSource.includes(APP.secret), 'the app secret is not in the UI');

    // Cancel in Facebook's dialog: nothing changes.
    await openAddFacebook(session);
    await toLoginWindow(session);
    await logInToFacebook(session);
    await click(session, '[data-testid="fb-continue"]');
    await clickToRedirect(session, '[data-testid="fb-cancel"]');
    await session.cmd('POST', '/window', { handle: main });
    await waitFor('the cancel notice', () => textOf(session, '[data-testid="facebook-login-cancelled"]'));
    assert.equal((await session.findAll('[data-testid="channel-row"]')).length, 2);

    // An answer that does not carry this login's state is refused.
    await click(session, '[data-testid="facebook-login-button"]');
    await toLoginWindow(session);
    // The app blocks this load, so it never finishes: WebDriver would wait its whole page-load
    // timeout (300 s) before reporting it. Two seconds are plenty for the app to see it.
    await session.cmd('POST', '/timeouts', { pageLoad: 2000 });
    await session.cmd('POST', '/url', {
      url: 'https://www.facebook.com/connect/login_success.html?code=forged-code&state=not-the-state#_=_',
    }).catch(() => {}); // the blocked load is reported as an error (a timeout): expected
    await session.cmd('POST', '/timeouts', { pageLoad: 300_000 });
    await session.cmd('POST', '/window', { handle: main });
    const refusal = await waitFor('the refusal', () => textOf(session, '[data-testid="facebook-login-error"]'));
    assert.match(refusal, /wrong state/);
    assert.equal((await session.findAll('[data-testid="channel-row"]')).length, 2);
  } finally {
    await app.close();
    sandbox.stop();
  }
});
