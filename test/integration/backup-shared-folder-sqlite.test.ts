import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { backup, restoreTenant } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';

// Two environments (production, staging) of a knexfile, each with a tenant `acme`, and the one default
// backup folder: the tenant id names the folder, the database says whose backup it is.
const root = mkdtempSync(join(tmpdir(), 'dbfleet-bkshared-'));
after(() => rmSync(root, { recursive: true, force: true }));
const backupDir = join(root, 'backups');

function acmeIn(env: string, name: string): Tenant {
  const file = join(root, env, 'acme.sqlite');
  mkdirSync(join(root, env), { recursive: true });
  const db = new Database(file);
  db.exec(
    `create table customers (id integer primary key, name text); insert into customers (name) values ('${name}')`,
  );
  db.close();
  const p = sqliteAdapter.parseConnection(file);
  return {
    id: 'acme',
    dialect: 'sqlite',
    connection: p.connection,
    host: p.host,
    database: p.database,
    tags: [],
  };
}

const names = (t: Tenant) => {
  const db = new Database(t.database);
  try {
    return (db.prepare('select name from customers order by id').all() as { name: string }[]).map(
      (r) => r.name,
    );
  } finally {
    db.close();
  }
};
const databases = () =>
  readdirSync(join(backupDir, 'acme'))
    .filter((n) => n.endsWith('.manifest.json'))
    .map((n) => JSON.parse(readFileSync(join(backupDir, 'acme', n), 'utf8')).database as string)
    .sort();

test('environments sharing a backup folder: restore and retention see only their own database', async () => {
  const production = acmeIn('production', 'real customer');
  const staging = acmeIn('staging', 'test data');
  assert.equal((await backup({ tenants: [production], backupDir })).summary.failed, 0);
  assert.equal((await backup({ tenants: [staging], backupDir })).summary.failed, 0);

  // Staging's backup is the newest verified one in acme/: production's restore must not take it.
  const db = new Database(production.database);
  db.exec("update customers set name = 'changed'");
  db.close();
  const restored = await restoreTenant({ tenant: production, backupDir, yes: true });
  assert.equal(restored.tenants[0]?.status, 'succeeded', JSON.stringify(restored.tenants[0]?.error));
  assert.deepEqual(names(production), ['real customer']);

  // Staging's retention neither deletes nor counts production's backup.
  const kept = await backup({ tenants: [staging], backupDir, keep: 1 });
  const result = kept.tenants[0]?.details as { retention?: { kept: number; deleted: string[] } };
  assert.equal(result.retention?.kept, 1);
  assert.equal(result.retention?.deleted.length, 1);
  assert.deepEqual(databases(), [production.database, staging.database]);

  const manifest = JSON.parse(
    readFileSync(
      join(backupDir, 'acme', readdirSync(join(backupDir, 'acme')).find((n) => n.endsWith('.json'))!),
      'utf8',
    ),
  );
  assert.equal(manifest.server, 'sqlite://localhost');
});

test('a backup of another database is refused by name, also when given as a path', async () => {
  const dir = mkdtempSync(join(root, 'path-'));
  const production = acmeIn('prod2', 'real customer');
  const staging = acmeIn('stag2', 'test data');
  const report = await backup({ tenants: [staging], backupDir: dir });
  const path = (report.tenants[0]!.details as { backup: { path: string } }).backup.path;
  const restored = await restoreTenant({ tenant: production, backupDir: dir, yes: true, backup: path });
  const error = restored.tenants[0]?.error;
  assert.equal(error?.code, 'RESTORE_REFUSED');
  assert.match(error?.message ?? '', /BACKUP_WRONG_TENANT/);
  assert.ok(error?.message.includes(staging.database) && error.message.includes(production.database));
  assert.deepEqual(names(production), ['real customer']);
});
