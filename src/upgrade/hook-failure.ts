import { type ErrorInfo, TenantError } from '../core/errors.js';
import type { ScriptOutcome } from '../dialect/script-outcome.js';

export type HookName = 'beforeTenant' | 'afterTenant';

/** What stays of a failed hook: `unknown` when dbfleet cannot tell (a function, a dialect that does not say). */
export interface HookOutcome {
  stays: 'nothing' | 'part' | 'unknown';
  sentence: string;
}

/** Where a hook failed: in its function, or in its SQL (`index` of `count` statements of a list). */
export type HookFailurePoint =
  | { kind: 'function' }
  | {
      kind: 'sql';
      /** The failing statement's place in the hook's list (0 for a hook of one script). */
      index: number;
      /** What the dialect knows stays of the failing script (see script-outcome.ts). */
      script: ScriptOutcome | undefined;
      /** A transaction the hook began was still open at the failure (rolled back since); undefined: unknown. */
      ownOpen: boolean | undefined;
    };

const UNKNOWN: HookOutcome = { stays: 'unknown', sentence: 'what it did before failing stays' };

/**
 * What stays of a hook that failed, from where it failed and what the dialect knows of the failing script.
 * Each statement of a list runs on its own: those before the failing one committed, unless a transaction
 * the hook began was still open, which was rolled back with what ran in it.
 */
export function hookOutcome(point: HookFailurePoint): HookOutcome {
  if (point.kind === 'function')
    return { stays: 'unknown', sentence: 'what its function did before failing stays' };
  if (point.ownOpen === true)
    return {
      stays: 'unknown',
      sentence:
        'a transaction it began was still open, and was rolled back with what ran in it; what it did before that stays',
    };
  if (point.ownOpen === undefined) return UNKNOWN;
  if (point.index > 0) {
    const before =
      point.index === 1
        ? 'statement 1 ran before it and stays'
        : `statements 1–${point.index} ran before it and stay`;
    const failing =
      point.script?.stays === 'nothing'
        ? `; nothing of statement ${point.index + 1} was applied`
        : point.script
          ? ` (statement ${point.index + 1}: ${point.script.sentence})`
          : '';
    return { stays: 'part', sentence: `${before}${failing}` };
  }
  return point.script ?? UNKNOWN;
}

/** What the outcome means for the tenant's users: a beforeTenant hook closes the tenant, afterTenant reopens it. */
function forItsUsers(hook: HookName, stays: HookOutcome['stays']): string {
  if (hook === 'beforeTenant')
    return stays === 'nothing'
      ? 'the tenant was not closed to its users'
      : 'the tenant may be closed to its users';
  return stays === 'nothing'
    ? 'the tenant was not reopened to its users'
    : 'its users may be back in or still out';
}

/**
 * A beforeTenant or afterTenant hook failed. `HOOK_FAILED` unless the cause has a code of its own (a lock
 * or statement timeout, a lost connection); the message gives the cause and where, names the hook, and says
 * what stays of it and so whether the tenant was closed (reopened) — "may" only where that is not known.
 */
export class HookFailed extends TenantError {
  constructor(
    readonly hook: HookName,
    readonly outcome: HookOutcome,
    cause: ErrorInfo,
    at: string | undefined,
    err: unknown,
  ) {
    super(
      cause.code === 'FAILED' ? 'HOOK_FAILED' : cause.code,
      `${cause.message}${at ? ` (${at})` : ''} — the ${hook} hook failed: ${outcome.sentence}; ${forItsUsers(hook, outcome.stays)}`,
      {
        cause: err,
        // A hook function's own TenantError keeps what it says: skipped (another runner holds something).
        skipped: err instanceof TenantError && err.skipped,
        ...(cause.driverCode ? { driverCode: cause.driverCode } : {}),
      },
    );
  }
}
