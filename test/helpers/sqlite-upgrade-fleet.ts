// A small SQLite fleet an upgrade runs on through the CLI: tenant files, an inventory, a migrations folder
// with its first migration, and a knexfile whose hooks close a tenant (a `maintenance` table) and reopen it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const MAINTENANCE_HOOKS =
  "hooks: { beforeTenant: 'create table maintenance (since text)', afterTenant: 'drop table maintenance' }";

/** Writes the fleet into `dir` (which exists); the knexfile is `dir/knexfile.mjs`. */
export function writeSqliteUpgradeFleet(dir: string, ids: readonly string[] = ['a', 'b']): void {
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations', '001_base.sql'), 'create table base (id int);\n');
  for (const id of ids) new Database(join(dir, `${id}.sqlite`)).close();
  writeFileSync(
    join(dir, 'tenants.json'),
    JSON.stringify(ids.map((id) => ({ id, dialect: 'sqlite', connection: `./${id}.sqlite` }))),
  );
  writeFileSync(
    join(dir, 'knexfile.mjs'),
    `export default {
  inventory: { file: './tenants.json' },
  migrations: { directory: './migrations' },
  backups: { directory: './backups' },
  journal: './journal.db',
  ${MAINTENANCE_HOOKS},
};\n`,
  );
}
