// Inventory sources that read a server (catalog query, discovery) and the PostgreSQL journal, for real.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { Journal, newRunId } from '../../src/journal/journal.js';
import { runMigrations, runSteps, runTenants } from '../../src/journal/read.js';
import {
  createDatabases,
  dropDatabases,
  PG_ADMIN_URL,
  pgUrl,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

describe('inventory from a server, and the journal in PostgreSQL', () => {
  const prefix = uniquePrefix('inv');
  const control = `${prefix}_control`;
  const tenants = [`${prefix}_t_acme`, `${prefix}_t_globex`, `${prefix}_t_initech`];
  let dir: string;

  before(async () => {
    await createDatabases([control, `${prefix}_journal`, ...tenants, `${prefix}_other`]);
    await queryDatabase(
      control,
      'create table customers (id text, host text, db text, active boolean, tags text)',
    );
    await queryDatabase(
      control,
      `insert into customers values
        ('acme', '127.0.0.1', $1, true, 'eu,canary'),
        ('globex', '127.0.0.1', $2, true, null),
        ('initech', '127.0.0.1', $3, false, null)`,
      tenants,
    );
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-inv-'));
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a catalog query against a control database lists the tenants, with defaults merged in', async () => {
    const found = await loadInventory({
      catalog: {
        connection: pgUrl(control),
        query: 'select id, host, db as database, tags from customers where active order by id',
        defaults: { user: 'postgres', port: 5432 },
      },
    });
    assert.deepEqual(
      found.map((t) => [t.id, t.database, t.host, t.tags]),
      [
        ['acme', tenants[0], 'postgres://127.0.0.1:5432', ['eu', 'canary']],
        ['globex', tenants[1], 'postgres://127.0.0.1:5432', []],
      ],
    );
    assert.equal(found[0]!.connection.user, 'postgres');
  });

  it('a catalog query that fails is a usage error naming the server, not a crash', async () => {
    await assert.rejects(
      loadInventory({ catalog: { connection: pgUrl(control), query: 'select * from no_such_table' } }),
      (err: unknown) =>
        err instanceof UsageError &&
        /catalog query failed on postgres:\/\/127\.0\.0\.1:5432/.test(err.message),
    );
  });

  it('discovery lists every database on the server whose name matches the pattern', async () => {
    const found = await loadInventory({
      discover: { dialect: 'postgres', connection: PG_ADMIN_URL, pattern: `${prefix}_t_*` },
    });
    assert.deepEqual(found.map((t) => t.id).sort(), [...tenants].sort());
    assert.ok(found.every((t) => t.database === t.id && t.dialect === 'postgres'));
  });

  it('SQLite discovery: every file matching the glob, relative to the config folder', async () => {
    for (const name of ['a', 'b']) writeFileSync(join(dir, `${name}.sqlite`), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    const found = await loadInventory(
      { discover: { dialect: 'sqlite', glob: '*.sqlite', tags: ['demo'] } },
      dir,
    );
    assert.deepEqual(
      found.map((t) => [t.id, t.database, t.tags]),
      [
        ['a', join(dir, 'a.sqlite'), ['demo']],
        ['b', join(dir, 'b.sqlite'), ['demo']],
      ],
    );
  });

  it('the journal works in a PostgreSQL control database: a run, its tenants, steps and migrations', async () => {
    const journal = await Journal.open(pgUrl(`${prefix}_journal`));
    const runId = newRunId();
    try {
      journal.planRun(runId, 'upgrade', { canary: '1' }, [
        { id: 'acme', host: 'postgres://db1:5432', wave: 1 },
        { id: 'globex', host: 'postgres://db1:5432', wave: 2 },
      ]);
      const at = Date.now();
      journal.onEvent({ type: 'tenant:start', tenantId: 'acme', host: 'h', at });
      journal.onEvent({ type: 'step:start', tenantId: 'acme', step: 'migrate', at });
      journal.onEvent({
        type: 'migration:applied',
        tenantId: 'acme',
        name: '001.ts',
        direction: 'up',
        durationMs: 3,
      });
      journal.onEvent({
        type: 'step:done',
        tenantId: 'acme',
        step: 'migrate',
        status: 'succeeded',
        durationMs: 5,
        data: { applied: ['001.ts'] },
      });
      journal.onEvent({
        type: 'tenant:done',
        tenantId: 'acme',
        result: {
          id: 'acme',
          status: 'succeeded',
          durationMs: 9,
          details: { note: 'password=hunter22 was here' },
        },
      });
      await journal.flush();
      const rows = await runTenants(journal.knex, runId);
      assert.deepEqual(
        rows.map((r) => [r.tenantId, r.wave, r.status]),
        [
          ['acme', 1, 'succeeded'],
          ['globex', 2, 'queued'],
        ],
      );
      assert.equal(rows[0]!.details?.note, 'password=*** was here', 'journal rows are redacted');
      const steps = await runSteps(journal.knex, runId);
      assert.deepEqual(
        steps.map((s) => [s.step, s.status, s.data]),
        [['migrate', 'succeeded', { applied: ['001.ts'] }]],
      );
      assert.deepEqual([...(await runMigrations(journal.knex, runId)).entries()], [['acme', ['001.ts']]]);
    } finally {
      await journal.close();
    }
  });
});
