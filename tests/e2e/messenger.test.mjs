// Messenger conversations in the real app, against the sandbox's Messenger:
// the admin connects a page and points Facebook's webhooks at the app's
// endpoint; customers' messages reach the panel and replies reach Messenger;
// the 24-hour window and the Human Agent tag; a bot-held conversation handed
// over; and a page token that died shown on the channel card.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptOffer, click, findByName, freePort, launchApp, newWorkspaceDir, startSandbox, typeInto, waitFor,
} from './lib/harness.mjs';
import { APP, SUPPORT, connectPages, facebookControl, saveFacebookApp, textOf } from './lib/facebook.mjs';

let sandbox;
let app;
let fb;
let session;

/** Completes the open chat: the operator's capacity (2 chats) is shared by the tests. */
async function completeOpenChat() {
  await click(session, '[data-testid="complete-button"]');
  await waitFor('the chat completed', () => textOf(session, '[data-testid="notice"]'));
}

async function openSettings() {
  await click(session, '[data-testid="nav-settings"]');
}

/** Opens the channel's card (a click on the row's name cell: WebKit does not click a <tr>). */
async function openChannelCard() {
  await click(session, '[data-testid="channel-row"] td:nth-child(2)');
  await waitFor('the channel card', async () => (await session.findAll('[data-testid="channel-card"]')).length === 1);
}

async function channelRow() {
  return waitFor('the page channel row', async () => {
    const [row] = await session.findAll('[data-testid="channel-row"]');
    return row;
  });
}

before(async () => {
  sandbox = await startSandbox({ facebookApp: APP });
  fb = facebookControl(sandbox);
  const port = await freePort();
  app = await launchApp(sandbox, newWorkspaceDir('messenger'), {
    seedBot: false,
    env: { SWITCHBOARD_MESSENGER_LISTEN: `127.0.0.1:${port}` },
  });
  session = app.session;
  await saveFacebookApp(session);
  await connectPages(session, [SUPPORT]);
  // Switch the new (inactive) channel on in its card.
  await openChannelCard();
  await click(session, '[data-testid="channel-active-toggle"]');
  await waitFor('the channel on', async () => (await (await channelRow()).attribute('data-active')) === 'true');
  // Paste the designer's callback URL and verify token into "Facebook".
  const callbackUrl = await waitFor('the callback URL', () => textOf(session, '[data-testid="messenger-callback-url"]'));
  assert.equal(callbackUrl, `http://127.0.0.1:${port}/webhooks/messenger`);
  await click(session, '[data-testid="messenger-verify-token-show"]');
  const verifyToken = await waitFor('the verify token', async () => {
    const text = await textOf(session, '[data-testid="messenger-verify-token"]');
    return text && !text.includes('•') && text.trim();
  });
  await fb.setWebhook(callbackUrl, verifyToken);
  await click(session, '[data-testid="nav-panel"]');
});

after(async () => {
  await app?.close();
  sandbox?.stop();
});

test('a customer message through the webhook reaches the panel and the reply reaches Messenger', async () => {
  const psid = await fb.addCustomer(SUPPORT, 'Maria');
  await fb.customerWrites(SUPPORT, psid, 'Hola, ¿dónde está mi pedido?');
  await acceptOffer(session, 'Maria Doe');
  const window = await waitFor('the reply window', async () => {
    const [indicator] = await session.findAll('[data-testid="reply-window"]');
    return indicator;
  });
  assert.equal(await window.attribute('data-state'), 'open');
  await typeInto(session, '[data-testid="composer-input"]', 'Está en camino.');
  await click(session, '[data-testid="send-button"]');
  const sent = await waitFor('the reply at Messenger', async () => {
    const all = await fb.sentMessages(SUPPORT);
    return all.find((m) => m.recipient_id === psid);
  });
  assert.equal(sent.text, 'Está en camino.');
  assert.equal(sent.messaging_type, 'RESPONSE');
  await fb.customerReads(SUPPORT, psid);
  await waitFor('the read mark', async () => {
    const [receipt] = await session.findAll('[data-testid="message"][data-kind="outbound"] [data-testid="message-receipt"]');
    return receipt && (await receipt.attribute('data-receipt')) === 'read';
  });
  await completeOpenChat();
});

test('outside the 24-hour window the composer explains why; Human Agent, when on, sends tagged', async () => {
  const psid = await fb.addCustomer(SUPPORT, 'Ken');
  await fb.shiftClock(-25 * 3600); // the customer wrote 25 hours ago
  await fb.customerWrites(SUPPORT, psid, 'Any news about my refund?');
  await acceptOffer(session, 'Ken Doe');
  const closed = await waitFor('the closed window', async () => {
    const [indicator] = await session.findAll('[data-testid="reply-window"][data-state="closed"]');
    return indicator && textOf(session, '[data-testid="reply-window-reason"]');
  });
  assert.match(closed, /24 hours/);
  const [input] = await session.findAll('[data-testid="composer-input"]');
  assert.equal(await input.property('disabled'), true, 'the composer says why before the operator types');

  await fb.approveHumanAgent(true);
  await openSettings();
  await openChannelCard();
  await click(session, '[data-testid="channel-human-agent-toggle"]');
  await click(session, '[data-testid="nav-panel"]');
  await click(session, '[data-testid="chat-item"]');
  await findByName(session, 'chat-item', 'Ken Doe');
  await waitFor('the Human Agent window', async () =>
    (await session.findAll('[data-testid="reply-window"][data-state="human_agent"]')).length === 1);
  await typeInto(session, '[data-testid="composer-input"]', 'Your refund was sent today.');
  await click(session, '[data-testid="send-button"]');
  const sent = await waitFor('the tagged reply', async () =>
    (await fb.sentMessages(SUPPORT)).find((m) => m.recipient_id === psid));
  assert.deepEqual([sent.messaging_type, sent.tag], ['MESSAGE_TAG', 'HUMAN_AGENT']);
  await fb.shiftClock(25 * 3600);
  await completeOpenChat();
});

test('a conversation a bot holds shows with no operator until the bot hands it over', async () => {
  const psid = await fb.addCustomer(SUPPORT, 'Lena');
  await fb.botHoldsThread(SUPPORT, psid, '555000111');
  await fb.customerWrites(SUPPORT, psid, 'bot, help');
  const botChat = await findByName(session, 'bot-chat-item', 'Lena Doe');
  assert.ok(botChat);
  assert.equal((await session.findAll('[data-testid="offer-item"]')).length, 0, 'not offered while the bot has it');
  await fb.botPassesThread(SUPPORT, psid);
  await acceptOffer(session, 'Lena Doe');
  await completeOpenChat();
});

test('a page token that died is shown on the channel card', async () => {
  const psid = await fb.addCustomer(SUPPORT, 'Omar');
  await fb.customerWrites(SUPPORT, psid, 'hello?');
  await acceptOffer(session, 'Omar Doe');
  await fb.changePassword(); // kills every token of the page's admin
  await typeInto(session, '[data-testid="composer-input"]', 'One moment please.');
  await click(session, '[data-testid="send-button"]');
  await openSettings();
  const reason = await waitFor('the problem on the card', async () => {
    const row = await channelRow();
    if ((await row.attribute('data-health')) !== 'error') return null;
    if ((await session.findAll('[data-testid="channel-card"]')).length === 0) await openChannelCard();
    return textOf(session, '[data-testid="channel-health-reason"]');
  });
  assert.match(reason, /Reconnect/);
});
