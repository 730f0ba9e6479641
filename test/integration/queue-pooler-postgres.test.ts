// A --queue URL through PgBouncer (transaction pooling) ran: the workers' session-level advisory locks
// (which worker is alive, which tenant it runs, the per-host caps) landed on whichever pooled server
// connection ran the statement — so a dead worker's tenants could stay taken, a live one's be handed out
// twice, and no per-host cap held. Whether PgBouncer refuses the start-up `options` or drops them
// (`ignore_startup_parameters = options`), the coordinator and the worker now refuse the URL up front:
// exit 2, the URL named without its password, and what to do instead; pg-boss never started on it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliRun, cliChildren } from '../helpers/cli-child.js';
import { type Bouncer, pgbouncerInstalled, startPgbouncer } from '../helpers/pgbouncer.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('qpooler');
const TENANT = `${prefix}_t`;
const CONTROL = `${prefix}_ctl`;
// Trust auth on both the server and PgBouncer: the password is never checked, only never printed.
const PASSWORD = 'n0t-t0-be-printed';
const installed = pgbouncerInstalled();
const env = {};
/** The old code's worker behind a dropping pooler waited for jobs for ever: it is stopped after this. */
const RUN_LIMIT_MS = 30_000;

let cwd: string;
const bouncers: Bouncer[] = [];
const { start, stopAll } = cliChildren(() => ({ cwd, env }));

before(async () => {
  await createDatabases([TENANT, CONTROL]);
  cwd = mkdtempSync(join(tmpdir(), 'dbfleet-qpooler-'));
  mkdirSync(join(cwd, 'migrations'));
  writeFileSync(
    join(cwd, 'migrations/001_t.js'),
    `exports.up = (k) => k.schema.createTable('t', (t) => t.increments());
exports.down = (k) => k.schema.dropTable('t');
`,
  );
  writeFileSync(
    join(cwd, 'fleet.json'),
    JSON.stringify([{ id: 'acme', dialect: 'postgres', connection: pgUrl(TENANT) }]),
  );
});

after(async () => {
  await stopAll();
  for (const b of bouncers) await b.stop();
  await dropDatabases(prefix);
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

/** The control database through `bouncer`, with a password in the URL. */
function pooledUrl(bouncer: Bouncer): string {
  const url = new URL(pgUrl(CONTROL));
  url.port = String(bouncer.port);
  url.password = PASSWORD;
  return url.toString();
}

/** Runs `dbfleet <args>`, killed after RUN_LIMIT_MS (its `code` is then null). */
async function run(args: string[]): Promise<CliRun> {
  const child = start([...args, '--tenants', 'fleet.json', '--migrations', 'migrations']);
  const limit = sleep(RUN_LIMIT_MS, undefined, { ref: false }).then(() => child.child.kill('SIGKILL'));
  void limit;
  return child.done;
}

/** What reached the control database's queue and the tenant. */
async function left(): Promise<{ pgboss: boolean; jobs: number; tenantMigrated: boolean }> {
  const [schema] = await queryDatabase<{ there: boolean }>(
    CONTROL,
    `select to_regclass('pgboss.job') is not null as there`,
  );
  const jobs = schema?.there
    ? ((await queryDatabase<{ n: number }>(CONTROL, 'select count(*)::int as n from pgboss.job'))[0]?.n ?? 0)
    : 0;
  const [tenant] = await queryDatabase<{ there: boolean }>(
    TENANT,
    `select to_regclass('public.knex_migrations') is not null as there`,
  );
  return { pgboss: schema?.there === true, jobs, tenantMigrated: tenant?.there === true };
}

function assertRefused(result: CliRun, bouncer: Bouncer): void {
  assert.equal(result.code, 2, `exit code (signal ${result.signal}); stderr: ${result.stderr}`);
  assert.match(result.stderr, /goes through a connection pooler \(PgBouncer\)/);
  assert.match(result.stderr, /point --queue at the PostgreSQL server itself/);
  // Named, without its password.
  assert.ok(
    result.stderr.includes(`postgres://postgres:***@127.0.0.1:${bouncer.port}/${CONTROL}`),
    result.stderr,
  );
  assert.ok(!result.stderr.includes(PASSWORD) && !result.stdout.includes(PASSWORD), 'password printed');
}

for (const ignoreOptions of [false, true]) {
  const how = ignoreOptions ? 'dropping the start-up options' : 'refusing the start-up options';
  describe(`--queue through PgBouncer in transaction mode, ${how}`, {
    skip: !installed && 'pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)',
  }, () => {
    let bouncer: Bouncer;
    before(async () => {
      bouncer = await startPgbouncer({ ignoreOptions });
      bouncers.push(bouncer);
    });

    it('migrate --queue exits 2 saying to point --queue at the server; nothing enqueued or run', async () => {
      const result = await run(['migrate', '--queue', pooledUrl(bouncer), '--worker-wait', '3s']);
      assertRefused(result, bouncer);
      assert.deepEqual(await left(), { pgboss: false, jobs: 0, tenantMigrated: false });
    });

    it('worker --queue exits 2 with the same message, before taking anything', async () => {
      const result = await run(['worker', '--queue', pooledUrl(bouncer)]);
      assertRefused(result, bouncer);
      assert.deepEqual(await left(), { pgboss: false, jobs: 0, tenantMigrated: false });
    });
  });
}

describe('the check on the server itself', () => {
  it("passes, the URL's own start-up options kept alongside the check's", async () => {
    // Imported here: the CLI cases above also run (and fail) against a dbfleet without the check.
    const { checkQueueIsDirect } = await import('../../src/dialect/postgres/queue-direct-session.js');
    await checkQueueIsDirect(pgUrl(CONTROL));
    await checkQueueIsDirect(`${pgUrl(CONTROL)}?options=${encodeURIComponent('-c search_path=public')}`);
  });
});
