import type { Optimization } from '../src/optimization/index.js';

const DAY = 86_400_000;

/**
 * Audit rows are kept for a year. The cut-off is a binding computed at run time (knex turns the Date
 * into each engine's timestamp), so the definition — and its checksum — stays the same from run to run.
 * Batches walk audit_log's primary key; the occurred_at index (from the migration) finds the old rows.
 */
export default {
  kind: 'cleanup',
  name: 'audit_log_retention',
  table: 'audit_log',
  where: 'occurred_at < ?',
  bindings: () => [new Date(Date.now() - 365 * DAY)],
  batchSize: 500,
  pauseMs: 20,
  maxDurationMs: 5 * 60_000,
} satisfies Optimization;
