// The walking skeleton, end to end in the real app: a Telegram customer's
// message reaches the operator panel and the operator's reply goes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptOffer, click, launchApp, typeInto, messageTexts, newWorkspaceDir, openChat, startSandbox, waitFor,
} from './lib/harness.mjs';

test('a customer message appears in the panel and the reply reaches the customer', async () => {
  const sandbox = await startSandbox();
  const app = await launchApp(sandbox, newWorkspaceDir('reply'));
  try {
    await sandbox.writeAsCustomer(4201, 'Ann', 'Hello');
    const { session } = app;
    await acceptOffer(session, 'Ann');
    await waitFor('"Hello" in the conversation', async () =>
      (await messageTexts(session, 'inbound')).includes('Hello'));

    const reply = 'Hi Ann, how can I help you today?';
    await typeInto(session, '[data-testid="composer-input"]', reply);
    await click(session, '[data-testid="send-button"]');

    const sent = await waitFor('sendMessage in the sandbox', async () => {
      const all = await sandbox.sentMessages();
      return all.length > 0 && all;
    });
    assert.deepEqual(
      sent.map((m) => ({ chat_id: m.chat_id, text: m.text })),
      [{ chat_id: 4201, text: reply }],
    );
    await waitFor('the reply marked sent in the panel', async () => {
      const bubbles = await session.findAll('[data-testid="message"][data-kind="outbound"]');
      return bubbles.length === 1 && (await bubbles[0].attribute('data-delivery')) === 'sent';
    });
    const [input] = await session.findAll('[data-testid="composer-input"]');
    assert.equal(await input.property('value'), '', 'the composer is cleared after sending');
  } finally {
    await app.close();
    sandbox.stop();
  }
});

test('after a restart the history is there and no update is delivered twice', async () => {
  const sandbox = await startSandbox();
  const dir = newWorkspaceDir('restart');
  let app = await launchApp(sandbox, dir);
  try {
    await sandbox.writeAsCustomer(4202, 'Boris', 'first');
    await acceptOffer(app.session, 'Boris');
    await waitFor('"first" shown', async () =>
      (await messageTexts(app.session, 'inbound')).includes('first'));
    await app.close();

    // Written while the app is closed: must arrive exactly once after start.
    await sandbox.writeAsCustomer(4202, 'Boris', 'second');
    app = await launchApp(sandbox, dir);
    await openChat(app.session, 'Boris');
    await waitFor('"second" shown after the restart', async () =>
      (await messageTexts(app.session, 'inbound')).includes('second'));
    await sandbox.writeAsCustomer(4202, 'Boris', 'third');
    await waitFor('"third" shown', async () =>
      (await messageTexts(app.session, 'inbound')).includes('third'));

    assert.deepEqual(await messageTexts(app.session, 'inbound'), ['first', 'second', 'third']);
    const chats = await app.session.findAll('[data-testid="chat-item"]');
    assert.equal(chats.length, 1, 'one chat for one customer');
  } finally {
    await app.close();
    sandbox.stop();
  }
});

test('customer text that looks like HTML is shown literally', async () => {
  const sandbox = await startSandbox();
  const app = await launchApp(sandbox, newWorkspaceDir('xss'));
  try {
    const hostile = '<img src=x onerror=alert(1)>';
    await sandbox.writeAsCustomer(4203, 'Mallory', hostile);
    await acceptOffer(app.session, 'Mallory');
    await waitFor('the hostile text shown as text', async () =>
      (await messageTexts(app.session, 'inbound')).includes(hostile));
    const images = await app.session.findAll('[data-testid="message"] img, [data-testid="chat-item"] img');
    assert.equal(images.length, 0, 'no <img> element was created from customer text');
  } finally {
    await app.close();
    sandbox.stop();
  }
});
