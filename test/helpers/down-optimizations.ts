// Shared by rollback-down-optimizations-{postgres,sqlite}.test.ts: a tenant upgraded by one migration and an
// index optimization, then rolled back by its downs. The downs undo the migration, never the optimization.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tenant } from '../../src/core/tenant.js';
import { migrate } from '../../src/migration/migrate-fleet.js';
import type { Optimization } from '../../src/optimization/index.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

export const BASE = '001_accounts.js';
export const INDEX = 'accounts_created_idx';

const MIGRATIONS: Record<string, string> = {
  [BASE]: `exports.up = (knex) => knex.schema.createTable('accounts', (t) => { t.increments('id'); t.timestamp('created_at'); });
exports.down = (knex) => knex.schema.dropTable('accounts');`,
  // Not a column on accounts: SQLite's dropColumn rebuilds the table, whose CREATE text then differs.
  '002_plans.js': `exports.up = (knex) => knex.schema.createTable('plans', (t) => { t.increments('id'); });
exports.down = (knex) => knex.schema.dropTable('plans');`,
};
/** A down that forgets a table its up created: a real difference after the downs. */
const LEAKY = `exports.up = (knex) => knex.schema.createTable('leaky', (t) => { t.increments('id'); });
exports.down = async () => {};`;

export const OPTIMIZATIONS: Optimization[] = [
  { kind: 'index', name: INDEX, table: 'accounts', columns: ['created_at'] },
  { kind: 'analyze', name: 'analyze_all' },
];

export interface Scenario {
  tenants: Tenant[];
  /** Upgrades (a failing smoke check: rolled back by its downs) and returns the report. */
  upgrade(options?: { failCheck?: boolean; leaky?: boolean }): ReturnType<typeof upgrade>;
  /** `rollback --run <latest> --with down`. */
  rollback(options?: { leaky?: boolean }): ReturnType<typeof rollbackRun>;
}

export async function scenario(dir: string, tenants: Tenant[]): Promise<Scenario> {
  const plain = join(dir, 'migrations');
  const leaky = join(dir, 'migrations-leaky');
  for (const d of [plain, leaky]) {
    mkdirSync(d, { recursive: true });
    for (const [name, text] of Object.entries(MIGRATIONS)) writeFileSync(join(d, name), text);
  }
  writeFileSync(join(leaky, '003_leaky.js'), LEAKY);
  const base = await migrate({ tenants, migrations: plain, to: BASE });
  if (!base.ok) throw new Error(JSON.stringify(base.tenants));
  const journal = join(dir, 'journal.db');
  const prepare = (opts: { failCheck?: boolean; leaky?: boolean }) =>
    prepareUpgrade({
      tenants,
      migrations: opts.leaky ? leaky : plain,
      optimizations: OPTIMIZATIONS,
      checks: opts.failCheck ? [{ name: 'always_false', sql: 'select 1 = 0' }] : [],
      backupDir: join(dir, 'backups'),
      journal,
    });
  return {
    tenants,
    async upgrade(opts = {}) {
      const prepared = await prepare(opts);
      return upgrade({ ...prepared, tenants, concurrency: 1, rollbackWith: 'down' });
    },
    async rollback(opts = {}) {
      const prepared = await prepare(opts);
      return rollbackRun({ ...prepared, tenants, run: true, with: 'down', concurrency: 1 });
    },
  };
}
