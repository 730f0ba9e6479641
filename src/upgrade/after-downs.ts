import { compareFingerprints, describeDifferences, type FingerprintDifference } from '../backup/compare.js';
import { TenantError } from '../core/errors.js';
import type { BackupContext, BackupDriver, Fingerprint } from '../dialect/backup-types.js';
import { fingerprintVersion } from '../dialect/fingerprint-hash.js';
import type { TenantSession } from '../dialect/session-types.js';
import { RECORD_TABLE, readPreviousRuns } from '../optimization/records.js';
import type { LoadedOptimization } from '../optimization/types.js';
import { shellArg } from '../util/shell-arg.js';

// After a rollback by down migrations: is the tenant as its pre-upgrade backup describes it? Not quite the
// restore's question. dbfleet's own bookkeeping changes with every run and is not the tenant's schema, and
// the downs undo migrations, never optimizations: an index an optimization built stays, and is said.

/** Optimization actions that leave an index built (or rebuilt) by dbfleet in the tenant. */
const BUILT = new Set(['created', 'rebuilt', 'healed']);

export interface AfterDownsCheck {
  driver: BackupDriver;
  bctx: BackupContext;
  session: TenantSession;
  expected: Fingerprint;
  /** Tables of dbfleet's (the migrator's history, lock and checksum tables): never compared. */
  bookkeeping: readonly string[];
  optimizations: readonly LoadedOptimization[];
}

const isTable = (key: string, name: string) => key === name || key.endsWith(`.${name}`);

/**
 * Compares the tenant with `expected` after its downs. Returns notes on what the run's optimizations
 * left (their indexes); throws ROLLBACK_MISMATCH naming what else differs.
 */
export async function checkAfterDowns(check: AfterDownsCheck): Promise<string[]> {
  const { driver, bctx, expected } = check;
  const ignored = [...check.bookkeeping, RECORD_TABLE];
  const relevant = (diffs: FingerprintDifference[]) =>
    diffs.filter((d) => !ignored.some((name) => isTable(d.table, name)));
  const version = fingerprintVersion(expected);
  const diffs = relevant(
    compareFingerprints(expected, await driver.fingerprint(bctx, expected.level, version)),
  );
  if (diffs.length === 0) return [];
  // The indexes the optimizations' last successful runs built: hashed as if absent, a table whose
  // structure then equals the backup's differs by those indexes alone.
  const previous = await readPreviousRuns(check.session.knex, check.session.tenant.schema);
  const built = [...previous.values()]
    .filter((r) => r.kind === 'index' && BUILT.has(r.action))
    .map((r) => r.name);
  let explained: string[] = [];
  if (built.length) {
    const without = await driver.fingerprint(bctx, expected.level, version, { withoutIndexes: built });
    const still = relevant(compareFingerprints(expected, without));
    explained = diffs
      .filter((d) => d.what === 'schema' && !still.some((s) => s.table === d.table && s.what === 'schema'))
      .map((d) => d.table);
  }
  const kept = explained.map((table) => keptNote(table, built, check.optimizations));
  const rest = diffs.filter((d) => !(d.what === 'schema' && explained.includes(d.table)));
  if (rest.length === 0) return kept;
  const also = kept.length ? ` (as expected, ${kept.join('; ')})` : '';
  throw new TenantError(
    'ROLLBACK_MISMATCH',
    `every down ran, but the tenant still differs from its pre-upgrade backup: ${describeDifferences(rest)}${also}`,
  );
}

/** `kept: index orders_status_idx on public.orders, built by optimization orders_status_idx (file)`. */
function keptNote(table: string, built: readonly string[], loaded: readonly LoadedOptimization[]): string {
  const definitions = loaded.filter(
    (o) =>
      o.definition.kind === 'index' &&
      built.includes(o.definition.name) &&
      isTable(table, o.definition.table),
  );
  const what = definitions.length
    ? definitions
        .map(
          (o) =>
            `index ${o.definition.name} built by optimization ${o.definition.name}${o.file ? ` (${o.file})` : ''}`,
        )
        .join(', ')
    : `an index built by optimization ${built.join(' or ')}`;
  return `kept: ${what} on ${table} (down migrations do not undo optimizations)`;
}

/** The command that brings a tenant back to exactly its pre-upgrade backup, for a failed rollback's message. */
export function restoreCommand(tenantId: string, backupPath: string): string {
  return `dbfleet restore --tenant ${shellArg(tenantId)} --backup ${shellArg(backupPath)} --yes --drop-unexpected`;
}
