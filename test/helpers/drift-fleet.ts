import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCli } from './cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from './postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');

/**
 * Four PostgreSQL tenants migrated alike with the basic fixture, each then given `sql`, in a folder with
 * their `fleet.json`: what a drift test changes on some of them. `cleanup` drops them all.
 */
export async function migratedDriftFleet(label: string, sql: string) {
  const prefix = uniquePrefix(label);
  const names = ['a', 'b', 'c', 'd'].map((s) => `${prefix}_${s}`) as [string, string, string, string];
  await createDatabases(names);
  const dir = mkdtempSync(join(tmpdir(), `dbfleet-${label}-`));
  writeFileSync(
    join(dir, 'fleet.json'),
    JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: pgUrl(n) }))),
  );
  const migrate = await runCli(
    ['migrate', '--tenants', 'fleet.json', '--migrations', BASIC, '--journal', join(dir, 'j.db')],
    { cwd: dir },
  );
  assert.equal(migrate.code, 0, migrate.stderr);
  for (const n of names) await queryDatabase(n, sql);
  const cleanup = async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  };
  return { names, dir, cleanup };
}
