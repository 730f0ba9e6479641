// Every command's builder imports this module for its options, so it stays light: what resolveContext
// needs (zod for the config, knex and the drivers behind the inventory) loads when a command runs, and
// `--help`, `--version` and usage errors answer without loading it (see test/unit/cli-startup.test.ts).
import type { Argv } from 'yargs';
import { flagDurationMs, type RunOverrides, wholeNumberAtLeastOne } from '../config/overrides.js';
import type { RunOptions } from '../config/run-options.js';
import { UsageError } from '../core/errors.js';
import { enterConfigFolder } from './config-folder.js';
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

/** A common option some commands ignore (the rest are read by every fleet command). */
export type SometimesUsed = 'migrations' | 'optimizations' | 'backup-dir' | 'journal' | 'lock-wait';

/**
 * The options every fleet command takes (README "Commands"). `notUsed`: the ones this command ignores —
 * still accepted, so one set of flags works for every command of a script, but left out of its --help.
 */
export function withCommonOptions<T>(
  y: Argv<T>,
  notUsed: readonly SometimesUsed[] = [],
): Argv<T & CommonArgs> {
  const hidden = (name: SometimesUsed) => (notUsed.includes(name) ? { hidden: true } : {});
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
      ...hidden('migrations'),
      type: 'string',
      describe: 'migrations directory (default ./migrations)',
      group: 'Fleet:',
    })
    .option('optimizations', {
      ...hidden('optimizations'),
      type: 'string',
      describe: 'optimizations directory (default ./optimizations)',
      group: 'Fleet:',
    })
    .option('backup-dir', {
      ...hidden('backup-dir'),
      type: 'string',
      describe: 'backup directory (default .dbfleet/backups)',
      group: 'Fleet:',
    })
    .option('journal', {
      ...hidden('journal'),
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
      describe: 'how long a statement waits for a lock, with its unit: 5s, 500ms (default 5s)',
      group: 'Fan-out:',
    })
    .option('statement-timeout', {
      type: 'string',
      describe: 'how long one statement may run, with its unit: 10m, 1h; 0 = none (default 10m)',
      group: 'Fan-out:',
    })
    .option('lock-wait', {
      ...hidden('lock-wait'),
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

/** What a command works with: the run options (config + flags) and how to print. */
export type CommandContext = RunOptions & { mode: OutputMode };

/** The common options that take a value; given without one, yargs hands over '' (or [] for a list). */
const VALUE_FLAGS = [
  'config',
  'env',
  'tenants',
  'migrations',
  'optimizations',
  'backup-dir',
  'journal',
  'lock-timeout',
  'statement-timeout',
  'lock-wait',
] as const;
const SELECTION_FLAGS = ['tenant', 'tag', 'exclude'] as const;

/**
 * A flag given with no value is a mistake, never "not given": `dbfleet migrate --tenant $T` with `T`
 * unset would otherwise migrate every tenant of the fleet, and `--tenants $FILE` the configuration's
 * inventory instead of the file.
 */
export function refuseEmptyValues(args: CommonArgs): void {
  for (const flag of VALUE_FLAGS) {
    if (args[flag] === '') throw new UsageError(`--${flag} needs a value (it was given an empty one)`);
  }
  for (const flag of SELECTION_FLAGS) {
    const values = args[flag];
    if (values === undefined) continue;
    if (values.length === 0 || values.some((v) => String(v).trim() === ''))
      throw new UsageError(
        `--${flag} needs a value (it was given an empty one: ${flag === 'exclude' ? 'no tenant would have been excluded' : 'every tenant would have been selected'})`,
      );
  }
}

/** Why `--lock-timeout 0` is refused: it is the outage the lock timeout exists to prevent (lint's lock-timeout-disabled). */
const LOCK_TIMEOUT_ZERO =
  "that turns the lock timeout off: a migration's ALTER would wait for ever behind a long transaction while every query on the table queues behind it — give a duration (5s; a longer one such as 1m for a quiet window)";

/**
 * The flags as run overrides. Numbers and durations are checked here, so a mistake names the flag
 * (`--lock-timeout: …`); the library checks them again for callers without a command line.
 */
export function overridesOf(args: CommonArgs): RunOverrides {
  return {
    tenantsFile: args.tenants,
    selection: { tenant: args.tenant, tag: args.tag, exclude: args.exclude },
    migrationsDir: args.migrations,
    optimizationsDir: args.optimizations,
    backupDir: args['backup-dir'],
    journal: args.journal,
    concurrency: wholeNumberAtLeastOne('--concurrency', args.concurrency),
    perHost: wholeNumberAtLeastOne('--per-host', args['per-host']),
    lockTimeout: flagDurationMs('--lock-timeout', args['lock-timeout'], LOCK_TIMEOUT_ZERO),
    statementTimeout: flagDurationMs('--statement-timeout', args['statement-timeout']),
    lockWait: flagDurationMs('--lock-wait', args['lock-wait']),
  };
}

/**
 * Config file + flags → everything a command needs; every mistake is a UsageError (exit 2). `extra`: a
 * command's own overrides (upgrade's `--checks`; `lint --all` loads no inventory).
 */
export async function resolveContext(
  args: CommonArgs,
  signal: AbortSignal,
  extra: RunOverrides = {},
): Promise<CommandContext> {
  refuseEmptyValues(args);
  enterConfigFolder(args as Record<string, unknown>);
  const overrides: RunOverrides = { ...overridesOf(args), ...extra };
  const { loadConfig, runOptionsFrom } = await import('../config/index.js');
  const loaded = await loadConfig(args.config, undefined, { env: args.env });
  const run = await runOptionsFrom(loaded, overrides, signal);
  const mode: OutputMode = { json: Boolean(args.json), tty: Boolean(process.stderr.isTTY) };
  return { ...run, fleet: { ...run.fleet, onEvent: await createEventSink(mode) }, mode };
}

/** What status, plan, drift and lint ignore: they read, so they journal, back up, optimize and lock nothing. */
export const READ_ONLY_UNUSED: readonly SometimesUsed[] = [
  'optimizations',
  'backup-dir',
  'journal',
  'lock-wait',
];
