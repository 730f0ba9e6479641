// One PostgreSQL tenant holding ten `grades` rows, and one pending migration (a `flags` table): what the
// smoke-check and hook tests upgrade, and then count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tenant } from '../../src/core/tenant.js';
import type { FleetOptions } from '../../src/fleet/options.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase } from './postgres.js';

export interface GradesTenant {
  database: string;
  tenants: Tenant[];
  tmp: string;
  migrations: string;
}

export async function createGradesTenant(prefix: string, id: string, moreSql = ''): Promise<GradesTenant> {
  const database = `${prefix}_db`;
  const tenants = validateInventory([{ id, dialect: 'postgres', connection: pgUrl(database) }], 'test');
  const tmp = mkdtempSync(join(tmpdir(), 'dbfleet-grades-'));
  const migrations = mkdtempSync(join(tmp, 'migrations-'));
  writeFileSync(
    join(migrations, '20240101000000_add_flags.js'),
    "export const up = (knex) => knex.schema.createTable('flags', (t) => { t.increments('id'); });\n" +
      "export const down = (knex) => knex.schema.dropTable('flags');\n",
  );
  await dropDatabases(prefix);
  await createDatabases([database]);
  await queryDatabase(
    database,
    `create table grades (id serial primary key, score int);
     insert into grades (score) select g from generate_series(1, 10) g;${moreSql}`,
  );
  return { database, tenants, tmp, migrations };
}

export async function removeGradesTenant(fleet: GradesTenant | undefined, prefix: string): Promise<void> {
  await dropDatabases(prefix);
  if (fleet) rmSync(fleet.tmp, { recursive: true, force: true });
}

/** Upgrades the tenant with these checks / hooks; its backups and journal are the label's own. */
export async function upgradeGradesTenant(
  fleet: GradesTenant,
  label: string,
  setup: { checks?: unknown; hooks?: unknown },
  fanOut: Partial<FleetOptions> = {},
) {
  const prepared = await prepareUpgrade({
    tenants: fleet.tenants,
    migrations: fleet.migrations,
    backupDir: join(fleet.tmp, `backups-${label}`),
    journal: join(fleet.tmp, `journal-${label}.db`),
    ...setup,
  } as Parameters<typeof prepareUpgrade>[0]);
  const report = await upgrade({ ...prepared, tenants: fleet.tenants, concurrency: 1, ...fanOut });
  return report.tenants[0]!;
}

export async function countGrades(fleet: GradesTenant): Promise<number> {
  const [row] = await queryDatabase<{ n: string }>(fleet.database, 'select count(*) as n from grades');
  return Number(row!.n);
}
