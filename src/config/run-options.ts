// A loaded configuration plus the caller's overrides → the options every fleet operation takes. The
// CLI is one caller; a script importing dbfleet gets the same inventory, selection, folders, timeouts
// and upgrade settings from the same knexfile, and the same errors (UsageError, before any tenant).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Tenant } from '../core/tenant.js';
import type { FleetOptions } from '../fleet/options.js';
import { loadInventory } from '../inventory/load.js';
import { selectTenants } from '../inventory/select.js';
import { checkHistoryOptions } from '../migration/check-history-options.js';
import type { Migration } from '../migration/types.js';
import type { UpgradeSetup } from '../upgrade/prepare.js';
import { knexSettingsOf } from './knex-settings.js';
import { type LoadConfigOptions, type LoadedConfig, loadConfig } from './load.js';
import { migrationsSourceOf } from './migrations-source.js';
import { durationMs, type RunOverrides, wholeNumberAtLeastOne } from './overrides.js';
import type { ValidConfig } from './types.js';
import { type UpgradeSettings, upgradeSettingsOf } from './upgrade-settings.js';

/** Everything a run needs; `upgrade` also takes the hooks, smoke checks and throttle (UpgradeSettings). */
export interface RunOptions extends UpgradeSettings {
  config: ValidConfig;
  /** Folder that the configuration's relative paths resolved against. */
  baseDir: string;
  /** The selected tenants (also `fleet.tenants`). */
  tenants: Tenant[];
  /** The whole inventory the selection was made from (`rollbackRun` tells unselected from missing). */
  inventory: Tenant[];
  /** What every fleet operation takes: tenants, fan-out, timeouts, knex settings, history table, signal. */
  fleet: FleetOptions;
  /** The migrations folder, or the migrations already loaded (several folders, or `loadExtensions`). */
  migrations: string | readonly Migration[];
  optimizationsDir: string;
  /** A flag or the configuration named the optimizations folder (otherwise it is the default one). */
  optimizationsNamed: boolean;
  backupDir: string;
  /** The configuration's `backups.keep`: what `backup` keeps when no `keep` (`--keep`) is given. */
  backupKeep?: number;
  /** A SQLite file path or a `postgres://` URL. */
  journal: string;
}

/** A postgres:// journal is a URL; anything else a file path. */
const isUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value);

function dirOf(setting: string | { directory?: string } | undefined, fallback: string): string {
  return typeof setting === 'string' ? setting : (setting?.directory ?? fallback);
}

function historyOf(config: ValidConfig) {
  const migrations = typeof config.migrations === 'object' ? config.migrations : {};
  const { tableName, schemaName } = migrations;
  return {
    ...(tableName !== undefined ? { tableName } : {}),
    ...(schemaName !== undefined ? { schemaName } : {}),
  };
}

async function tenantsOf(
  loaded: LoadedConfig,
  overrides: RunOverrides,
  cwd: string,
): Promise<{ all: Tenant[]; selected: Tenant[] }> {
  if (overrides.inventory === false) return { all: [], selected: [] };
  const all = overrides.tenantsFile
    ? await loadInventory({ file: resolve(cwd, overrides.tenantsFile) }, cwd, loaded.tenantDefaults)
    : await loadInventory(loaded.config.inventory, loaded.baseDir, loaded.tenantDefaults);
  return { all, selected: selectTenants(all, overrides.selection) };
}

/**
 * Everything a run needs, from a configuration `loadConfig` returned and the caller's overrides (which
 * win). Loads and selects the tenants; every problem is a UsageError, thrown before any tenant is touched.
 */
export async function runOptionsFrom(
  loaded: LoadedConfig,
  overrides: RunOverrides = {},
  signal?: AbortSignal,
): Promise<RunOptions> {
  const { config, baseDir } = loaded;
  const cwd = overrides.cwd ?? process.cwd();
  const { all: inventory, selected: tenants } = await tenantsOf(loaded, overrides, cwd);
  const history = checkHistoryOptions(historyOf(config), tenants);
  const knex = knexSettingsOf(config);
  const timeouts = config.timeouts ?? {};
  const lockTimeoutMs = durationMs('lockTimeout', overrides.lockTimeout ?? timeouts.lock);
  const statementTimeoutMs = durationMs('statementTimeout', overrides.statementTimeout ?? timeouts.statement);
  const requestTimeoutMs = durationMs('timeouts.request', timeouts.request);
  const fleet: FleetOptions = {
    tenants,
    concurrency: wholeNumberAtLeastOne('concurrency', overrides.concurrency) ?? config.concurrency,
    perHost: wholeNumberAtLeastOne('perHost', overrides.perHost) ?? config.perHost,
    timeouts: {
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
    },
    lockWaitMs: durationMs('lockWait', overrides.lockWait ?? timeouts.lockWait) ?? 0,
    ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
    ...(signal ? { signal } : {}),
    ...(history.tableName !== undefined || history.schemaName !== undefined ? { history } : {}),
    ...(knex ? { knex } : {}),
  };
  const pick = (override: string | undefined, fromConfig: string) =>
    override ? resolve(cwd, override) : resolve(baseDir, fromConfig);
  const journal = overrides.journal || (config.journal ?? '.dbfleet/journal.db');
  return {
    config,
    baseDir,
    tenants,
    inventory,
    fleet,
    migrations: await migrationsSourceOf(overrides.migrationsDir, config, baseDir, cwd),
    optimizationsDir: pick(overrides.optimizationsDir, dirOf(config.optimizations, 'optimizations')),
    optimizationsNamed: overrides.optimizationsDir !== undefined || config.optimizations !== undefined,
    backupDir: pick(overrides.backupDir, dirOf(config.backups, '.dbfleet/backups')),
    ...(typeof config.backups === 'object' && config.backups.keep !== undefined
      ? { backupKeep: config.backups.keep }
      : {}),
    journal: isUrl(journal) ? journal : resolve(overrides.journal ? cwd : baseDir, journal),
    ...upgradeSettingsOf(
      config,
      baseDir,
      overrides.checksDir ? resolve(cwd, overrides.checksDir) : undefined,
    ),
  };
}

/** `loadConfig` (a file, or the knexfile in `cwd`) followed by `runOptionsFrom`. */
export async function loadRunOptions(
  options: RunOverrides & LoadConfigOptions & { config?: string } = {},
  signal?: AbortSignal,
): Promise<RunOptions> {
  const loaded = await loadConfig(options.config, options.cwd ?? process.cwd(), { env: options.env });
  return runOptionsFrom(loaded, options, signal);
}

/**
 * What `prepareUpgrade` takes. Optimizations nobody named are optional: without the default folder the
 * upgrade simply has none (a named folder that is missing is an error there).
 */
export function upgradeSetupOf(run: RunOptions): UpgradeSetup {
  const optimizations =
    run.optimizationsNamed || existsSync(run.optimizationsDir) ? run.optimizationsDir : undefined;
  return {
    ...run.fleet,
    migrations: run.migrations,
    ...(optimizations !== undefined ? { optimizations } : {}),
    backupDir: run.backupDir,
    journal: run.journal,
    hooks: run.hooks,
    ...(run.checks ? { checks: run.checks } : {}),
    checksDir: run.checksDir,
  };
}
