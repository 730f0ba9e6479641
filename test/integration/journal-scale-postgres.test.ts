// The journal's write cost per tenant does not grow with the fleet: a migrate of 20 tenants and one of
// 200 write the same statements, and the same bytes of values, per tenant (a write that re-serialized
// the run so far, or a per-tenant query over the whole run, would grow with N). Counted on a PostgreSQL
// journal, whose writes all go through knex (the SQLite journal prepares its statements below it).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/engine.js';
import { migrate, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const MIGRATIONS = fileURLToPath(new URL('../fixtures/migrations-basic/', import.meta.url));
const prefix = uniquePrefix('jscale');
let dir: string;

before(async () => {
  await createDatabases([`${prefix}_a`, `${prefix}_b`]);
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-journal-scale-'));
});
after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

/** Journal statements and bytes of bound values per tenant, for a migrate of `n` SQLite tenants. */
async function journalCostPerTenant(n: number, database: string) {
  const tenants = validateInventory(
    Array.from({ length: n }, (_, i) => {
      const id = `tenant${String(i).padStart(4, '0')}`; // one id length at every N
      return { id, dialect: 'sqlite', connection: join(dir, `${database}-${id}.sqlite`) };
    }),
    'test inventory',
  );
  for (const t of tenants) writeFileSync(t.database, '');
  const journal = await Journal.open(pgUrl(database));
  let statements = 0;
  let bytes = 0;
  journal.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => {
    if (/^(begin|commit|rollback)$/i.test(q.sql.trim())) return; // batching, which depends on timing
    statements++;
    bytes += JSON.stringify(q.bindings ?? []).length;
  });
  try {
    const report = await migrate({ tenants, migrations: MIGRATIONS, journal, concurrency: 8 });
    assert.equal(report.summary.succeeded, n);
  } finally {
    await journal.close();
  }
  return { statements: statements / n, bytes: bytes / n };
}

test('journal writes per tenant are the same at 20 and 200 tenants', async () => {
  const small = await journalCostPerTenant(20, `${prefix}_a`);
  const large = await journalCostPerTenant(200, `${prefix}_b`);
  if (process.env.DEBUG_JOURNAL) console.error(small, large);
  // The run's own rows (its start, its end and summary) are spread over more tenants at 200: per
  // tenant, the larger fleet may only cost less.
  assert.ok(
    large.statements <= small.statements * 1.05,
    `${large.statements} vs ${small.statements} statements`,
  );
  assert.ok(large.bytes <= small.bytes * 1.15, `${large.bytes} vs ${small.bytes} bytes`);
});
