// Pins the public API's types. Nothing runs this file: `npm run typecheck` compiles it (tsconfig.json
// includes test/), and a change to a verb's signature, the event union or what the main entry exposes
// fails there. `// @ts-expect-error` lines must stay errors: each is a name that must NOT be public.
import type * as engine from '../../src/engine.js';
import type { OPTION_KEYS } from '../../src/fleet/option-keys.js';
import type * as dbfleet from '../../src/index.js';
import type {
  BackupDetails,
  FleetDocument,
  FleetEvent,
  FleetEventType,
  FleetReport,
  JournalTarget,
  MigrateDetails,
  MigrateOptions,
  OptimizeDetails,
  ReportOptions,
  StatusDetails,
  UpgradeDetails,
} from '../../src/index.js';

/** True when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Resolves<F extends (...args: never[]) => unknown> = Awaited<ReturnType<F>>;

// The verbs: options in, a report typed by the command's details out.
export type Verbs = [
  Expect<Equal<Parameters<typeof dbfleet.migrate>, [options: MigrateOptions]>>,
  Expect<Equal<ReturnType<typeof dbfleet.migrate>, Promise<FleetReport<MigrateDetails>>>>,
  Expect<Equal<Resolves<typeof dbfleet.status>, FleetReport<StatusDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.plan>, FleetReport<StatusDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.backup>, FleetReport<BackupDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.verify>, FleetReport<BackupDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.restore>, FleetReport<BackupDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.optimize>, FleetReport<OptimizeDetails>>>,
  Expect<Equal<Resolves<typeof dbfleet.upgrade>, FleetReport<UpgradeDetails>>>,
  Expect<Equal<Parameters<typeof dbfleet.report>, [options: ReportOptions]>>,
  Expect<Equal<Resolves<typeof dbfleet.report>, FleetDocument>>,
];

// The journal: optional on every fleet verb, required by upgrade (it checkpoints and resumes there); a
// journaled run's report names the run.
export type Journaling = [
  Expect<Equal<MigrateOptions['journal'], JournalTarget | undefined>>,
  Expect<Equal<Parameters<typeof dbfleet.backup>[0]['journal'], JournalTarget | undefined>>,
  Expect<Equal<Parameters<typeof dbfleet.upgrade>[0]['journal'], JournalTarget>>,
  Expect<Equal<JournalTarget, string | engine.Journal>>,
  Expect<Equal<Resolves<typeof dbfleet.upgrade>['runId'], string | undefined>>,
];

// FleetEvent is a closed union: a listener can switch over it exhaustively, and a new event type is an
// API change made here on purpose.
export function describeEvent(event: FleetEvent): FleetEventType {
  switch (event.type) {
    case 'run:start':
    case 'tenant:queued':
    case 'tenant:start':
    case 'step:start':
    case 'step:done':
    case 'migration:start':
    case 'migration:applied':
    case 'migration:failed':
    case 'host:throttled':
    case 'host:resumed':
    case 'host:capped':
    case 'wave:start':
    case 'wave:done':
    case 'optimization:start':
    case 'optimization:progress':
    case 'optimization:done':
    case 'notice':
    case 'tenant:done':
    case 'run:done':
      return event.type;
    default: {
      const unknownEvent: never = event;
      return unknownEvent;
    }
  }
}

// One name per verb: the old `…Fleet` names are gone.
// @ts-expect-error backup is the verb
export type OldBackup = typeof dbfleet.backupFleet;
// @ts-expect-error optimize is the verb
export type OldOptimize = typeof dbfleet.optimizeFleet;

// Engine internals live on `dbfleet/engine`, not on the main entry.
export type EngineHasThem = [
  typeof engine.runFleet,
  typeof engine.getAdapter,
  typeof engine.createReportFold,
  typeof engine.foldReport,
  typeof engine.Journal,
  typeof engine.findRun,
  typeof engine.listRuns,
  typeof engine.runSteps,
  typeof engine.runTenants,
  typeof engine.buildFleetReport,
  typeof engine.planMigrations,
  typeof engine.backupTenant,
  typeof engine.optimizeTenant,
  typeof engine.createUpgradeOperations,
];
// @ts-expect-error the fan-out is engine API
export type NoRunFleet = typeof dbfleet.runFleet;
// @ts-expect-error dialect adapters are engine API
export type NoGetAdapter = typeof dbfleet.getAdapter;
// @ts-expect-error the report fold is engine API
export type NoFold = typeof dbfleet.createReportFold;
// @ts-expect-error journal readers over raw knex are engine API
export type NoListRuns = typeof dbfleet.listRuns;
// @ts-expect-error the Journal class is engine API (pass a path, or one opened through the engine)
export type NoJournal = typeof dbfleet.Journal;
// @ts-expect-error per-tenant steps are engine API
export type NoBackupTenant = typeof dbfleet.backupTenant;
// @ts-expect-error the demo is the CLI's
export type NoDemo = typeof dbfleet.runDemo;

// What the verbs take and hand back has a name a caller can import: the parts of a report, a drift, a
// lint, a backup's checks, the options' nested shapes (they were reachable only as indexed types).
export type NamedParts = [
  dbfleet.TenantReport,
  dbfleet.ReportRun,
  dbfleet.DurationStats,
  dbfleet.StepTiming,
  dbfleet.BackupInfo,
  dbfleet.TenantVersion,
  dbfleet.DriftDifference,
  dbfleet.DriftKind,
  dbfleet.DriftSummary,
  dbfleet.DriftGroup,
  dbfleet.VersionGroups,
  dbfleet.DriftHooks,
  dbfleet.LintSummary,
  dbfleet.MigrationLint,
  dbfleet.PendingRead,
  dbfleet.CheckRecord,
  dbfleet.CheckName,
  dbfleet.VerifiedLevel,
  dbfleet.RetentionResult,
  dbfleet.BackupCommonOptions,
  dbfleet.BackupSelector,
  dbfleet.BackupEntry,
  dbfleet.ToolOptions,
  dbfleet.TableFingerprint,
  dbfleet.PreflightOptions,
  dbfleet.KnexSettings,
  dbfleet.InheritingTenantInput,
  dbfleet.TenantDefaults,
  dbfleet.ValidConfig,
  dbfleet.UpgradeSettings,
  dbfleet.RunRollbackDetails,
  dbfleet.MigrationRunContext,
  dbfleet.CustomContext,
  dbfleet.LoadedOptimization,
  dbfleet.DefinitionSource,
  dbfleet.HistorySnapshot,
  dbfleet.AppliedMigration,
];
export type NamedAsUsed = [
  Expect<Equal<FleetDocument['tenants'][number], dbfleet.TenantReport>>,
  Expect<Equal<Resolves<typeof dbfleet.drift>['drift'], dbfleet.DriftSummary>>,
  Expect<Equal<Resolves<typeof dbfleet.lint>['summary'], dbfleet.LintSummary>>,
  Expect<
    Equal<Resolves<typeof dbfleet.rollbackRun>['tenants'][number]['details'], dbfleet.RunRollbackDetails>
  >,
];

// The keys checkFleetOptions knows (a near miss of one is a typo): every verb's, and those of what callers
// spread into them. A new option must be added to OPTION_KEYS, or a caller's key near it is refused.
type EveryOptionKey =
  | keyof dbfleet.MigrateOptions
  | keyof dbfleet.PlanOptions
  | keyof dbfleet.LintOptions
  | keyof dbfleet.BackupOptions
  | keyof dbfleet.VerifyOptions
  | keyof dbfleet.RestoreOptions
  | keyof dbfleet.OptimizeOptions
  | keyof dbfleet.UpgradeOptions
  | keyof dbfleet.RollbackRunOptions
  | keyof dbfleet.UpgradeSetup
  | keyof dbfleet.RunOptions
  | keyof dbfleet.WorkerOptions
  | keyof dbfleet.CoordinatorOptions;
export type OptionKeysKnown = Expect<Equal<Exclude<EveryOptionKey, (typeof OPTION_KEYS)[number]>, never>>;

// The `--json` document a library caller can print: typed, with the contract's fields.
export type JsonDocument = [
  Expect<Equal<ReturnType<typeof dbfleet.toJsonReport>, dbfleet.JsonReport>>,
  Expect<Equal<dbfleet.JsonReport['summary'], FleetReport['summary']>>,
  Expect<Equal<dbfleet.JsonTenant['status'], 'succeeded' | 'failed' | 'skipped'>>,
];
