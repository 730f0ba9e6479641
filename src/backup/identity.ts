import type { Tenant } from '../core/tenant.js';
import type { BackupManifest } from './manifest.js';

/**
 * What a backup is of. Environments (or fleets) sharing a backup folder can have tenants of the same id
 * on other databases: the tenant id names a folder, not a database, so a backup belongs to a tenant only
 * if its tenant id, dialect, database (with the schema) and server match.
 */

/** The manifest's `database`: the database, and the schema of a schema tenant. */
export function databaseOf(tenant: Pick<Tenant, 'database' | 'schema'>): string {
  return tenant.schema ? `${tenant.database} (schema ${tenant.schema})` : tenant.database;
}

/** SQL Server names (and every host name) compare case-insensitively; PostgreSQL's and SQLite's do not. */
function sameName(dialect: Tenant['dialect'], a: string, b: string): boolean {
  return dialect === 'mssql' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/**
 * Why `manifest` is not a backup of `tenant`, or undefined when it is. The server (the tenant's host key,
 * no credentials) is compared only when the manifest has it: manifests written before it was recorded
 * are matched by database alone.
 */
export function otherOwner(
  manifest: Pick<BackupManifest, 'tenant' | 'dialect' | 'database' | 'server'>,
  tenant: Pick<Tenant, 'id' | 'dialect' | 'database' | 'schema' | 'host'>,
): string | undefined {
  const ours = `${tenant.id} (${tenant.dialect}, ${databaseOf(tenant)} on ${tenant.host})`;
  const theirs = `${manifest.tenant} (${manifest.dialect}, ${manifest.database}${manifest.server ? ` on ${manifest.server}` : ''})`;
  if (
    manifest.tenant !== tenant.id ||
    manifest.dialect !== tenant.dialect ||
    !sameName(tenant.dialect, manifest.database, databaseOf(tenant)) ||
    (manifest.server !== undefined && manifest.server.toLowerCase() !== tenant.host.toLowerCase())
  )
    return `is a backup of ${theirs}, not of ${ours}`;
  return undefined;
}
