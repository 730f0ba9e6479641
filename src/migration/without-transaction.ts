import type { Knex } from 'knex';
import { TenantError } from '../core/errors.js';
import { scriptOutcomeOf } from '../dialect/script-outcome.js';
import type { DialectAdapter, TenantSession } from '../dialect/types.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { Migration } from './types.js';

/** The unqualified, unquoted name of a qualified index name as PostgreSQL prints it (`s."My Idx"`). */
function bareName(qualified: string): string {
  const match = /(?:^|\.)("(?:[^"]|"")+"|[^."]+)$/.exec(qualified);
  const last = match?.[1] ?? qualified;
  return last.startsWith('"') ? last.slice(1, -1).replace(/""/g, '"') : last;
}

function mentions(sql: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_$])"?${escaped}"?($|[^A-Za-z0-9_$])`, 'i').test(sql);
}

/**
 * INVALID indexes this migration is answerable for: those that appeared while it ran, and those that were
 * already there (an earlier failed attempt's) and that its SQL names — `CREATE INDEX CONCURRENTLY IF NOT
 * EXISTS` on a leftover INVALID index succeeds without building anything.
 */
function leftBy(before: readonly string[], after: readonly string[], sql: readonly string[]): string[] {
  const earlier = new Set(before);
  return after.filter((name) => !earlier.has(name) || sql.some((text) => mentions(text, bareName(name))));
}

function leftoverAdvice(indexes: readonly string[]): string {
  return `it left INVALID ${indexes.length === 1 ? 'index' : 'indexes'} ${indexes.join(', ')} (unused by queries, still maintained on every write): drop ${indexes.length === 1 ? 'it' : 'them'} with DROP INDEX CONCURRENTLY, then migrate again`;
}

/**
 * Whether a migration without a transaction may have left one of its own open: PostgreSQL and SQLite know
 * without a round trip (`outsideTransaction`); elsewhere (SQL Server) `endStrayTransaction` asks the server.
 */
export function ownTransactionMayBeOpen(session: TenantSession): boolean {
  return session.outsideTransaction ? session.outsideTransaction() === false : true;
}

/**
 * Runs a migration that opted out of a transaction (CREATE INDEX CONCURRENTLY and friends), whose
 * statements commit as they go. A failure says what stays applied (the dialect knows for a script of its
 * own: a PostgreSQL file runs as one implicit transaction) and names any
 * INVALID index it left; a run that "succeeds" with an INVALID index of its own (IF NOT EXISTS on a
 * leftover) fails instead of being recorded as applied.
 */
export async function runWithoutTransaction(
  session: TenantSession,
  adapter: Pick<DialectAdapter, 'classifyError'>,
  migration: Migration,
  run: () => Promise<void>,
): Promise<void> {
  const before = await session.invalidIndexes();
  const executed: string[] = [migration.sql?.up ?? '', migration.sql?.down ?? ''];
  const onQuery = (query: { sql?: string }) => {
    if (typeof query.sql === 'string') executed.push(query.sql);
  };
  const knex: Knex = session.knex;
  knex.on('query', onQuery);
  try {
    await run();
  } catch (err) {
    const failure = describeFailure(err, adapter);
    // A BEGIN of its own was still open at the failure: that transaction can commit nothing more, and every
    // later statement on the session would fail in it (PostgreSQL) or join it (SQLite). Rolled back now.
    const ownOpen =
      ownTransactionMayBeOpen(session) && (await session.endStrayTransaction?.().catch(() => false)) === true;
    const left = leftBy(before, await session.invalidIndexes().catch(() => []), executed);
    const what =
      scriptOutcomeOf(err)?.sentence ??
      (ownOpen
        ? 'it runs without a transaction: what ran in its own transaction (since its BEGIN) was rolled back, what ran before that stays applied'
        : 'it runs without a transaction, so what it did before the failure stays applied');
    throw new TenantError(
      failure.code === 'FAILED' ? 'MIGRATION_FAILED' : failure.code,
      `${failure.message} — ${what}${left.length ? `; ${leftoverAdvice(left)}` : ''}`,
      { cause: err },
    );
  } finally {
    knex.off('query', onQuery);
  }
  const left = leftBy(before, await session.invalidIndexes(), executed);
  if (left.length > 0) {
    throw new TenantError('INVALID_INDEX', `finished, but not recorded as applied: ${leftoverAdvice(left)}`);
  }
}
