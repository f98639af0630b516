// Starts the pieces an end-to-end test needs: the sandbox binary, and the
// real Switchboard app through WebKitWebDriver, each in its own data folder.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { Session } from './webdriver.mjs';

const APP = mustEnv('SWITCHBOARD_APP');
const SANDBOX = mustEnv('SWITCHBOARD_SANDBOX_BIN');
const SCRATCH = mustEnv('SWITCHBOARD_E2E_SCRATCH');

function mustEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run end-to-end tests with \`cargo xtask test\``);
  return value;
}

/** Polls `probe` until it returns a truthy value; fails with `what` on timeout. */
export async function waitFor(what, probe, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A random bot token: "<bot id>:<secret>" (the bot id is what a channel's external_id holds). */
function newBotToken() {
  return `${randomInt(1_000_000, 9_000_000)}:e2e-${randomInt(1e9)}`;
}

/**
 * A sandbox with one bot; `.writeAsCustomer()` and `.sentMessages()` drive it. With
 * `facebookApp: {id, secret}` it also plays Facebook with its demo person and pages. With
 * `telegramBots: n` it runs n bots, each driven through `.bots[i]` (`bots[0]` is the one above).
 */
export async function startSandbox({ facebookApp, telegramBots = 1 } = {}) {
  const tokens = Array.from({ length: telegramBots }, newBotToken);
  const args = ['--listen', '127.0.0.1:0', ...tokens.flatMap((t) => ['--telegram-bot', t])];
  if (facebookApp) args.push('--facebook-app', `${facebookApp.id}:${facebookApp.secret}`);
  const child = spawn(SANDBOX, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const baseUrl = await new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1].endsWith('/') ? match[1] : `${match[1]}/`);
    });
    child.on('exit', (code) => reject(new Error(`sandbox exited (${code}) before it was ready`)));
  });
  const bots = tokens.map((token) => telegramBot(baseUrl, token));
  return {
    baseUrl,
    ...bots[0],
    bots,
    /** Apps subscribed to a Facebook page's webhooks. */
    pageSubscriptions: async (pageId) => {
      const response = await fetch(`${baseUrl}_sandbox/facebook/pages/${encodeURIComponent(pageId)}/subscriptions`);
      const json = await response.json();
      if (!json.ok) throw new Error(`sandbox subscriptions: ${json.description}`);
      return json.result;
    },
    stop: () => child.kill(),
  };
}

/** One sandbox bot's control API: what its customers write, what it sent. */
function telegramBot(baseUrl, token) {
  const control = `${baseUrl}_sandbox/telegram/${encodeURIComponent(token)}`;
  const call = async (method, path, body) => {
    const response = await fetch(control + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const json = await response.json();
    if (!json.ok) throw new Error(`sandbox ${path}: ${json.description}`);
    return json.result;
  };
  return {
    token,
    /** The bot's user id (a channel's `external_id`). */
    botId: token.split(':')[0],
    writeAsCustomer: (userId, firstName, text) =>
      call('POST', '/customer-messages', { user_id: userId, first_name: firstName, text }),
    /** `kind`: photo | document | voice | sticker; `bytes`: a Buffer. */
    sendMediaAsCustomer: (userId, firstName, kind, bytes, extra = {}) =>
      call('POST', '/customer-media', {
        user_id: userId, first_name: firstName, kind, bytes_base64: bytes.toString('base64'), ...extra,
      }),
    sentMessages: () => call('GET', '/sent-messages'),
    /** A file the bot sent, with its bytes as a Buffer. */
    sentFile: async (fileId) => {
      const file = await call('GET', `/files/${encodeURIComponent(fileId)}`);
      return { ...file, bytes: Buffer.from(file.bytes_base64, 'base64') };
    },
  };
}

/** A fresh data folder for one app "installation". */
export function newWorkspaceDir(name) {
  const dir = mkdtempSync(join(SCRATCH, `${name}-`));
  mkdirSync(join(dir, 'data'), { recursive: true });
  return dir;
}

/**
 * Launches the real app (data in `dir`) and returns a WebDriver session. "Add Telegram" talks to
 * `sandbox`; unless `seedBot` is false its bot is connected at start-up as in the demo.
 */
export async function launchApp(sandbox, dir, { seedBot = true, env = {} } = {}) {
  const port = await freePort();
  const driver = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      TAURI_WEBVIEW_AUTOMATION: 'true',
      SWITCHBOARD_DATA_DIR: join(dir, 'data'),
      SWITCHBOARD_TELEGRAM_API: sandbox.baseUrl,
      SWITCHBOARD_FACEBOOK_API: sandbox.baseUrl,
      ...(seedBot ? { SWITCHBOARD_TELEGRAM_TOKEN: sandbox.token } : {}),
      // No Messenger webhook endpoint unless a test asks for one (on a port of its own).
      SWITCHBOARD_MESSENGER_LISTEN: 'off',
      ...env,
      RUST_LOG: 'info,sqlx=warn',
    },
  });
  const driverUrl = `http://127.0.0.1:${port}`;
  await waitFor('WebKitWebDriver to listen', async () => (await fetch(`${driverUrl}/status`)).ok, 20_000);
  const session = await Session.create(driverUrl, {
    alwaysMatch: { 'webkitgtk:browserOptions': { binary: APP, args: [] } },
  });
  let killed = false;
  return {
    session,
    async close() {
      if (killed) return;
      try {
        await session.close();
      } finally {
        driver.kill();
        await new Promise((r) => (driver.exitCode !== null ? r() : driver.once('exit', r)));
        await endApp(join(dir, 'data'));
      }
    },
    async screenshot(name) {
      writeFileSync(join(dir, `${name}.png`), await session.screenshotPng());
    },
    /** The app's process id (from its instance lock), or null before it took the lock. */
    pid: () => appPid(join(dir, 'data')),
    /** Ends the app's process abruptly (SIGKILL: a crash or a power cut) and its driver. */
    async kill() {
      const pid = appPid(join(dir, 'data'));
      if (pid === null) throw new Error('the app has no pid yet');
      process.kill(pid, 'SIGKILL');
      killed = true;
      await waitFor(`the app (pid ${pid}) to be gone`, () => !alive(pid), 10_000);
      driver.kill();
      await new Promise((r) => (driver.exitCode !== null ? r() : driver.once('exit', r)));
    },
  };
}

/** The pid in the app's instance lock in `dataDir`, or null. */
function appPid(dataDir) {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, 'switchboard.lock'), 'utf8'), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Texts of the messages of `kind` in the open conversation. */
export async function messageTexts(session, kind) {
  const bubbles = await session.findAll(`[data-testid="message"][data-kind="${kind}"] [data-testid="message-text"]`);
  return Promise.all(bubbles.map((b) => b.text()));
}

/** Opens the chat whose customer is `name` (waiting until it is listed). */
export async function openChat(session, name) {
  return waitFor(`a chat from ${name} opened`, async () => {
    const item = await itemByName(session, 'chat-item', name);
    if (!item) return null;
    await item.click();
    return (await item.attribute('aria-current')) === 'true' && item;
  });
}

/** Waits for an offer from `name`, clicks Accept and waits until it is my chat.
 *  React may replace list nodes between two WebDriver calls, so every lookup
 *  and click happens inside the polling loop (a stale node is just retried). */
export async function acceptOffer(session, name) {
  let clickedAt = 0;
  await waitFor(`${name}'s offer accepted`, async () => {
    if (await itemByName(session, 'chat-item', name)) return true;
    if (Date.now() - clickedAt < 3000) return false; // give the first click time to land
    const offer = await itemByName(session, 'offer-item', name);
    const [accept] = offer ? await offer.findAll('[data-testid="accept-button"]') : [];
    if (!accept) return false;
    await accept.click();
    clickedAt = Date.now();
    return false;
  });
  return openChat(session, name);
}

/** The first `[data-testid=testId]` item whose customer is `name`, or null. */
export async function itemByName(session, testId, name) {
  for (const candidate of await session.findAll(`[data-testid="${testId}"]`)) {
    const label = await candidate.findAll('[data-testid="chat-item-name"]');
    if (label[0] && (await label[0].text()) === name) return candidate;
  }
  return null;
}

/** The item (`chat-item` or `offer-item`) whose customer is `name`, once listed. */
export async function findByName(session, testId, name, what = `${testId} ${name}`) {
  return waitFor(what, () => itemByName(session, testId, name));
}

/** Names of the customers listed under `testId` right now. */
export async function listedNames(session, testId) {
  const names = [];
  for (const item of await session.findAll(`[data-testid="${testId}"] [data-testid="chat-item-name"]`)) {
    names.push(await item.text());
  }
  return names;
}

/** Clicks the first element matching `css`, waiting for it to exist. */
export async function click(session, css) {
  return waitFor(`${css} to be clicked`, async () => {
    const [element] = await session.findAll(css);
    if (!element) return null;
    await element.click();
    return element;
  });
}

/** Types `text` into the first element matching `css`, once it exists. */
export async function typeInto(session, css, text) {
  return waitFor(`${css} to take the text`, async () => {
    const [element] = await session.findAll(css);
    if (!element) return null;
    await element.type(text);
    return element;
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Makes sure the app that used `dataDir` has ended before the next launch:
 *  closing the WebDriver session does not always end the process, and two
 *  apps on one folder are refused (the app's instance lock). The lock file
 *  holds the app's pid. */
async function endApp(dataDir) {
  const pid = appPid(dataDir);
  // null: the app never got as far as taking its lock
  if (pid === null || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await waitFor(`the app (pid ${pid}) to exit`, () => !alive(pid), 10_000).catch(() => process.kill(pid, 'SIGKILL'));
}
