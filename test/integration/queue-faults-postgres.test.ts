// A queue command that fails after pg-boss started must still exit. A control database that refuses
// the coordinator's (or worker's) second connection — its role's CONNECTION LIMIT, a server out of
// slots — used to leave pg-boss's timers and pool running: the error was printed and the process then
// hung forever, as a CI run under load once did.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChildren } from '../helpers/cli-child.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qfault');
const TENANT = `${prefix}_t`;
const CONTROL = `${prefix}_ctl`;
/** One connection at a time: pg-boss gets it, the control connection after it is refused. */
const ROLE = `${prefix}_one`;
const env = {};

let cwd: string;
const { start, stopAll } = cliChildren(() => ({ cwd, env }));
const controlUrl = () => pgUrl(CONTROL).replace('postgres@', `${ROLE}@`);

before(async () => {
  await createDatabases([TENANT]);
  await adminQuery(`create role "${ROLE}" login connection limit 1`);
  await adminQuery(`create database "${CONTROL}" owner "${ROLE}"`);
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qfault-'));
  writeFileSync(
    join(cwd, 'fleet.json'),
    JSON.stringify([{ id: 't', dialect: 'postgres', connection: pgUrl(TENANT) }]),
  );
});

after(async () => {
  await stopAll();
  await dropDatabases(prefix);
  await adminQuery(`drop role if exists "${ROLE}"`);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** Resolves with the run, or with `hung` once `ms` passed and the process was killed. */
async function exitsWithin(child: ReturnType<typeof start>, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => {
      child.child.kill('SIGKILL');
      resolve('hung');
    }, ms);
  });
  const outcome = await Promise.race([child.done, hung]);
  clearTimeout(timer);
  return outcome;
}

describe('queue commands whose control connection is refused', () => {
  for (const args of [
    ['migrate', '--json', '--worker-wait', '2s'],
    ['worker', '--name', 'w-refused'],
  ]) {
    it(`dbfleet ${args[0]} reports the refusal and exits`, async () => {
      const run = await exitsWithin(
        start([args[0] as string, '--queue', controlUrl(), '--tenants', 'fleet.json', ...args.slice(1)]),
        20_000,
      );
      assert.notEqual(run, 'hung', `dbfleet ${args[0]} did not exit after its error`);
      if (run === 'hung') return;
      assert.notEqual(run.code, 0, run.stderr);
      assert.match(run.stderr, /too many connections|connection limit/i);
    });
  }
});
