import type { Knex } from 'knex';
import type { Fingerprint, FingerprintLevel, TableFingerprint } from '../backup-types.js';
import { buildFingerprint, hashOf } from '../fingerprint-hash.js';
import { constraintIdentities } from './constraint-identity.js';
import { type ObjectRow, objectKey, objectsSql, type TableRow, tablesSql } from './fingerprint-sql.js';
import { type OutputSettings, setLocalSql } from './output-settings.js';

/**
 * Fingerprint of a PostgreSQL database (or of one schema, for schema-per-tenant), for backups.
 * Runs inside a transaction with `search_path = pg_catalog`, so every deparsed name is schema-qualified
 * and the text is the same in the source and in a restored copy whatever their search paths.
 */

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** knex would take a `?` in an inlined literal for a binding. */
const rawSql = (sql: string) => sql.replace(/\?/g, '\\?');

/**
 * The fingerprint version this code writes. 1 (a manifest without a version) hashed every constraint
 * under its own name; 2 hashes one PostgreSQL derived itself under its top-level parent's, which a
 * restore keeps (constraint-identity.ts). Only tables with derived constraints hash otherwise.
 */
export const POSTGRES_FINGERPRINT_VERSION = 2;

/**
 * A table's backup hash, over exactly the parts it has always covered (validity and triggers are newer
 * and left out): a backup verified later must compare equal to the manifest written when it was taken,
 * so `version` is the manifest's. An INVALID index (a failed CREATE INDEX CONCURRENTLY leaves one) is
 * not in it: pg_dump does not dump it, so no restored copy has it, and counting it made such a tenant's
 * every deep verify a mismatch. Drift still reports it (schema-shape.ts keeps validity).
 */
export function postgresTableHash(t: TableRow, version = POSTGRES_FINGERPRINT_VERSION): string {
  const indexes = t.indexes.filter(([, , valid]) => valid).map(([, definition]) => definition);
  const named = version === 1 ? t.constraints : constraintIdentities(t);
  const constraints = named.map(([name, definition]) => `${name} ${definition}`);
  return hashOf([t.kind, t.persistence, t.partkey, t.partbound, t.columns, indexes, constraints]);
}

const COUNT_BATCH = 50;

/** Runs one SQL text (no bindings) and resolves its rows — of its last statement, for several. */
export type RunSql = (sql: string) => Promise<Record<string, unknown>[]>;

/** RunSql over knex (a transaction, or the session's knex). */
export function viaKnex(on: Knex | Knex.Transaction): RunSql {
  return async (sql) => lastRows(await on.raw(rawSql(sql)));
}

/** RunSql straight over a `pg` connection (simple-query protocol: several statements, one round trip). */
export function viaConnection(connection: { query(sql: string): Promise<unknown> }): RunSql {
  return async (sql) => lastRows(await connection.query(sql));
}

function lastRows(result: unknown): Record<string, unknown>[] {
  const last = Array.isArray(result) ? result.at(-1) : result;
  return ((last as { rows?: Record<string, unknown>[] } | undefined)?.rows ?? []) as Record<
    string,
    unknown
  >[];
}

async function countRows(run: RunSql, tables: TableRow[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  // ONLY: a partitioned parent holds no rows itself, its partitions are counted once each.
  for (let i = 0; i < tables.length; i += COUNT_BATCH) {
    const batch = tables.slice(i, i + COUNT_BATCH);
    const sql = batch
      .map(
        (t) =>
          `select ${Number(t.oid)}::int8 as oid, count(*)::int8 as n from only ${q(t.schema)}.${q(t.name)}`,
      )
      .join(' union all ');
    for (const row of (await run(sql)) as { oid: string; n: string }[])
      counts.set(String(row.oid), Number(row.n));
  }
  return counts;
}

/** Sum of 128-bit row hashes (two 64-bit halves summed as numeric): no sort, one pass. */
async function hashContent(run: RunSql, t: TableRow): Promise<{ rows: number; content: string }> {
  const rows = await run(`
    select count(*)::int8 as n,
      coalesce(sum(('x' || substr(h, 1, 16))::bit(64)::int8::numeric), 0)::text as a,
      coalesce(sum(('x' || substr(h, 17, 16))::bit(64)::int8::numeric), 0)::text as b
    from (select md5(r::text) as h from only ${q(t.schema)}.${q(t.name)} r) s`);
  const row = rows[0] as { n: string; a: string; b: string };
  return { rows: Number(row.n), content: hashOf([row.n, row.a, row.b], 32) };
}

/**
 * The fingerprint, read by `run` inside a transaction the caller opened (it sets search_path locally).
 * `version`: 1 for one compared with a manifest written before versions; any other is made as the
 * newest (a newer manifest's then differs by its version, not by a wrong hash). `withoutIndexes`: see
 * FingerprintOptions.
 */
export async function fingerprintPostgres(
  run: RunSql,
  level: FingerprintLevel,
  schema: string | null,
  version = POSTGRES_FINGERPRINT_VERSION,
  withoutIndexes: readonly string[] = [],
): Promise<Fingerprint> {
  const made = version === 1 ? 1 : POSTGRES_FINGERPRINT_VERSION;
  const tables = (await run(
    `set local search_path = pg_catalog; ${tablesSql(schema)}`,
  )) as unknown as TableRow[];
  const objectRows = (await run(objectsSql(schema))) as unknown as ObjectRow[];

  const counts = level === 'counts' ? await countRows(run, tables) : new Map<string, number>();
  const out: Record<string, TableFingerprint> = {};
  const without = new Set(withoutIndexes);
  for (const t of tables) {
    const indexes = t.indexes.filter(([name]) => !without.has(name));
    const entry: TableFingerprint = { schema: postgresTableHash({ ...t, indexes }, made) };
    if (level === 'counts') entry.rows = counts.get(String(t.oid)) ?? 0;
    if (level === 'full') Object.assign(entry, await hashContent(run, t));
    out[`${t.schema}.${t.name}`] = entry;
  }
  const objects = Object.fromEntries(objectRows.map((o) => [objectKey(o), hashOf(o.def)]));
  const fingerprint = buildFingerprint(level, out, objects);
  return made === 1 ? fingerprint : { ...fingerprint, version: made };
}

/**
 * Runs the fingerprint in its own read-only transaction (for a live or a restored database). `settings`:
 * the output settings to read under — a scratch copy is read as its source is (see output-settings.ts);
 * `version`: that of the fingerprint it is compared with (see fingerprintPostgres).
 */
export function fingerprintPostgresDb(
  knex: Knex,
  level: FingerprintLevel,
  schema: string | null,
  {
    settings,
    version,
    withoutIndexes,
  }: { settings?: OutputSettings; version?: number; withoutIndexes?: readonly string[] } = {},
): Promise<Fingerprint> {
  return knex.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    await trx.raw('set local statement_timeout = 0');
    if (settings) await trx.raw(rawSql(setLocalSql(settings)));
    return fingerprintPostgres(viaKnex(trx), level, schema, version, withoutIndexes);
  });
}
