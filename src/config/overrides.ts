// What a caller (the CLI's flags, or a script importing dbfleet) sets on top of a configuration file.
// Kept free of zod and knex: the CLI checks its flags with these helpers before anything heavy loads.
import { UsageError } from '../core/errors.js';
import type { TenantSelection } from '../inventory/select.js';
import { parseDuration } from '../util/duration.js';

/** Settings that win over the configuration's. Relative paths resolve against `cwd`, not the config's folder. */
export interface RunOverrides {
  /** A JSON inventory file, instead of the configuration's `inventory`. */
  tenantsFile?: string;
  /** `false`: load no inventory (a run that reads only files, like linting every migration); no tenants. */
  inventory?: boolean;
  /** Which of the inventory's tenants run (an unknown id is an error, never silently nothing). */
  selection?: TenantSelection;
  /** The migrations folder, instead of `migrations.directory` (`loadExtensions` still applies). */
  migrationsDir?: string;
  optimizationsDir?: string;
  backupDir?: string;
  /** The smoke checks folder (default `checks` beside the configuration). */
  checksDir?: string;
  /** A SQLite file path or a `postgres://` URL. */
  journal?: string;
  /** Tenants in flight across the fleet. */
  concurrency?: number;
  /** Tenants in flight per database server. */
  perHost?: number;
  /** Durations: `5s`, `500ms`, `2m`, or milliseconds. */
  lockTimeout?: string | number;
  statementTimeout?: string | number;
  lockWait?: string | number;
  /** What relative paths above resolve against (default: the process's working directory). */
  cwd?: string;
}

/** `value` if it is a whole number of at least 1; otherwise a usage error naming `label`. */
export function wholeNumberAtLeastOne(label: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${label} must be a whole number of at least 1`);
  return value;
}

/** `value` in milliseconds; a malformed duration is a usage error naming `label`. */
export function durationMs(label: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(`${label}: ${(err as Error).message}`);
  }
}

/**
 * A duration typed on the command line: `durationMs`, but a number needs its unit. In the config and the
 * library a bare number is milliseconds (knex's and pg's unit); typed as `--lock-timeout 5` or
 * `--statement-timeout 600` it was almost always meant as seconds, and 5 ms fails every migration that
 * meets any lock while 600 ms cuts off index builds. `0` keeps its meaning (none, or skip at once) unless
 * `zeroRefused` says why that value is unsafe for this flag.
 */
export function flagDurationMs(
  label: string,
  value: string | undefined,
  zeroRefused?: string,
): number | undefined {
  if (value === undefined) return undefined;
  const bare = /^\s*(\d+(?:\.\d+)?)\s*$/.exec(value);
  if (bare && Number(bare[1]) !== 0)
    throw new UsageError(`${label} ${value.trim()}: give a unit — ${bare[1]}s, ${bare[1]}ms or ${bare[1]}m`);
  const ms = durationMs(label, value);
  if (ms === 0 && zeroRefused) throw new UsageError(`${label} 0: ${zeroRefused}`);
  return ms;
}
