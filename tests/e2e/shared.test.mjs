// Shared mode end to end (issue 7): two real app instances — Ann's desktop and Bob's — connected
// in Settings to one Postgres, with the relay routing. A `to_all` offer vanishes from Bob's panel
// when Ann accepts; Ann's reply reaches the customer; a `freest` chat goes to the operator with
// fewer chats; Ann's desktop is killed while it polls the support bot and Bob's takes the bot over
// with no message lost or stored twice.
//
// Bot tokens: the app seeds one token (SWITCHBOARD_TELEGRAM_TOKEN), which in shared mode it stores
// in the keychain for the channel whose external_id is the token's bot id. Ann's desktop is seeded
// with the support bot, Bob's with the sales bot. All apps of an e2e run share one keychain (one
// D-Bus session) and a desktop looks for tokens again whenever its cache changes, so each ends up
// with both tokens — as if both had been entered on both computers. Which desktop polls a bot is
// decided by its lease: Ann's takes the support bot's first (the test waits for that before Bob's
// starts), Bob's the sales bot's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptOffer, click, findByName, launchApp, listedNames, messageTexts, newWorkspaceDir, startSandbox,
  typeInto, waitFor,
} from './lib/harness.mjs';
import { createSharedDatabase, literal, startRelay } from './lib/shared.mjs';

const PASSWORD = 'correct horse battery';
// The lease is 10 s and contenders retry every 2 s (engine/POSTGRES.md): a takeover within 12 s
// plus round trips; the test allows 20 s.
const TAKEOVER_MS = 20_000;

/** Queues, channels, operators and their logins, as an admin would set them up. */
async function configure(db, support, sales, baseUrl) {
  const users = [['ann', 'Ann'], ['bob', 'Bob']];
  await db.sql(`
    INSERT INTO queues (id, name, rule) VALUES ('q', 'Support', 'to_all'), ('q2', 'Sales', 'freest');
    INSERT INTO channels (id, provider, name, queue_id, api_base, external_id, created_at) VALUES
      ('tg-support', 'telegram', 'Support bot', 'q', ${literal(baseUrl)}, ${literal(support.botId)}, 0),
      ('tg-sales', 'telegram', 'Sales bot', 'q2', ${literal(baseUrl)}, ${literal(sales.botId)}, 0);
    ${users.map(([id, name]) => `
      INSERT INTO users (id, name, created_at) VALUES ('u-${id}', '${name}', 0);
      INSERT INTO queue_operators (queue_id, user_id) VALUES ('q', 'u-${id}'), ('q2', 'u-${id}');
      SELECT sb_create_operator_role('${db.name}_${id}', ${literal(PASSWORD)}, 'u-${id}', false);`).join('\n')}
  `);
}

/** Text of the first element matching `css`, or null while there is none. */
async function textOf(session, css) {
  const [element] = await session.findAll(css);
  return element ? element.text() : null;
}

/**
 * A desktop's first start (standalone), Settings → Shared database: Test connection, Connect;
 * then the person quits and reopens the app (what "Restart now" does — a WebDriver session does
 * not survive that), seeded with `botToken`. Resolves to the app, online in shared mode.
 */
async function joinSharedDatabase(sandbox, dir, db, who, name, botToken) {
  const first = await launchApp(sandbox, dir, { seedBot: false });
  try {
    const { session } = first;
    await click(session, '[data-testid="nav-settings"]');
    await typeInto(session, '[data-testid="shared-db-address"]', db.address);
    await typeInto(session, '[data-testid="shared-db-user"]', `${db.name}_${who}`);
    await typeInto(session, '[data-testid="shared-db-password"]', PASSWORD);
    await click(session, '[data-testid="shared-db-test"]');
    const check = await waitFor(`${name}'s login checked`, async () =>
      (await textOf(session, '[data-testid="shared-db-check"]')) ||
      (await textOf(session, '[data-testid="shared-db-error"]')));
    assert.match(check, new RegExp(`^Connected as ${name} `), 'Test connection names the operator');
    await click(session, '[data-testid="shared-db-connect"]');
    await findAny(session, '[data-testid="restart-prompt"]', `${name}'s desktop asking for a restart`);
    assert.match(await textOf(session, '[data-testid="shared-db-joining"]'), new RegExp(`${db.name}_${who}`));
  } catch (err) {
    await first.screenshot(`${who}-join-failure`).catch(() => {});
    throw err;
  } finally {
    await first.close();
  }
  const app = await launchApp(sandbox, dir, { seedBot: false, env: { SWITCHBOARD_TELEGRAM_TOKEN: botToken } });
  await waitFor(`${name}'s desktop online in shared mode`, async () =>
    (await app.session.findAll('[data-testid="database-badge"][data-state="online"]')).length > 0);
  return app;
}

async function findAny(session, css, what) {
  return waitFor(what, async () => (await session.findAll(css))[0]);
}

/** The login role holding `channel`'s live lease, or null. */
async function leaseHolder(db, channel) {
  const rows = await db.sql(
    `SELECT holder_role FROM connector_leases WHERE channel_id = ${literal(channel)} AND expires_at > sb_now_ms()`,
  );
  return rows[0]?.[0] ?? null;
}

test('two desktops on one shared database: offers, replies, freest, and a bot taken over after a crash', async () => {
  const sandbox = await startSandbox({ telegramBots: 2 });
  const [support, sales] = sandbox.bots;
  const db = await createSharedDatabase();
  const relayDir = newWorkspaceDir('shared-relay');
  const relay = await startRelay(db.url, relayDir);
  const apps = {};
  const started = Date.now();
  const step = (what) => console.log(`# ${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  try {
    await configure(db, support, sales, sandbox.baseUrl);

    step('configured');
    apps.ann = await joinSharedDatabase(sandbox, newWorkspaceDir('shared-ann'), db, 'ann', 'Ann', support.token);
    // Ann's desktop polls the support bot before Bob's starts: it is the one to be killed later.
    await waitFor('Ann polling the support bot', async () =>
      (await leaseHolder(db, 'tg-support')) === `${db.name}_ann`);
    step('Ann online, polling support');
    apps.bob = await joinSharedDatabase(sandbox, newWorkspaceDir('shared-bob'), db, 'bob', 'Bob', sales.token);
    await waitFor('Bob polling the sales bot', async () =>
      (await leaseHolder(db, 'tg-sales')) === `${db.name}_bob`);
    const ann = apps.ann.session;
    const bob = apps.bob.session;

    step('Bob online, polling sales');
    // to_all: offered to both; Ann accepts; the offer vanishes from Bob's panel.
    await support.writeAsCustomer(7001, 'Dana', 'My order is late');
    await findByName(ann, 'offer-item', 'Dana', "Dana's offer in Ann's panel");
    await findByName(bob, 'offer-item', 'Dana', "Dana's offer in Bob's panel");
    await acceptOffer(ann, 'Dana');
    await waitFor("Dana's offer gone from Bob's panel", async () =>
      !(await listedNames(bob, 'offer-item')).includes('Dana'));
    assert.deepEqual(await listedNames(bob, 'chat-item'), [], "Ann's chat is not in Bob's list");
    await waitFor('"My order is late" in Ann\'s conversation', async () =>
      (await messageTexts(ann, 'inbound')).includes('My order is late'));

    step('offer accepted, gone from Bob');
    // Ann's reply: shown at once, sent by the desktop holding the bot's lease (her own).
    const reply = 'It ships today.';
    await typeInto(ann, '[data-testid="composer-input"]', reply);
    await click(ann, '[data-testid="send-button"]');
    await waitFor('the reply reaching the customer', async () =>
      (await support.sentMessages()).some((m) => m.chat_id === 7001 && m.text === reply));
    // The open conversation follows the cache: the reply turns from Sending… to sent by itself.
    await waitFor("the reply marked sent in Ann's panel", async () => {
      const bubbles = await ann.findAll('[data-testid="message"][data-kind="outbound"]');
      return bubbles.length === 1 && (await bubbles[0].attribute('data-delivery')) === 'sent';
    });
    step('reply sent and shown sent');
    // Bob's panel lists only his own chats and offers: no UI path opens Ann's chat, so the
    // shared history is checked in the database (runtime/tests/shared.rs reads Bob's cache).
    assert.deepEqual(
      await db.sql(`SELECT author_user_id, delivery FROM messages WHERE kind = 'outbound'`),
      [['u-ann', 'sent']],
    );

    step('history checked');
    // freest: Ann has one active chat, Bob none — offered to Bob only.
    await sales.writeAsCustomer(7002, 'Eli', 'Do you have a price list?');
    await findByName(bob, 'offer-item', 'Eli', "Eli's offer in Bob's panel");
    assert.deepEqual(
      await db.sql(`SELECT o.user_id FROM chat_offers o JOIN chats c ON c.id = o.chat_id WHERE c.queue_id = 'q2'`),
      [['u-bob']],
      'the freest chat is offered to Bob alone',
    );
    assert.ok(!(await listedNames(ann, 'offer-item')).includes('Eli'), 'no offer of it in Ann\'s panel');
    await acceptOffer(bob, 'Eli');

    step('freest accepted by Bob');
    // Ann's desktop dies while it polls the support bot; customers keep writing.
    assert.equal(await leaseHolder(db, 'tg-support'), `${db.name}_ann`, 'Ann still polls the support bot');
    await support.writeAsCustomer(7003, 'Finn', 'one');
    await apps.ann.kill();
    const killedAt = Date.now();
    await support.writeAsCustomer(7003, 'Finn', 'two');
    await support.writeAsCustomer(7001, 'Dana', 'Are you still there?');
    await support.writeAsCustomer(7003, 'Finn', 'three');
    await waitFor("Bob's desktop polling the support bot", async () =>
      (await leaseHolder(db, 'tg-support')) === `${db.name}_bob`, TAKEOVER_MS);
    const takeover = Date.now() - killedAt;

    step('takeover');
    await acceptOffer(bob, 'Finn');
    await waitFor("Finn's three messages in Bob's conversation", async () =>
      (await messageTexts(bob, 'inbound')).length >= 3);
    // Each shown exactly once, in the order Finn wrote them.
    assert.deepEqual(await messageTexts(bob, 'inbound'), ['one', 'two', 'three']);
    step("Finn's messages in Bob's panel");
    // Every customer message stored exactly once (Dana's second one in Ann's chat).
    await waitFor("Dana's message stored", async () =>
      (await db.sql(`SELECT 1 FROM messages WHERE text = 'Are you still there?'`)).length > 0);
    assert.deepEqual(
      await db.sql(`SELECT text, count(*) FROM messages WHERE kind = 'inbound' GROUP BY text ORDER BY text`),
      [
        ['Are you still there?', '1'],
        ['Do you have a price list?', '1'],
        ['My order is late', '1'],
        ['one', '1'],
        ['three', '1'],
        ['two', '1'],
      ],
    );
    console.log(`# Bob's desktop took the support bot over ${takeover} ms after Ann's was killed`);
  } catch (err) {
    for (const [who, app] of Object.entries(apps)) await app.screenshot(`${who}-failure`).catch(() => {});
    for (const query of [
      'SELECT channel_id, holder_role, fencing, expires_at - sb_now_ms() AS ms_left FROM connector_leases',
      'SELECT c.queue_id, c.state, c.operator_id, m.kind, m.text, m.delivery FROM messages m JOIN chats c ON c.id = m.chat_id ORDER BY m.created_at',
      'SELECT chat_id, user_id FROM chat_offers',
    ]) {
      console.log(`# ${query}\n${(await db.sql(query).catch((e) => [[e.message]])).map((r) => `#   ${r.join(' | ')}`).join('\n')}`);
    }
    throw err;
  } finally {
    for (const app of Object.values(apps)) await app.close().catch(() => {});
    await relay.stop();
    sandbox.stop();
  }
});
