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

/**
 * Throws one UsageError, named after the verb, listing every problem: options that are not an object,
 * a required option missing or of the wrong kind, and (unless `fleet` is false, for verbs that take no
 * tenants) the fleet options `checkFleetOptions` checks. Runs before anything is read or opened.
 */
export function checkVerbOptions(
  verb: string,
  options: unknown,
  required: Readonly<Record<string, Requirement>> = {},
  fleet = true,
): void {
  if (typeof options !== 'object' || options === null)
    throw new UsageError(`${verb}: options must be an object (got ${shown(options)})`);
  const given = options as Record<string, unknown>;
  const problems = Object.entries(required).flatMap(([name, { accepts, expected }]) => {
    const value = given[name];
    if (value === undefined) return [`${name} is required: ${expected}`];
    return accepts(value) ? [] : [`${name} must be ${expected} (got ${shown(value)})`];
  });
  // A required fleet option (upgrade's journal) that is wrong is said once, not by both checks.
  if (fleet) problems.push(...fleetOptionProblems(given).filter((p) => !problems.includes(p)));
  if (problems.length === 1) throw new UsageError(`${verb}: ${problems[0]}`);
  if (problems.length > 1) throw new UsageError(`${verb}: the options are not valid:`, problems);
}
