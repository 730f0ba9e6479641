import { UsageError } from '../core/errors.js';
import { closestMatch, unknownKeyProblem } from '../util/suggest.js';
import { OPTION_KEYS } from './option-keys.js';

/** FleetOptions as a caller may really pass them (anything): the fields checked here, untyped. */
interface UncheckedOptions {
  tenants?: unknown;
  concurrency?: unknown;
  perHost?: unknown;
  lockWaitMs?: unknown;
  requestTimeoutMs?: unknown;
  timeouts?: { lockTimeoutMs?: unknown; statementTimeoutMs?: unknown };
  onEvent?: unknown;
  signal?: unknown;
  journal?: unknown;
}

const KNOWN_KEYS: ReadonlySet<string> = new Set(OPTION_KEYS);

/**
 * Keys one typo away from a known option (`dryrun`, `concurency`): not silently ignored — a misspelt
 * `dryRun` applied the migrations. A key far from every option (the caller's own) is left alone.
 */
function misspeltKeys(options: object): string[] {
  return Object.keys(options).flatMap((key) => {
    if (KNOWN_KEYS.has(key)) return [];
    const match = closestMatch(key, OPTION_KEYS);
    return match ? [`unknown option ${key} (did you mean ${match}?)`] : [];
  });
}

/** A value as a message shows it: strings quoted, so `"4"` and 4 are told apart. */
export const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

function wholeNumberAtLeastOne(name: string, value: unknown): string[] {
  if (value === undefined || (Number.isInteger(value) && (value as number) >= 1)) return [];
  return [`${name} must be a whole number of at least 1 (got ${shown(value)})`];
}

function milliseconds(name: string, value: unknown): string[] {
  if (value === undefined || (Number.isFinite(value) && (value as number) >= 0)) return [];
  return [`${name} must be a number of milliseconds, 0 or more (got ${shown(value)})`];
}

/** Made by validateInventory / loadInventory: the connection parsed, the host derived. */
function isTenant(t: unknown): boolean {
  const tenant = t as { id?: unknown; host?: unknown; connection?: unknown } | null;
  return (
    typeof tenant?.id === 'string' &&
    typeof tenant.host === 'string' &&
    typeof tenant.connection === 'object' &&
    tenant.connection !== null
  );
}

const TIMEOUT_KEYS = ['lockTimeoutMs', 'statementTimeoutMs'];

/**
 * Keys `timeouts` does not take, which were silently ignored: `lockTimeoutMS`, or the configuration
 * file's `{ lock: '5s', statement: '10m' }` copied into the library's options, ran with the defaults.
 */
function unknownTimeoutKeys(timeouts: unknown): string[] {
  if (timeouts === undefined) return [];
  if (typeof timeouts !== 'object' || timeouts === null)
    return [`timeouts must be an object { lockTimeoutMs, statementTimeoutMs } (got ${shown(timeouts)})`];
  return Object.keys(timeouts)
    .filter((key) => !TIMEOUT_KEYS.includes(key))
    .map((key) =>
      closestMatch(key, TIMEOUT_KEYS)
        ? unknownKeyProblem('timeouts.', key, TIMEOUT_KEYS)
        : `${unknownKeyProblem('timeouts.', key, TIMEOUT_KEYS)} (timeouts takes lockTimeoutMs and statementTimeoutMs, in milliseconds)`,
    );
}

/** A journal named by an empty string opened the working folder and failed later, as a blank. */
function journalProblems(journal: unknown): string[] {
  if (journal === undefined || (typeof journal === 'string' && journal.trim() !== '')) return [];
  if (typeof journal === 'object' && journal !== null) return []; // an open Journal
  return [`journal must be a SQLite file path, a postgres:// URL or an open Journal (got ${shown(journal)})`];
}

/** What is wrong with the options every fleet verb takes (see `checkFleetOptions`); none: []. */
export function fleetOptionProblems(options: UncheckedOptions): string[] {
  const problems: string[] = misspeltKeys(options);
  if (!Array.isArray(options.tenants)) {
    problems.push(`tenants must be an array of tenants (got ${shown(options.tenants)})`);
  } else {
    const raw = options.tenants.find((t) => !isTenant(t));
    if (raw !== undefined) {
      const id = (raw as { id?: unknown } | null)?.id;
      problems.push(
        `tenant ${shown(id ?? raw)} is not a validated tenant (pass the inventory through validateInventory or loadInventory)`,
      );
    }
  }
  problems.push(
    ...wholeNumberAtLeastOne('concurrency', options.concurrency),
    ...wholeNumberAtLeastOne('perHost', options.perHost),
    ...milliseconds('lockWaitMs', options.lockWaitMs),
    ...milliseconds('requestTimeoutMs', options.requestTimeoutMs),
    ...milliseconds('timeouts.lockTimeoutMs', options.timeouts?.lockTimeoutMs),
    ...milliseconds('timeouts.statementTimeoutMs', options.timeouts?.statementTimeoutMs),
    ...unknownTimeoutKeys(options.timeouts),
    ...journalProblems(options.journal),
  );
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function')
    problems.push(`onEvent must be a function (got ${shown(options.onEvent)})`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    problems.push(`signal must be an AbortSignal (got ${shown(options.signal)})`);
  return problems;
}

/**
 * The options every fleet verb takes, checked before anything runs — the CLI's flags are checked when
 * parsed, but a library caller (JavaScript, or a cast) can pass anything: a bad value is a UsageError
 * naming the option, not a driver's or p-limit's TypeError from deep inside, nor a value silently used.
 */
export function checkFleetOptions(options: UncheckedOptions): void {
  const problems = fleetOptionProblems(options);
  if (problems.length === 1) throw new UsageError(problems[0]!);
  if (problems.length > 1) throw new UsageError('the fleet options are not valid:', problems);
}

/**
 * An option that takes one of a few words. Compared exactly, as the code that reads it does: a caller's
 * `onFailure: 'Rollback'` silently turned the rollback of a failed tenant off, and `with: 'Restore'` ran
 * the down migrations instead of restoring.
 */
export function checkChoice(name: string, value: unknown, allowed: readonly string[]): void {
  if (value === undefined || allowed.includes(value as string)) return;
  throw new UsageError(`${name} must be one of ${allowed.join(', ')} (got ${shown(value)})`);
}
