// The public library surface of dbfleet (exports only): the verbs a tool needs — migrate, status, plan,
// rollback, repair, backup, verify, restore, optimize, upgrade, rollbackRun, drift, lint, each resolving to
// its report, and `report`, which reads a journaled run back for the renderers — with the loaders of
// configuration, inventory, migrations and optimizations, and the option, result and event types — with
// every named part of them (a report's tenant, a drift difference, a lint summary), so a caller can name
// what it is handed instead of digging it out with indexed types.
// The engine underneath (the fan-out, dialect adapters, the Journal and its readers over knex, report
// folds, per-tenant steps, the upgrade's parts) is `dbfleet/engine` (src/engine.ts).

export type { CheckName, CheckRecord, RestoredFrom, VerifiedLevel } from './backup/context.js';
export type { BackupCommonOptions } from './backup/fleet.js';
export type { Fingerprint, FingerprintDifference, FingerprintLevel } from './backup/index.js';
export {
  type BackupDetails,
  type BackupManifest,
  type BackupOptions,
  type BackupSummary,
  backup,
  listBackups,
  type RestoreOptions,
  restore,
  restoreTenant,
  type VerifyOptions,
  verify,
} from './backup/index.js';
export type { BackupEntry } from './backup/manifest.js';
export type { RetentionResult } from './backup/retention.js';
export type { BackupSelector } from './backup/select.js';
export {
  defineConfig,
  type FleetConfig,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  loadRunOptions,
  type RunOptions,
  type RunOverrides,
  runOptionsFrom,
  upgradeSetupOf,
} from './config/index.js';
export type { ValidConfig } from './config/types.js';
export type { UpgradeSettings } from './config/upgrade-settings.js';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './core/error-codes.js';
export { type ErrorInfo, TenantError, UsageError } from './core/errors.js';
export type {
  EventListener,
  FleetEvent,
  FleetEventType,
  RunSummary,
  TenantResult,
  TenantStatus,
  WaveOutcome,
  WaveStopCause,
} from './core/events.js';
export type { HistoryOptions } from './core/history-options.js';
export { redact } from './core/redact.js';
export type { ConnectionObject, DialectName, Tenant, TenantInput } from './core/tenant.js';
export type { TableFingerprint, ToolOptions } from './dialect/backup-types.js';
export type { KnexSettings } from './dialect/session-types.js';
export type { Timeouts } from './dialect/types.js';
export type { DriftDifference, DriftKind } from './drift/compare.js';
export type { DriftHooks, DriftSummary } from './drift/fleet.js';
export { type DriftDetails, type DriftReport, drift } from './drift/fleet.js';
export type { DriftGroup, VersionGroups } from './drift/groups.js';
export type { FleetOptions } from './fleet/options.js';
export {
  type FleetReport,
  type JsonReport,
  type JsonTenant,
  toJsonReport,
  toJsonTenant,
} from './fleet/report.js';
export type { CatalogSource } from './inventory/catalog.js';
export type { DiscoverSource } from './inventory/discover.js';
export { parseInventoryText, readInventoryFile } from './inventory/file.js';
export type { InheritingTenantInput } from './inventory/load.js';
export { type InventorySource, loadInventory } from './inventory/load.js';
export { selectTenants, type TenantSelection } from './inventory/select.js';
export type { TenantDefaults } from './inventory/tenant-defaults.js';
export { validateInventory } from './inventory/validate.js';
export type { JournalTarget } from './journal/use.js';
export { type LintFinding, type LintOptions, type LintReport, lint } from './lint/index.js';
export type { PendingRead } from './lint/lint.js';
export type { LintSummary, MigrationLint } from './lint/types.js';
export type { HistorySnapshot } from './migration/history.js';
export { loadMigrations } from './migration/loader.js';
export { type MigrateOptions, type MigrationOptions, migrate } from './migration/migrate-fleet.js';
export type { MigrateDetails } from './migration/migrator.js';
export { type RepairDetails, type RollbackDetails, repair, rollback } from './migration/rollback-fleet.js';
export { type PlanOptions, plan, type StatusDetails, status } from './migration/status-fleet.js';
export type { AppliedMigration, Migration, MigrationConfig, MigrationRunContext } from './migration/types.js';
export type {
  AnalyzeOptimization,
  CleanupOptimization,
  CustomOptimization,
  IndexOptimization,
  Optimization,
} from './optimization/index.js';
export {
  loadOptimizations,
  type OptimizeDetails,
  type OptimizeOptions,
  optimize,
  validateOptimizations,
} from './optimization/index.js';
export type { CustomContext, LoadedOptimization } from './optimization/types.js';
export type { DefinitionSource } from './optimization/validate.js';
export {
  type Coordinator,
  type CoordinatorOptions,
  DEFAULT_WORKER_WAIT_MS,
  openCoordinator,
} from './queue/coordinator.js';
export { ControlConnectionLost, runWorker, type WorkerLine, type WorkerOptions } from './queue/worker.js';
export {
  type DriftSection,
  type FleetDocument,
  type ReportFileFormat,
  type ReportOptions,
  renderReport,
  renderReportHtml,
  renderReportJson,
  renderReportMarkdown,
  report,
} from './report/index.js';
export type {
  BackupInfo,
  DurationStats,
  ReportRun,
  StepTiming,
  TenantReport,
  TenantVersion,
} from './report/types.js';
export type { CheckDefinition, HookContext, HookDefinition } from './upgrade/checks.js';
export type { PreflightOptions } from './upgrade/preflight.js';
// An upgrade's parts (migrations, optimizations, checks, hooks, backup folder) are loaded and checked once:
// `upgrade({ ...options, ...(await prepareUpgrade(setup)) })`, or `upgradeSetupOf(runOptions)` from a config.
export { prepareUpgrade, type UpgradeSetup } from './upgrade/prepare.js';
export { type RollbackPlan, type RollbackRunOptions, rollbackRun } from './upgrade/rollback-run.js';
export type { RunRollbackDetails } from './upgrade/rollback-tenant.js';
export type { ThrottleConfig } from './upgrade/throttle.js';
export type { OnFailure, RollbackWith, UpgradeDetails, UpgradeOperations } from './upgrade/types.js';
export { type UpgradeOptions, upgrade } from './upgrade/upgrade.js';
