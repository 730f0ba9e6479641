import type { Knex } from 'knex';
import type { PreviousRun } from './planner.js';

/** Each tenant keeps its own history of optimization runs, next to its data (and its knex_migrations). */
export const RECORD_TABLE = 'dbfleet_optimizations';

export type RecordStatus = 'succeeded' | 'failed' | 'conflict';

export interface RunRecord {
  name: string;
  kind: string;
  checksum: string;
  action: string;
  status: RecordStatus;
  rows?: number;
  durationMs: number;
  error?: string;
}

function table(knex: Knex | Knex.Transaction, schema?: string) {
  return schema ? knex(RECORD_TABLE).withSchema(schema) : knex(RECORD_TABLE);
}

function schemaBuilder(knex: Knex | Knex.Transaction, schema?: string) {
  return schema ? knex.schema.withSchema(schema) : knex.schema;
}

export async function ensureRecordTable(knex: Knex, schema?: string): Promise<void> {
  if (await schemaBuilder(knex, schema).hasTable(RECORD_TABLE)) return;
  await schemaBuilder(knex, schema).createTable(RECORD_TABLE, (t) => {
    t.increments('id').primary();
    t.string('name', 63).notNullable();
    t.string('kind', 20).notNullable();
    t.string('checksum', 64).notNullable();
    t.string('action', 20).notNullable();
    t.string('status', 10).notNullable();
    t.bigInteger('rows');
    t.integer('duration_ms').notNullable();
    t.text('error');
    t.timestamp('finished_at').notNullable();
    t.index(['name'], `${RECORD_TABLE}_name_idx`);
  });
}

/** The last successful run of each optimization; empty when the table does not exist (a dry run creates nothing). */
export async function readPreviousRuns(knex: Knex, schema?: string): Promise<Map<string, PreviousRun>> {
  if (!(await schemaBuilder(knex, schema).hasTable(RECORD_TABLE))) return new Map();
  const latest = table(knex, schema).max('id').where('status', 'succeeded').groupBy('name');
  const rows = (await table(knex, schema)
    .select('name', 'kind', 'checksum', 'action')
    .whereIn('id', latest)) as PreviousRun[];
  return new Map(rows.map((r) => [r.name, r]));
}

export async function writeRunRecord(
  knex: Knex,
  schema: string | undefined,
  record: RunRecord,
): Promise<void> {
  await table(knex, schema).insert({
    name: record.name,
    kind: record.kind,
    checksum: record.checksum,
    action: record.action,
    status: record.status,
    rows: record.rows ?? null,
    duration_ms: Math.round(record.durationMs),
    error: record.error ?? null,
    finished_at: new Date(),
  });
}
