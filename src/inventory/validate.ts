import { realpathSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { registerConnectionSecrets } from '../core/redact.js';
import { serverKey } from '../core/server-key.js';
import { type ConnectionObject, DIALECTS, type DialectName, type Tenant } from '../core/tenant.js';
import { getAdapter } from '../dialect/registry.js';
import type { DialectAdapter, ParsedConnection } from '../dialect/types.js';
import { unknownKeyProblem } from '../util/suggest.js';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** An entry's keys. Anything else is a typo — `shema` would put a schema tenant in the shared database's public schema. */
const ENTRY_KEYS = ['id', 'dialect', 'connection', 'schema', 'tags'];

function describeEntry(entry: unknown, index: number): string {
  const id = entry && typeof entry === 'object' ? (entry as { id?: unknown }).id : undefined;
  return typeof id === 'string' && id !== '' ? `tenant "${id}" (entry ${index + 1})` : `entry ${index + 1}`;
}

/**
 * Validates raw inventory entries into tenants. Every problem is collected and reported at once (a
 * DBA fixing a 1000-line inventory should not fix it one error per run); nothing is touched before.
 * `baseDir` resolves relative SQLite paths (the inventory file's folder).
 */
export function validateInventory(entries: unknown, source: string, baseDir = process.cwd()): Tenant[] {
  if (!Array.isArray(entries))
    throw new UsageError(`${source}: the inventory must be a JSON array of tenants or { "tenants": [...] }`);
  if (entries.length === 0) throw new UsageError(`${source}: the inventory is empty`);
  const problems: string[] = [];
  const tenants: Tenant[] = [];
  const seen = new Map<string, string>();
  /** Where each tenant lives (server, database, schema; a file), to refuse two tenants in one place. */
  const places = new Map<string, string>();
  // Tenants kept as schemas share their database's connection string: parsed once, one shared (frozen)
  // connection object and host string for all of them instead of a copy per tenant.
  const parsedByString = new Map<string, ParsedConnection>();
  const parse = (adapter: DialectAdapter, dialect: DialectName, input: string | ConnectionObject) => {
    // A file-based tenant's path is its own: caching it would only hold a second copy of every path.
    if (typeof input !== 'string' || adapter.capabilities.fileBased) return adapter.parseConnection(input);
    const key = `${dialect}\0${input}`;
    let parsed = parsedByString.get(key);
    if (!parsed) {
      parsed = adapter.parseConnection(input);
      Object.freeze(parsed.connection);
      parsedByString.set(key, parsed);
    }
    return parsed;
  };

  entries.forEach((entry, index) => {
    // Named only when there is a problem to name: a clean 10,000-line inventory builds no such strings.
    const where = () => describeEntry(entry, index);
    registerConnectionSecrets((entry as { connection?: unknown } | null)?.connection);
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${where()}: must be an object`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const before = problems.length;
    for (const key of Object.keys(e))
      if (!ENTRY_KEYS.includes(key)) problems.push(`${where()}: ${unknownKeyProblem('', key, ENTRY_KEYS)}`);
    if (typeof e.id !== 'string' || !ID_PATTERN.test(e.id)) {
      problems.push(
        `${where()}: id must be 1-128 letters, digits, '_', '.', '-' (starting with a letter or digit)`,
      );
    } else {
      const folded = e.id.toLowerCase();
      const other = seen.get(folded);
      if (other !== undefined) {
        problems.push(
          other === e.id
            ? `${where()}: duplicate id "${e.id}"`
            : `${where()}: id "${e.id}" differs only in case from "${other}"`,
        );
      } else seen.set(folded, e.id);
    }
    if (!DIALECTS.includes(e.dialect as DialectName)) {
      problems.push(
        `${where()}: unknown dialect ${JSON.stringify(e.dialect)} (expected ${DIALECTS.join(', ')})`,
      );
    }
    if (e.connection === undefined || e.connection === null || e.connection === '') {
      problems.push(`${where()}: missing connection`);
    } else if (typeof e.connection !== 'string' && typeof e.connection !== 'object') {
      problems.push(`${where()}: connection must be a string or an object`);
    }
    if (e.schema !== undefined && (typeof e.schema !== 'string' || e.schema.trim() === '')) {
      problems.push(`${where()}: schema must be a non-empty string`);
    } else if (typeof e.schema === 'string' && e.schema.includes('.')) {
      // knex splits every identifier at its dots (schemaName 'a.b' becomes "a"."b"): such a schema
      // would fail mid-migration, after the tenant was closed and backed up.
      problems.push(
        `${where()}: schema ${JSON.stringify(e.schema)} contains '.', which knex reads as schema.table; rename the schema`,
      );
    }
    if (
      e.tags !== undefined &&
      (!Array.isArray(e.tags) || e.tags.some((t) => typeof t !== 'string' || t === ''))
    ) {
      problems.push(`${where()}: tags must be an array of non-empty strings`);
    }
    if (problems.length > before) return;

    const dialect = e.dialect as DialectName;
    const adapter = getAdapter(dialect);
    if (e.schema !== undefined && !adapter.capabilities.schemas) {
      problems.push(`${where()}: ${dialect} tenants cannot use a schema`);
      return;
    }
    try {
      const input = e.connection as string | ConnectionObject;
      // Relative file paths resolve against baseDir, whether given as a string or as { filename }.
      const located = !adapter.capabilities.fileBased
        ? input
        : typeof input === 'string'
          ? resolveRelative(input, baseDir)
          : typeof input.filename === 'string'
            ? { ...input, filename: resolveRelative(input.filename, baseDir) }
            : input;
      const parsed = parse(adapter, dialect, located);
      const naming = adapter.namingProblems({
        database: parsed.database,
        ...(e.schema !== undefined ? { schema: e.schema as string } : {}),
      });
      if (naming.length) {
        for (const problem of naming) problems.push(`${where()}: ${problem}`);
        return;
      }
      const place = [
        dialect,
        serverKey(parsed.host),
        adapter.capabilities.fileBased ? sameFileKey(parsed.database) : parsed.database,
        e.schema ?? '',
      ].join('\0');
      const sharing = places.get(place);
      if (sharing !== undefined) {
        problems.push(
          `${where()}: the same database${e.schema !== undefined ? ' and schema' : ''} as tenant "${sharing}"`,
        );
        return;
      }
      places.set(place, e.id as string);
      tenants.push({
        id: e.id as string,
        dialect,
        connection: parsed.connection,
        ...(e.schema !== undefined ? { schema: e.schema as string } : {}),
        host: parsed.host,
        database: parsed.database,
        tags: (e.tags as string[] | undefined) ?? [],
      });
    } catch (err) {
      problems.push(`${where()}: malformed connection: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
  if (problems.length)
    throw new UsageError(
      `${source}: ${problems.length} problem(s) in the inventory, nothing was changed:`,
      problems,
    );
  return tenants;
}

function resolveRelative(path: string, baseDir: string): string {
  // ':memory:' goes to the adapter unchanged so that it is refused, not turned into a file named ':memory:'.
  if (path === ':memory:' || (/^[a-z]+:\/\//i.test(path) && !/^sqlite:/i.test(path))) return path;
  // sqlite:rel.db and sqlite://rel.db are paths too: relative to the inventory, like bare ones.
  const bare = path.replace(/^sqlite:(\/\/)?/i, '');
  if (bare.startsWith('/')) return bare;
  return `${baseDir.replace(/\/$/, '')}/${bare}`;
}

/** A SQLite file by its real path: a symlink or another spelling of an existing file is the same file. */
function sameFileKey(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
