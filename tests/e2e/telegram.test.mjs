// The Telegram channel in the real app: an admin connects a bot from the
// designer (a bad token is refused in words, a good one shows the bot's name),
// a customer's photo shows in the panel, and the operator's document reaches
// the customer byte for byte.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  acceptOffer, click, launchApp, newWorkspaceDir, startSandbox, typeInto, waitFor,
} from './lib/harness.mjs';

const ICON = new URL('../../icons/32x32.png', import.meta.url);

/** Text of the first element matching `css`, or null while there is none. */
async function textOf(session, css) {
  const [element] = await session.findAll(css);
  return element ? element.text() : null;
}

test('an admin adds a Telegram bot: a bad token is refused, a good one shows the bot name', async () => {
  const sandbox = await startSandbox();
  const app = await launchApp(sandbox, newWorkspaceDir('add-telegram'), { seedBot: false });
  try {
    const { session } = app;
    await click(session, '[data-testid="nav-settings"]');
    await click(session, '[data-testid="channels-add-button"]');
    await click(session, '[data-testid="add-telegram"]');

    await typeInto(session, '[data-testid="telegram-token-input"]', '5550001:not-a-real-token');
    await click(session, '[data-testid="telegram-connect-button"]');
    const refusal = await waitFor('the refusal', () => textOf(session, '[data-testid="add-channel-error"]'));
    assert.match(refusal, /revoked or is wrong/);
    assert.deepEqual(await session.findAll('[data-testid="channel-row"]'), [], 'no channel was created');

    const [input] = await session.findAll('[data-testid="telegram-token-input"]');
    await input.cmd('POST', '/clear', {});
    await input.type(sandbox.token);
    await click(session, '[data-testid="telegram-connect-button"]');
    const done = await waitFor('the bot name', () => textOf(session, '[data-testid="add-channel-done"]'));
    assert.match(done, /Switchboard Demo Bot/);
    const row = await waitFor('the channel row running', async () => {
      const [r] = await session.findAll('[data-testid="channel-row"]');
      return r && (await r.attribute('data-health')) === 'running' && r;
    });
    assert.match(await row.text(), /sandbox_\d+_bot/);

    // The new channel polls: a customer's message is offered to the operator.
    await sandbox.writeAsCustomer(4301, 'Vera', 'Is anyone there?');
    await click(session, '[data-testid="nav-panel"]');
    await acceptOffer(session, 'Vera');
  } finally {
    await app.close();
    sandbox.stop();
  }
});

test("a customer's photo shows in the panel and the operator's document reaches the customer", async () => {
  const sandbox = await startSandbox();
  const dir = newWorkspaceDir('media');
  const app = await launchApp(sandbox, dir);
  try {
    const { session } = app;
    await sandbox.sendMediaAsCustomer(4302, 'Pavel', 'photo', readFileSync(ICON), { caption: 'the broken part' });
    await acceptOffer(session, 'Pavel');
    const image = await waitFor('the photo shown', async () => {
      const [img] = await session.findAll('[data-testid="message"][data-kind="inbound"] [data-testid="attachment-image"]');
      return img && (await img.property('naturalWidth')) > 0 && img;
    });
    assert.equal(await image.property('naturalWidth'), 32, 'the real picture, decoded');
    assert.match(await image.attribute('src'), /^blob:/);

    const document = Buffer.from('%PDF-1.4\nSwitchboard e2e invoice 4302\n');
    const path = join(dir, 'invoice-4302.pdf');
    writeFileSync(path, document);
    const [fileInput] = await waitFor('the file input', () => session.findAll('[data-testid="composer-file-input"]'));
    await fileInput.type(path);
    await waitFor('the file chip', () => textOf(session, '[data-testid="composer-file-chip"]'));
    await click(session, '[data-testid="send-button"]');

    const sent = await waitFor('sendDocument in the sandbox', async () => {
      const all = await sandbox.sentMessages();
      return all.find((m) => m.method === 'sendDocument');
    });
    assert.equal(sent.chat_id, 4302);
    assert.equal(sent.file_name, 'invoice-4302.pdf');
    const file = await sandbox.sentFile(sent.file_id);
    assert.deepEqual(file.bytes, document, 'the customer gets the same bytes');
    await waitFor('the document marked sent', async () => {
      const bubbles = await session.findAll('[data-testid="message"][data-kind="outbound"]');
      return bubbles.length === 1 && (await bubbles[0].attribute('data-delivery')) === 'sent';
    });
  } finally {
    await app.close();
    sandbox.stop();
  }
});
