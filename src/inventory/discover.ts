import { basename, extname, resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { errorMessage, UsageError } from '../core/errors.js';
import type { ConnectionObject, DialectName } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';

/**
 * Discovery: every database on a server whose name matches `pattern` (a glob: `*`, `?`), or every
 * SQLite file matching `glob`. The tenant id is the database name (or the file name without extension).
 */
export type DiscoverSource =
  | {
      dialect: Exclude<DialectName, 'sqlite'>;
      connection: string | ConnectionObject;
      pattern: string;
      tags?: string[];
    }
  | { dialect: 'sqlite'; glob: string; tags?: string[] };

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

export async function discoverTenants(
  source: DiscoverSource,
  baseDir: string,
): Promise<Record<string, unknown>[]> {
  if (source.dialect === 'sqlite') {
    const files = await glob(source.glob, { cwd: baseDir, absolute: true, onlyFiles: true });
    return files.sort().map((file) => ({
      id: basename(file, extname(file)),
      dialect: 'sqlite',
      connection: resolve(file),
      ...(source.tags ? { tags: source.tags } : {}),
    }));
  }
  const adapter = getAdapter(source.dialect);
  let server: ReturnType<typeof adapter.parseConnection>;
  try {
    server = adapter.parseConnection(
      typeof source.connection === 'string'
        ? source.connection
        : { database: 'postgres', ...source.connection },
    );
  } catch (err) {
    throw new UsageError(`discover: malformed connection: ${errorMessage(err)}`);
  }
  const match = globToRegExp(source.pattern);
  let names: string[];
  try {
    names = await adapter.listDatabases(server.connection);
  } catch (err) {
    throw new UsageError(`discover: cannot list the databases on ${server.host}: ${errorMessage(err)}`);
  }
  return names
    .filter((name) => match.test(name))
    .map((name) => ({
      id: name,
      dialect: source.dialect,
      connection: { ...server.connection, database: name },
      ...(source.tags ? { tags: source.tags } : {}),
    }));
}
