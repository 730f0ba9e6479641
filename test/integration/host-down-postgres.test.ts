// A server that does not answer cost every tenant on it a full connection attempt (a 10 s connect
// timeout each, when the address black-holes). After three in a row, its other tenants are now skipped at
// once as "not tried" (HOST_DOWN), while tenants of a server that answers go on as before. Not tried is
// not failed: such a tenant counts toward no failure budget, and `upgrade --resume` runs it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FleetEvent } from '../../src/core/events.js';
import { loadMigrations, migrate, status, validateInventory } from '../../src/index.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('host_down');
const up = `${prefix}_up`;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-host-down-'));
  writeFileSync(
    join(dir, '001_t.js'),
    'exports.up = (k) => k.schema.createTable("t", (t) => { t.increments(); });\nexports.down = (k) => k.schema.dropTable("t");\n',
  );
  await createDatabases([up]);
});

after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('a server nobody answers on (PostgreSQL)', () => {
  it('after three refused attempts its other tenants are not tried; another server is unaffected', async () => {
    // Port 1 on loopback: nothing listens, every attempt is refused.
    const down = Array.from({ length: 8 }, (_, i) => ({
      id: `down-${i}`,
      dialect: 'postgres',
      connection: `postgres://postgres@127.0.0.1:1/db_${i}`,
    }));
    const tenants = validateInventory(
      [...down, { id: 'up', dialect: 'postgres', connection: pgUrl(up) }],
      'test',
    );
    const events: FleetEvent[] = [];
    const report = await status({
      tenants,
      migrations: await loadMigrations(dir),
      concurrency: 1,
      perHost: 1,
      onEvent: (e) => events.push(e),
    });
    const byId = new Map(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('up')?.status, 'succeeded', JSON.stringify(byId.get('up')));
    const downResults = down.map((d) => byId.get(d.id)!);
    const tried = downResults.filter((t) => !t.error!.message.startsWith('not tried'));
    const notTried = downResults.filter((t) => t.error!.message.startsWith('not tried'));
    assert.equal(tried.length, 3, JSON.stringify(downResults.map((t) => t.error?.message)));
    assert.ok(tried.every((t) => t.status === 'failed' && t.error?.code === 'UNREACHABLE'));
    assert.equal(notTried.length, 5);
    assert.ok(notTried.every((t) => t.status === 'skipped' && t.error?.code === 'HOST_DOWN'));
    assert.equal(report.ok, false);
    assert.match(notTried[0]!.error!.message, /127\.0\.0\.1:1 did not answer the last 3 connection attempts/);
    const notice = events.find(
      (e) => e.type === 'notice' && /did not answer 3 connection attempts/.test(e.message),
    );
    assert.ok(notice, 'the run says the server looks down, once');
  });

  it('an upgrade: tenants not tried count toward no failure budget, and --resume runs them once the server answers', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const dbs = Array.from({ length: 6 }, (_, i) => `${prefix}_d${i}`);
    await createDatabases([...dbs, `${prefix}_up2`]);
    const tenants = validateInventory(
      [
        ...dbs.map((db, i) => ({
          id: `down-${i}`,
          dialect: 'postgres',
          connection: `postgres://postgres@127.0.0.1:${port}/${db}`,
        })),
        { id: 'up', dialect: 'postgres', connection: pgUrl(`${prefix}_up2`) },
      ],
      'test',
    );
    const work = join(dir, 'upgrade');
    mkdirSync(work);
    const prepared = await prepareUpgrade({
      tenants,
      migrations: await loadMigrations(dir),
      backupDir: join(work, 'backups'),
      journal: join(work, 'journal.sqlite'),
    });
    const options = { ...prepared, tenants, concurrency: 1, perHost: 1 };
    const first = await upgrade({ ...options, maxFailures: 3 });
    const byId = new Map(first.tenants.map((t) => [t.id, t]));
    const codes = dbs.map((_, i) => `${byId.get(`down-${i}`)?.status} ${byId.get(`down-${i}`)?.error?.code}`);
    assert.deepEqual(codes.toSorted(), [
      'failed UNREACHABLE',
      'failed UNREACHABLE',
      'failed UNREACHABLE',
      'skipped HOST_DOWN',
      'skipped HOST_DOWN',
      'skipped HOST_DOWN',
    ]);
    // Three failures are within a budget of 3: the tenants not tried did not count.
    assert.equal(byId.get('up')?.status, 'succeeded', JSON.stringify(byId.get('up')));
    assert.equal(first.ok, false);

    // The server is back (a proxy to it now listens on that port): the resume runs the ones not tried.
    const proxy = await forwardTo(port, 5432);
    try {
      const second = await upgrade({ ...options, resume: true });
      const after = new Map(second.tenants.map((t) => [t.id, t]));
      for (const [i] of dbs.entries()) {
        const before = byId.get(`down-${i}`)!;
        const now = after.get(`down-${i}`)!;
        if (before.status === 'skipped') assert.equal(now.status, 'succeeded', JSON.stringify(now.error));
        else assert.equal(now.status, 'failed', 'a tenant that failed stays failed');
      }
      assert.equal(after.get('up')?.status, 'succeeded');
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  // A resume skips the run's pre-flight; the tenants that pre-flight could not read would run migrations
  // nobody linted. They are linted before they run.
  it('a resume lints what the tenants the pre-flight could not read would run', {
    timeout: 120_000,
  }, async () => {
    const port = await freePort();
    const migrations = join(dir, 'lint-resume-migrations');
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, '001_t.js'),
      'exports.up = (k) => k.schema.createTable("t", (t) => { t.increments(); });\nexports.down = (k) => k.schema.dropTable("t");\n',
    );
    const dbs = Array.from({ length: 4 }, (_, i) => `${prefix}_l${i}`);
    await createDatabases([...dbs, `${prefix}_up3`]);
    const rows = (host: string) => [
      ...dbs.map((db, i) => ({
        id: `down-${i}`,
        dialect: 'postgres',
        connection: `postgres://postgres@${host}/${db}`,
      })),
      { id: 'up', dialect: 'postgres', connection: pgUrl(`${prefix}_up3`) },
    ];
    // Every tenant on 001 already: its table exists, so an index built on it later is a lint finding.
    const direct = validateInventory(rows('127.0.0.1:5432'), 'test');
    assert.equal((await migrate({ tenants: direct, migrations: await loadMigrations(migrations) })).ok, true);
    writeFileSync(
      join(migrations, '002_note.js'),
      'exports.up = (k) => k.schema.alterTable("t", (t) => { t.text("note"); });\nexports.down = (k) => k.schema.alterTable("t", (t) => { t.dropColumn("note"); });\n',
    );
    const tenants = validateInventory(rows(`127.0.0.1:${port}`), 'test');
    const work = join(dir, 'lint-resume');
    mkdirSync(work);
    const setup = { tenants, backupDir: join(work, 'backups'), journal: join(work, 'journal.sqlite') };
    const run = async (extra: { maxFailures?: number; resume?: true }) =>
      upgrade({
        ...(await prepareUpgrade({ ...setup, migrations: await loadMigrations(migrations) })),
        tenants,
        concurrency: 1,
        perHost: 1,
        ...extra,
      });
    const first = await run({ maxFailures: 3 });
    assert.ok(
      first.tenants.some((t) => t.error?.code === 'HOST_DOWN'),
      JSON.stringify(first.tenants.map((t) => [t.id, t.status, t.error])),
    );
    // An index built without CONCURRENTLY on the existing table, added before the resume: only the
    // untried tenants run it, and the run's pre-flight never saw it.
    writeFileSync(
      join(migrations, '003_index.js'),
      'exports.up = (k) => k.raw("create index t_note_idx on t (note)");\nexports.down = (k) => k.raw("drop index t_note_idx");\n',
    );
    const proxy = await forwardTo(port, 5432);
    try {
      await assert.rejects(
        run({ resume: true }),
        /pre-flight refused the upgrade.*003_index\.js: index-not-concurrent/s,
      );
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy on `port` to the local PostgreSQL: the server that "comes back". */
async function forwardTo(port: number, target: number): Promise<Server> {
  const server = createServer((socket) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
