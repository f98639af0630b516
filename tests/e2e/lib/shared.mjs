// Shared mode's pieces for end-to-end tests: a database of the test's own on the throwaway
// Postgres that `cargo xtask test` starts (SWITCHBOARD_TEST_PG_URL, the superuser), SQL as that
// superuser through psql, and the relay (the router of shared mode) on that database.

import { execFile, spawn } from 'node:child_process';
import { openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { waitFor } from './harness.mjs';

const run = promisify(execFile);
const PSQL = process.env.SWITCHBOARD_PSQL || '/usr/bin/psql';

function mustEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run end-to-end tests with \`cargo xtask test\``);
  return value;
}

/** Runs `sql` against `url` with psql; resolves to the rows, each an array of column texts. */
export async function psql(url, sql) {
  const { stdout } = await run(PSQL, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-A', '-t', '-F', '\t', '-c', sql]);
  return stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

/** A SQL string literal. */
export function literal(text) {
  return `'${String(text).replaceAll("'", "''")}'`;
}

/**
 * A new, empty database on the throwaway cluster. `url` is the superuser's URL of it, `address`
 * what an operator types in Settings (`127.0.0.1:PORT/NAME`), `sql()` runs SQL as the superuser.
 */
export async function createSharedDatabase() {
  const server = new URL(mustEnv('SWITCHBOARD_TEST_PG_URL'));
  const name = `e2e_${randomBytes(6).toString('hex')}`;
  await psql(server.href, `CREATE DATABASE ${name}`);
  const url = new URL(server.href);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    address: `${server.hostname}:${server.port}/${name}`,
    sql: (text) => psql(url.href, text),
  };
}

/**
 * `switchboard-relay` on the database `url`: it migrates the schema, then routes chats. Resolves
 * once it listens. Its log goes to `dir/relay.log`; the Messenger secrets it requires are files of
 * mode 0600 in `dir`.
 */
export async function startRelay(url, dir) {
  const secretFile = join(dir, 'relay-app-secret');
  const verifyFile = join(dir, 'relay-verify-token');
  writeFileSync(secretFile, randomBytes(16).toString('hex'), { mode: 0o600 });
  writeFileSync(verifyFile, randomBytes(16).toString('hex'), { mode: 0o600 });
  const log = openSync(join(dir, 'relay.log'), 'a');
  const child = spawn(
    mustEnv('SWITCHBOARD_RELAY_BIN'),
    ['--listen', '127.0.0.1:0', '--database-url', url, '--app-secret-file', secretFile, '--verify-token-file', verifyFile],
    { stdio: ['ignore', 'pipe', log], env: { ...process.env, RUST_LOG: 'info,sqlx=warn' } },
  );
  closeSync(log);
  try {
    await new Promise((resolve, reject) => {
      let seen = '';
      // Keep reading stdout for the relay's whole life, so it never blocks on a full pipe.
      child.stdout.on('data', (chunk) => {
        seen += chunk;
        if (/listening on http/.test(seen)) resolve();
      });
      child.on('exit', (code) => reject(new Error(`the relay exited (${code}) before it listened; see ${dir}/relay.log`)));
    });
  } catch (err) {
    child.kill();
    throw err;
  }
  return {
    async stop() {
      const ended = () => child.exitCode !== null || child.signalCode !== null;
      if (ended()) return;
      child.kill('SIGTERM');
      await waitFor('the relay to stop', ended, 10_000).catch(() => child.kill('SIGKILL'));
    },
  };
}
