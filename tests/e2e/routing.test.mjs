// Routing in the real app (standalone, one local operator): offers, capacity,
// the status switch, complete, transfer, and "why this chat".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptOffer, click, findByName, openChat, launchApp, listedNames, messageTexts, newWorkspaceDir,
  startSandbox, typeInto, waitFor,
} from './lib/harness.mjs';

async function withApp(name, body) {
  const sandbox = await startSandbox();
  const app = await launchApp(sandbox, newWorkspaceDir(name));
  try {
    await body(app.session, sandbox);
  } catch (err) {
    await app.screenshot('failure').catch(() => {});
    throw err;
  } finally {
    await app.close();
    sandbox.stop();
  }
}

async function systemLines(session) {
  return messageTexts(session, 'system');
}

test('at capacity the operator sees no third chat until completing one', async () => {
  await withApp('capacity', async (session, sandbox) => {
    await sandbox.writeAsCustomer(5001, 'Ann', 'first customer');
    await acceptOffer(session, 'Ann');
    await sandbox.writeAsCustomer(5002, 'Ben', 'second customer');
    await acceptOffer(session, 'Ben');
    await sandbox.writeAsCustomer(5003, 'Cat', 'third customer');
    await waitFor('the third chat counted as waiting', async () => {
      const [waiting] = await session.findAll('[data-testid="counter-waiting"]');
      return waiting && (await waiting.text()).includes('1');
    });
    assert.deepEqual(await listedNames(session, 'offer-item'), [], 'no offer beyond capacity');

    await openChat(session, 'Ann');
    await click(session, '[data-testid="complete-button"]');
    await findByName(session, 'offer-item', 'Cat', 'the waiting chat offered after completing one');
    assert.ok(!(await listedNames(session, 'chat-item')).includes('Ann'), 'the completed chat left my list');
  });
});

test('the status switch stops and resumes offers', async () => {
  await withApp('status', async (session, sandbox) => {
    const status = async () => {
      const [toggle] = await session.findAll('[data-testid="status-toggle"]');
      return toggle ? toggle.attribute('data-status') : null;
    };
    await waitFor('my status loaded as Active', async () => (await status()) === 'active');
    await click(session, '[data-testid="status-toggle"]');
    await waitFor('status Inactive', async () => (await status()) === 'inactive');
    await sandbox.writeAsCustomer(5101, 'Dan', 'hello?');
    await waitFor('Dan waiting', async () => {
      const [waiting] = await session.findAll('[data-testid="counter-waiting"]');
      return waiting && (await waiting.text()).includes('1');
    });
    assert.deepEqual(await listedNames(session, 'offer-item'), []);
    await click(session, '[data-testid="status-toggle"]');
    await waitFor('status Active', async () => (await status()) === 'active');
    await findByName(session, 'offer-item', 'Dan', 'the offer after switching back to Active');
  });
});

test('why this chat, and a transfer to a new queue', async () => {
  await withApp('transfer', async (session, sandbox) => {
    // Create a queue in Chat settings.
    await click(session, '[data-testid="nav-settings"]');
    await click(session, '[data-testid="add-queue"]');
    await typeInto(session, '[data-testid="queue-name-input"]', 'Billing');
    await click(session, '[data-testid="queue-apply"]');
    await waitFor('the Billing queue listed', async () => {
      for (const row of await session.findAll('[data-testid="queue-row"]')) {
        if ((await row.text()).includes('Billing')) return true;
      }
      return false;
    });
    await click(session, '[data-testid="nav-panel"]');

    await sandbox.writeAsCustomer(5201, 'Eve', 'my invoice is wrong');
    await acceptOffer(session, 'Eve');
    await click(session, '[data-testid="why-button"]');
    const entries = await waitFor('routing entries', async () => {
      const found = await session.findAll('[data-testid="why-panel"] [data-testid="why-entry"]');
      return found.length >= 2 && found;
    });
    const first = await entries[0].text();
    assert.match(first, /Me/, 'the explanation names the candidate');

    await click(session, '[data-testid="transfer-button"]');
    const target = await waitFor('Billing as a transfer target', async () => {
      for (const t of await session.findAll('[data-testid="transfer-target"][data-target-kind="queue"]')) {
        if ((await t.text()).includes('Billing')) return t;
      }
      return null;
    });
    await target.click();
    await waitFor('Eve gone from my chats', async () => !(await listedNames(session, 'chat-item')).includes('Eve'));
  });
});

test('completing a chat leaves a system line in its history', async () => {
  await withApp('complete', async (session, sandbox) => {
    await sandbox.writeAsCustomer(5301, 'Fay', 'thanks, that is all');
    await acceptOffer(session, 'Fay');
    await waitFor('assignment line', async () => (await systemLines(session)).some((t) => t.startsWith('Chat assigned to')));
    await click(session, '[data-testid="complete-button"]');
    await waitFor('Fay gone from my chats', async () => !(await listedNames(session, 'chat-item')).includes('Fay'));
    // A new message after completion opens a new chat, offered afresh.
    await sandbox.writeAsCustomer(5301, 'Fay', 'one more thing');
    await findByName(session, 'offer-item', 'Fay', 'a fresh offer for the new chat');
  });
});

test('raising Simultaneous chats in Chat settings offers the waiting chat at once', async () => {
  await withApp('settings', async (session, sandbox) => {
    await sandbox.writeAsCustomer(5401, 'Gus', 'one');
    await acceptOffer(session, 'Gus');
    await sandbox.writeAsCustomer(5402, 'Hal', 'two');
    await acceptOffer(session, 'Hal');
    await sandbox.writeAsCustomer(5403, 'Ida', 'three');
    await waitFor('Ida waiting', async () => {
      const [waiting] = await session.findAll('[data-testid="counter-waiting"]');
      return waiting && (await waiting.text()).includes('1');
    });
    await click(session, '[data-testid="nav-settings"]');
    const input = await waitFor('the Simultaneous chats field', async () => {
      const [field] = await session.findAll('[data-testid="setting-simultaneous"]');
      return field && (await field.property('value')) === '2' && field;
    });
    await input.cmd('POST', '/clear', {});
    await typeInto(session, '[data-testid="setting-simultaneous"]', '3');
    await click(session, '[data-testid="settings-apply"]');
    await waitFor('saved', async () => (await session.findAll('[data-testid="settings-saved"]')).length > 0);
    await click(session, '[data-testid="nav-panel"]');
    await findByName(session, 'offer-item', 'Ida', 'the waiting chat offered under the new limit');
  });
});
