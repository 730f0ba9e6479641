// Every command's builder imports this module for its options, so it stays light: what resolveContext
// needs (zod for the config, knex and the drivers behind the inventory) loads when a command runs, and
// `--help`, `--version` and usage errors answer without loading it (see test/unit/cli-startup.test.ts).
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import type { FleetConfig } from '../config/types.js';
import { UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import type { FleetOptions } from '../fleet/options.js';
import type { HistoryOptions } from '../migration/history-location.js';
import type { Migration } from '../migration/types.js';
import { parseDuration } from '../util/duration.js';
import { createEventSink, type OutputMode } from './output.js';

export interface CommonArgs {
  config?: string;
  env?: string;
  tenants?: string;
  migrations?: string;
  optimizations?: string;
  'backup-dir'?: string;
  journal?: string;
  tenant?: string[];
  tag?: string[];
  exclude?: string[];
  concurrency?: number;
  'per-host'?: number;
  'lock-timeout'?: string;
  'statement-timeout'?: string;
  'lock-wait'?: string;
  json?: boolean;
}

/** The options every fleet command takes (DESIGN.md §4). */
export function withCommonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('config', {
      type: 'string',
      describe: 'configuration module (default ./knexfile.ts, .js, .mjs or .json)',
      group: 'Fleet:',
    })
    .option('env', {
      type: 'string',
      describe: 'environment of an environment-keyed knexfile (default $NODE_ENV, else development)',
      group: 'Fleet:',
    })
    .option('tenants', {
      type: 'string',
      describe: "JSON inventory file; overrides the config's inventory",
      group: 'Fleet:',
    })
    .option('migrations', {
      type: 'string',
      describe: 'migrations directory (default ./migrations)',
      group: 'Fleet:',
    })
    .option('optimizations', {
      type: 'string',
      describe: 'optimizations directory (default ./optimizations)',
      group: 'Fleet:',
    })
    .option('backup-dir', {
      type: 'string',
      describe: 'backup directory (default .dbfleet/backups)',
      group: 'Fleet:',
    })
    .option('journal', {
      type: 'string',
      describe: 'journal: SQLite path or postgres:// URL (default .dbfleet/journal.db)',
      group: 'Fleet:',
    })
    .option('tenant', {
      type: 'string',
      array: true,
      describe: 'only this tenant id (repeatable)',
      group: 'Selection:',
    })
    .option('tag', {
      type: 'string',
      array: true,
      describe: 'only tenants with this tag (repeatable)',
      group: 'Selection:',
    })
    .option('exclude', {
      type: 'string',
      array: true,
      describe: 'never this tenant id (repeatable)',
      group: 'Selection:',
    })
    .option('concurrency', {
      type: 'number',
      describe: 'tenants in flight across the fleet (default 8)',
      group: 'Fan-out:',
    })
    .option('per-host', {
      type: 'number',
      describe: 'tenants in flight per database server (default 4)',
      group: 'Fan-out:',
    })
    .option('lock-timeout', {
      type: 'string',
      describe: 'how long a statement waits for a lock, e.g. 5s (default 5s)',
      group: 'Fan-out:',
    })
    .option('statement-timeout', {
      type: 'string',
      describe: 'how long one statement may run, e.g. 10m; 0 = none (default 10m)',
      group: 'Fan-out:',
    })
    .option('lock-wait', {
      type: 'string',
      describe: "wait this long for another runner's lock on a tenant instead of skipping it (default 0)",
      group: 'Fan-out:',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print one JSON report on stdout (no progress, no table)',
      group: 'Output:',
    }) as Argv<T & CommonArgs>;
}

export interface CommandContext {
  config: FleetConfig;
  baseDir: string;
  tenants: Tenant[];
  /** The migrations folder, or the migrations already loaded (a knexfile with several folders or loadExtensions). */
  migrationsDir: string | readonly Migration[];
  optimizationsDir: string;
  backupDir: string;
  journal: string;
  fleet: FleetOptions;
  mode: OutputMode;
}

function dirOf(value: FleetConfig[keyof FleetConfig], fallback: string): string {
  if (typeof value === 'string') return value;
  if (
    value &&
    typeof value === 'object' &&
    typeof (value as { directory?: unknown }).directory === 'string'
  ) {
    return (value as { directory: string }).directory;
  }
  return fallback;
}

function positive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`--${name} must be a whole number of at least 1`);
  return value;
}

function duration(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`--${name}: ${(err as Error).message}`);
  }
}

/**
 * knex's `migrations.tableName` / `schemaName`, read defensively (the config schema may not know them):
 * any value is passed on, and `checkHistoryOptions` refuses what is not a usable name.
 */
function historyOf(config: FleetConfig): HistoryOptions | undefined {
  const migrations = config.migrations as { tableName?: unknown; schemaName?: unknown } | string | undefined;
  if (!migrations || typeof migrations !== 'object') return undefined;
  const { tableName, schemaName } = migrations;
  if (tableName === undefined && schemaName === undefined) return undefined;
  return {
    ...(tableName !== undefined ? { tableName: tableName as string } : {}),
    ...(schemaName !== undefined ? { schemaName: schemaName as string } : {}),
  };
}

/** A postgres:// journal is a URL, anything else a file path (relative to the cwd for a flag, the config for the config). */
function journalTarget(flag: string | undefined, fromConfig: string | undefined, baseDir: string): string {
  const isUrl = (v: string) => /^postgres(ql)?:\/\//i.test(v);
  if (flag) return isUrl(flag) ? flag : resolve(flag);
  const value = fromConfig ?? '.dbfleet/journal.db';
  return isUrl(value) ? value : resolve(baseDir, value);
}

/** Config file + flags → everything a command needs; every mistake is a UsageError (exit 2). */
export async function resolveContext(
  args: CommonArgs,
  signal: AbortSignal,
  options: { inventory?: boolean } = {},
): Promise<CommandContext> {
  const [{ loadConfig }, { migrationsSourceOf }, { loadInventory }, { selectTenants }, { knexSettingsOf }] =
    await Promise.all([
      import('../config/load.js'),
      import('../config/migrations-source.js'),
      import('../inventory/load.js'),
      import('../inventory/select.js'),
      import('../config/knex-settings.js'),
    ]);
  const { config, baseDir, tenantDefaults } = await loadConfig(args.config, undefined, { env: args.env });
  const cwd = process.cwd();
  const tenants =
    options.inventory === false
      ? []
      : selectTenants(
          args.tenants
            ? await loadInventory({ file: resolve(cwd, args.tenants) }, cwd, tenantDefaults)
            : await loadInventory(config.inventory, baseDir, tenantDefaults),
          { tenant: args.tenant, tag: args.tag, exclude: args.exclude },
        );
  // Checked against the selected tenants here, before a command opens its journal (exit 2).
  const { checkHistoryOptions } = await import('../migration/check-history-options.js');
  const history = checkHistoryOptions(historyOf(config), tenants);
  const knex = knexSettingsOf(config);
  const mode: OutputMode = { json: Boolean(args.json), tty: Boolean(process.stderr.isTTY) };
  const timeouts = config.timeouts ?? {};
  const fleet: FleetOptions = {
    tenants,
    concurrency: positive('concurrency', args.concurrency) ?? config.concurrency,
    perHost: positive('per-host', args['per-host']) ?? config.perHost,
    timeouts: {
      ...(duration('lock-timeout', args['lock-timeout'] ?? timeouts.lock) !== undefined
        ? { lockTimeoutMs: duration('lock-timeout', args['lock-timeout'] ?? timeouts.lock)! }
        : {}),
      ...(duration('statement-timeout', args['statement-timeout'] ?? timeouts.statement) !== undefined
        ? {
            statementTimeoutMs: duration(
              'statement-timeout',
              args['statement-timeout'] ?? timeouts.statement,
            )!,
          }
        : {}),
    },
    lockWaitMs: duration('lock-wait', args['lock-wait'] ?? timeouts.lockWait) ?? 0,
    ...(timeouts.request !== undefined
      ? { requestTimeoutMs: duration('request-timeout', timeouts.request)! }
      : {}),
    onEvent: await createEventSink(mode),
    signal,
    ...(history.tableName !== undefined || history.schemaName !== undefined ? { history } : {}),
    ...(knex ? { knex } : {}),
  };
  const pick = (flag: string | undefined, fromConfig: string) =>
    flag ? resolve(cwd, flag) : resolve(baseDir, fromConfig);
  return {
    config,
    baseDir,
    tenants,
    migrationsDir: await migrationsSourceOf(args.migrations, config, baseDir, cwd),
    optimizationsDir: pick(args.optimizations, dirOf(config.optimizations, 'optimizations')),
    backupDir: pick(args['backup-dir'], dirOf(config.backups, '.dbfleet/backups')),
    journal: journalTarget(args.journal, config.journal, baseDir),
    fleet,
    mode,
  };
}
