// A real SQLite tenant and a TenantContext for calling the per-tenant backup steps (backupTenant,
// verifyTenantBackup, restoreFromBackup) directly, with the backup driver open to wrapping.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { FleetEvent } from '../../src/core/events.js';
import type { Tenant } from '../../src/core/tenant.js';
import type { BackupDriver } from '../../src/dialect/backup-types.js';
import { sqliteAdapter } from '../../src/dialect/sqlite/index.js';
import type { TenantContext } from '../../src/fleet/run-fleet.js';

export const timeouts = { lockTimeoutMs: 5000, statementTimeoutMs: 60_000 };

/** A SQLite database `<dir>/<id>.db` holding `t` with `rows` rows (and `filler` rows of 1 KB). */
export function sqliteTenant(dir: string, id: string, rows: number, filler = 0): Tenant {
  const file = join(dir, `${id}.db`);
  const db = new Database(file);
  db.exec('create table t (id integer primary key)');
  for (let i = 1; i <= rows; i++) db.prepare('insert into t values (?)').run(i);
  if (filler) {
    db.exec(`create table filler (id integer primary key, payload text);
      with recursive s(i) as (select 1 union all select i + 1 from s where i < ${filler})
      insert into filler (payload) select hex(randomblob(512)) from s;`);
  }
  db.close();
  return {
    id,
    dialect: 'sqlite',
    connection: { filename: file },
    host: `sqlite:${file}`,
    database: file,
    tags: [],
  };
}

export function tenantContext(
  tenant: Tenant,
  options: { driver?: (real: BackupDriver) => Partial<BackupDriver>; abort?: AbortController } = {},
) {
  const events: FleetEvent[] = [];
  const real = sqliteAdapter.backup;
  let session: Awaited<ReturnType<TenantContext['session']>> | undefined;
  const ctx: TenantContext = {
    tenant,
    adapter: { ...sqliteAdapter, backup: { ...real, ...options.driver?.(real) } },
    signal: (options.abort ?? new AbortController()).signal,
    emit: (e) => events.push(e),
    session: async () => {
      session ??= await sqliteAdapter.open(tenant, { timeouts });
      return session;
    },
    releaseSession: async () => {
      await session?.close();
      session = undefined;
    },
    secondConnection: (fn) => fn(),
  };
  return { ctx, events, close: () => ctx.releaseSession() };
}
