// The public library surface of dbfleet: exports only.

export {
  type BackupDetails,
  type BackupFleetOptions,
  type BackupManifest,
  type BackupSummary,
  backupFleet,
  backupTenant,
  compareFingerprints,
  type Fingerprint,
  type FingerprintDifference,
  type FingerprintLevel,
  listBackups,
  type RestoreFleetOptions,
  restoreFleet,
  restoreFromBackup,
  restoreTenant,
  type VerifyFleetOptions,
  verifyFleet,
  verifyTenantBackup,
} from './backup/index.js';
export { type LoadedConfig, loadConfig } from './config/load.js';
export { defineConfig, type FleetConfig } from './config/types.js';
export { TenantError, UsageError } from './core/errors.js';
export type {
  EventListener,
  FleetEvent,
  FleetEventType,
  RunSummary,
  TenantResult,
  TenantStatus,
} from './core/events.js';
export { redact } from './core/redact.js';
export type { ConnectionObject, DialectName, Tenant, TenantInput } from './core/tenant.js';
export { type DemoOptions, runDemo } from './demo/run-demo.js';
export { getAdapter } from './dialect/registry.js';
export type { DialectAdapter, TenantSession, Timeouts } from './dialect/types.js';
export type { FleetOptions } from './fleet/options.js';
export { createReportFold, type FleetReport, foldReport, toJsonReport } from './fleet/report.js';
export { runFleet, type TaskOutcome, type TenantContext } from './fleet/run-fleet.js';
export type { CatalogSource } from './inventory/catalog.js';
export type { DiscoverSource } from './inventory/discover.js';
export { parseInventoryText, readInventoryFile } from './inventory/file.js';
export { type InventorySource, loadInventory } from './inventory/load.js';
export { selectTenants, type TenantSelection } from './inventory/select.js';
export { validateInventory } from './inventory/validate.js';
export { Journal, newRunId } from './journal/journal.js';
export { findRun, listRuns, runSteps, runTenants } from './journal/read.js';
export type { HistoryOptions } from './migration/history-location.js';
export { loadMigrations } from './migration/loader.js';
export { type MigrateOptions, type MigrationOptions, migrate } from './migration/migrate-fleet.js';
export { type MigrationPlan, type PlanProblem, planMigrations } from './migration/planner.js';
export { type RepairDetails, type RollbackDetails, repair, rollback } from './migration/rollback-fleet.js';
export { type PlanOptions, plan, type StatusDetails, status } from './migration/status-fleet.js';
export type { Migration, MigrationConfig } from './migration/types.js';
export {
  type AnalyzeOptimization,
  type CleanupOptimization,
  type CustomOptimization,
  type IndexOptimization,
  loadOptimizations,
  type Optimization,
  type OptimizeDetails,
  type OptimizeOptions,
  optimizeFleet,
  optimizeTenant,
  validateOptimizations,
} from './optimization/index.js';
export {
  buildFleetReport,
  type FleetDocument,
  renderReport,
  renderReportHtml,
  renderReportJson,
  renderReportMarkdown,
} from './report/index.js';
export type { CheckDefinition, HookContext, HookDefinition } from './upgrade/checks.js';
export { createUpgradeOperations } from './upgrade/operations.js';
export { prepareUpgrade, type UpgradeSetup } from './upgrade/prepare.js';
export { type RollbackRunOptions, rollbackRun } from './upgrade/rollback-run.js';
export type { ThrottleConfig } from './upgrade/throttle.js';
export type { OnFailure, RollbackWith, UpgradeDetails, UpgradeOperations } from './upgrade/types.js';
export { type UpgradeOptions, upgrade } from './upgrade/upgrade.js';
