// Each verb's own required options, checked at its entry with the fleet options. TypeScript callers are
// held to them by the types; a JavaScript caller who left one out (or passed no options at all) got a raw
// TypeError from deep inside — `Cannot read properties of undefined (reading 'map')`, `The "paths[0]"
// argument must be of type string` — instead of the UsageError naming the option that the CLI gives.
import { UsageError } from '../core/errors.js';
import { fleetOptionProblems, shown } from './check-options.js';

/** What a required option must be: a test, and how a message says what was expected. */
export interface Requirement {
  accepts: (value: unknown) => boolean;
  /** Reads after both "is required:" and "must be". */
  expected: string;
}

const isPath = (value: unknown) => typeof value === 'string' && value.trim() !== '';

export const MIGRATIONS: Requirement = {
  accepts: (value) => isPath(value) || Array.isArray(value),
  expected: 'a folder path or the list loadMigrations returns',
};

export const OPTIMIZATIONS: Requirement = {
  accepts: (value) => isPath(value) || Array.isArray(value),
  expected: 'a folder path or a list of optimizations',
};

export const FOLDER: Requirement = { accepts: isPath, expected: 'a folder path' };

export const JOURNAL: Requirement = {
  accepts: (value) => isPath(value) || (typeof value === 'object' && value !== null),
  expected: 'a SQLite file path, a postgres:// URL or an open Journal',
};

export const OPERATIONS: Requirement = {
  accepts: (value) => typeof value === 'object' && value !== null,
  expected: 'what prepareUpgrade returns, spread into the options',
};

export const UPGRADE_RUN: Requirement = {
  accepts: (value) => value === true || isPath(value),
  expected: 'an upgrade run id, or true for the latest',
};

// Optional options that were silently ignored, or failed every tenant only once it was reached (an
// upgrade's checks ran after its migrations: a typo there rolled the whole canary wave back).
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isHook = (value: unknown) =>
  typeof value === 'string' ||
  typeof value === 'function' ||
  (Array.isArray(value) && value.every((s) => typeof s === 'string'));

export const HOOKS: Requirement = {
  accepts: (value) =>
    isObject(value) &&
    Object.entries(value).every(
      ([key, hook]) => ['beforeTenant', 'afterTenant'].includes(key) && (hook === undefined || isHook(hook)),
    ),
  expected:
    '{ beforeTenant?, afterTenant? }, each SQL, a list of SQL statements, or a function (knex, context)',
};

export const CHECKS: Requirement = {
  accepts: (value) =>
    Array.isArray(value) &&
    value.every(
      (c) =>
        isObject(c) &&
        typeof c.name === 'string' &&
        c.name !== '' &&
        (typeof c.sql === 'string') !== (typeof c.run === 'function'),
    ),
  expected: 'a list of { name, sql } or { name, run }',
};

export const TOOLS: Requirement = {
  accepts: (value) =>
    isObject(value) &&
    Object.keys(value).every((key) => key === 'bin') &&
    (value.bin === undefined || (isObject(value.bin) && Object.values(value.bin).every(isPath))),
  expected: "{ bin: { pg_dump: '/path/to/pg_dump', … } }",
};

export const MIGRATION_NAME: Requirement = { accepts: isPath, expected: 'a migration name' };

/**
 * Throws one UsageError, named after the verb, listing every problem: options that are not an object,
 * a required option missing or of the wrong kind, an `optional` one given but of the wrong kind, and
 * (unless `fleet` is false, for verbs that take no tenants) the fleet options `checkFleetOptions` checks.
 * Runs before anything is read or opened.
 */
export function checkVerbOptions(
  verb: string,
  options: unknown,
  required: Readonly<Record<string, Requirement>> = {},
  fleet = true,
  optional: Readonly<Record<string, Requirement>> = {},
): void {
  if (typeof options !== 'object' || options === null)
    throw new UsageError(`${verb}: options must be an object (got ${shown(options)})`);
  const given = options as Record<string, unknown>;
  const problems = Object.entries(required).flatMap(([name, { accepts, expected }]) => {
    const value = given[name];
    if (value === undefined) return [`${name} is required: ${expected}`];
    return accepts(value) ? [] : [`${name} must be ${expected} (got ${shown(value)})`];
  });
  for (const [name, { accepts, expected }] of Object.entries(optional)) {
    const value = given[name];
    if (value !== undefined && !accepts(value))
      problems.push(`${name} must be ${expected} (got ${shown(value)})`);
  }
  // A required fleet option (upgrade's journal) that is wrong is said once, not by both checks.
  if (fleet) problems.push(...fleetOptionProblems(given).filter((p) => !problems.includes(p)));
  if (problems.length === 1) throw new UsageError(`${verb}: ${problems[0]}`);
  if (problems.length > 1) throw new UsageError(`${verb}: the options are not valid:`, problems);
}
