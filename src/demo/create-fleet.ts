import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { Tenant, TenantInput } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';
import { validateInventory } from '../inventory/validate.js';
import { migrate } from '../migration/migrate-fleet.js';
import { seedTenant } from './seed.js';

export interface DemoFleetOptions {
  dir: string;
  count: number;
  migrationsDir: string;
  /** The release the demo fleet starts on (the "old version" the upgrade moves from). */
  baseline: string;
  /** Add one tenant whose data fails a smoke check after the upgrade (to show the rollback). */
  withFailure?: boolean;
}

const MARKER = '.dbfleet-demo';
/** The tenant `demo --with-failure` adds: its upgrade fails a smoke check and is rolled back. */
export const BROKEN_TENANT = 'tenant-broken';

/**
 * Creates (or re-creates) a SQLite demo fleet: one file per tenant, migrated to `baseline` and seeded.
 * Only a folder dbfleet made itself is ever emptied, so `--dir` pointed at real data is refused.
 */
export async function createDemoFleet(
  options: DemoFleetOptions,
): Promise<{ tenants: Tenant[]; inventoryFile: string }> {
  const dir = resolve(options.dir);
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, MARKER)))
      throw new UsageError(`${dir} is not empty and was not made by dbfleet demo; pick another --dir`);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, MARKER),
    'made by dbfleet demo; deleted and re-created by the next `dbfleet demo`\n',
  );
  const width = String(options.count).length;
  const inputs: TenantInput[] = Array.from({ length: options.count }, (_, i) => {
    const id = `tenant-${String(i + 1).padStart(Math.max(2, width), '0')}`;
    return {
      id,
      dialect: 'sqlite',
      connection: `${id}.sqlite`,
      tags: [i < 3 ? 'canary' : 'main', i % 2 ? 'us' : 'eu'],
    };
  });
  if (options.withFailure) {
    inputs.push({
      id: BROKEN_TENANT,
      dialect: 'sqlite',
      connection: `${BROKEN_TENANT}.sqlite`,
      tags: ['main', 'eu'],
    });
  }
  const inventoryFile = join(dir, 'tenants.json');
  writeFileSync(inventoryFile, `${JSON.stringify(inputs, null, 2)}\n`);
  const tenants = validateInventory(inputs, inventoryFile, dir);
  // A zero-byte file is a valid, empty SQLite database.
  for (const tenant of tenants) writeFileSync(tenant.database, '');
  const adapter = getAdapter('sqlite');
  const report = await migrate({
    tenants,
    migrations: options.migrationsDir,
    to: options.baseline,
    concurrency: 4,
    perHost: 4,
  });
  if (report.summary.failed > 0)
    throw new Error(
      `could not create the demo fleet: ${report.tenants.find((t) => t.error)?.error?.message}`,
    );
  for (const [index, tenant] of tenants.entries()) {
    const session = await adapter.open(tenant, { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 0 } });
    try {
      await seedTenant(session.knex, index + 1);
      // Bad data the new release's smoke check catches: a score out of range becomes a grade of 150.
      if (tenant.id === BROKEN_TENANT)
        await session.knex('submissions').where({ id: 1 }).update({ score: 150 });
    } finally {
      await session.close();
    }
  }
  return { tenants, inventoryFile };
}
