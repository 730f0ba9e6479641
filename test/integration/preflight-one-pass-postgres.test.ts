// The upgrade's pre-flight lints what each tenant would run and looks for drift. It read the tenants twice
// — a status pass for lint's pending migrations, then drift's pass — two connections and two history reads
// per tenant before the first wave. Now lint's pending migrations are planned from the history drift's
// pass reads: one session per tenant, and the same findings and drift.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { validateInventory } from '../../src/inventory/validate.js';
import { loadMigrations } from '../../src/migration/loader.js';
import { migrate } from '../../src/migration/migrate-fleet.js';
import { preflight } from '../../src/upgrade/preflight.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { ROOT } from '../helpers/cli-child.js';
import { adminQuery, createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const UNSAFE = join(ROOT, 'test/fixtures/lint/unsafe');
const prefix = uniquePrefix('preflight1');
const names = ['a', 'b', 'c'].map((t) => `${prefix}_${t}`);
let dir: string;

/** Sessions ever established to each database, once the counters have stopped moving (backends exit late). */
async function sessionsOf(databases: string[]): Promise<number[]> {
  const read = async () =>
    (
      await adminQuery<{ datname: string; sessions: string }>(
        'select datname, sessions from pg_stat_database where datname = any($1)',
        [databases],
      )
    ).map((r) => Number(r.sessions));
  let last = await read();
  for (let stable = 0; stable < 3; ) {
    await sleep(150);
    const now = await read();
    stable = now.join() === last.join() ? stable + 1 : 0;
    last = now;
  }
  return last;
}

before(async () => {
  await createDatabases(names);
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-preflight1-'));
  for (const f of ['001_base.sql', '002_applied_index.sql', '003_index.sql'])
    copyFileSync(join(UNSAFE, f), join(dir, f));
});

after(async () => {
  await dropDatabases(prefix);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('upgrade pre-flight', () => {
  it('reads each tenant once: one session, lint and drift both answered', async () => {
    const tenants = validateInventory(
      names.map((name, i) => ({ id: 'abc'[i], dialect: 'postgres', connection: pgUrl(name) })),
      'test',
    );
    const migrations = await loadMigrations(dir);
    const base = await migrate({ tenants, migrations, to: '002_applied_index.sql' });
    assert.equal(base.ok, true, JSON.stringify(base.tenants.map((t) => t.error)));
    // Tenant c drifts: an index the others do not have.
    const c = new pg.Client({ connectionString: pgUrl(names[2]!) });
    await c.connect();
    await c.query('create index c_only on accounts (id)');
    await c.end();

    const before = await sessionsOf(names);
    const notices: string[] = [];
    const { record } = await preflight(
      { tenants, concurrency: 4 },
      [tenants[0]!],
      { migrations, allowUnsafe: true },
      (e) => notices.push(e.type === 'notice' ? e.message : e.type),
    );
    const after = await sessionsOf(names);
    assert.deepEqual(
      after.map((n, i) => n - before[i]!),
      [1, 1, 1],
      'one session per tenant for lint and drift together',
    );
    // What lint found in 003 (pending on every tenant), and c's drift in a later wave.
    assert.ok(
      record.unsafe.some((u) => u.startsWith('003_index.sql')),
      JSON.stringify(record),
    );
    assert.deepEqual(record.drift, { firstWave: [], later: ['c'] });
    assert.ok(
      notices.some((n) => /--allow-unsafe/.test(n)) && notices.some((n) => /drift: 1 tenant/.test(n)),
    );
  });
  // One unreachable tenant is that tenant's failure, as in every other command: it is not upgraded (what
  // it would run was not linted), and the run goes on for the others — not a refusal of the whole fleet.
  it('a tenant whose history cannot be read is kept out of the run, named with why; the others are not held back', async () => {
    const tenants = validateInventory(
      [
        { id: 'a', dialect: 'postgres', connection: pgUrl(names[0]!) },
        { id: 'gone', dialect: 'postgres', connection: pgUrl(`${prefix}_missing`) },
      ],
      'test',
    );
    const migrations = await loadMigrations(dir);
    const notices: string[] = [];
    const { unread } = await preflight(
      { tenants, concurrency: 4 },
      [tenants[0]!],
      { migrations, allowUnsafe: true },
      (e) => {
        if (e.type === 'notice') notices.push(e.message);
      },
    );
    assert.deepEqual([...unread.keys()], ['gone']);
    assert.equal(unread.get('gone')?.code, 'DATABASE_NOT_FOUND');
    assert.match(unread.get('gone')!.message, /pre-flight could not read the tenant, so it is not upgraded/);
    assert.ok(
      notices.some((n) => /1 tenant\(s\) could not be read and are not upgraded: gone/.test(n)),
      notices.join('\n'),
    );
  });

  it('upgrade: the unreadable tenant fails with its cause, untouched; the readable one is upgraded', async () => {
    const tenants = validateInventory(
      [
        { id: 'b', dialect: 'postgres', connection: pgUrl(names[1]!) },
        { id: 'gone', dialect: 'postgres', connection: pgUrl(`${prefix}_missing`) },
      ],
      'test',
    );
    const prepared = await prepareUpgrade({
      tenants,
      migrations: dir,
      backupDir: join(dir, 'backups'),
      journal: join(dir, 'journal.db'),
    });
    const report = await upgrade({
      ...prepared,
      tenants,
      preflight: { ...prepared.preflight, allowUnsafe: true },
    });
    const byId = Object.fromEntries(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.b?.status, 'succeeded', JSON.stringify(byId.b?.error));
    assert.equal(byId.gone?.status, 'failed');
    assert.equal(byId.gone?.error?.code, 'DATABASE_NOT_FOUND');
    assert.deepEqual((byId.gone!.details as { steps: unknown[] }).steps, []);
    assert.equal(report.ok, false);
  });
});
