// `dbfleet/engine`: the machinery under the verbs of `dbfleet`, for tools that build their own commands —
// the fan-out (runFleet), dialect adapters, the journal and its readers, the report's fold and builder,
// the migration planner, the per-tenant steps and the upgrade's parts. The CLI is its first user. Its
// shapes follow the engine and may change in a minor release; the main entry's verbs are the stable API.
// Exports only.

export {
  type BackupTenantOptions,
  backupTenant,
  compareFingerprints,
  FINGERPRINT_LEVELS,
  type RestoreTenantOptions,
  restoreFromBackup,
  type VerifyTenantOptions,
  verifyTenantBackup,
} from './backup/index.js';
export { durationMs, flagDurationMs, wholeNumberAtLeastOne } from './config/index.js';
export { errorMessage } from './core/errors.js';
export type { EventOf } from './core/events.js';
export { redactDeep, withRedaction } from './core/redact.js';
export { sweepStalePassDirsOnce } from './dialect/postgres/passfile.js';
export { getAdapter } from './dialect/registry.js';
export type { DialectAdapter, SessionOptions, TenantSession } from './dialect/types.js';
export { driftLines } from './drift/describe.js';
export { createReportFold, foldReport, skipReasons } from './fleet/report.js';
export {
  createFleetRun,
  type FleetRunOptions,
  type RemoteJob,
  type RemoteRunner,
  runFleet,
  type TaskOutcome,
  type TenantContext,
} from './fleet/run-fleet.js';
export { Journal, newRunId } from './journal/journal.js';
export {
  findRun,
  listRuns,
  type RunRow,
  type RunTenantRow,
  runMigrations,
  runSteps,
  runTenants,
  type StepRow,
} from './journal/read.js';
export { type RollbackFilter, type UpgradeRollback, upgradeRollbacks } from './journal/rollbacks.js';
export { readJournal, withOpenJournal } from './journal/use.js';
export { derivedSqlText } from './migration/derivation-notes.js';
export { type MigrationPlan, type PlanProblem, planMigrations } from './migration/planner.js';
export { type OptimizationOutcome, optimizeTenant } from './optimization/index.js';
/** The report's text pieces (labels, lines, tenant order) the renderers share, for a renderer of your own. */
export * as reportText from './report/format.js';
export { type BuildReportOptions, buildFleetReport, type PickedRun, pickRun } from './report/index.js';
export { createUpgradeOperations } from './upgrade/operations.js';
export { listIds } from './upgrade/rollback-selection.js';
export { formatDuration, parseDuration } from './util/duration.js';
export { closestMatch } from './util/suggest.js';
export { utcStamp } from './util/utc-stamp.js';
