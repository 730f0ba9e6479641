import { errorMessage, TenantError } from '../core/errors.js';
import { withUserProcessing } from '../dialect/knex-processing.js';
import { scriptOutcomeOf } from '../dialect/script-outcome.js';
import { failOnStrayTransaction } from '../dialect/stray-transaction.js';
import type { DialectAdapter, TenantSession } from '../dialect/types.js';
import { describeFailure } from '../fleet/describe-failure.js';
import { ownTransactionMayBeOpen } from '../migration/without-transaction.js';
import { type CheckDefinition, type HookContext, type HookDefinition, isTruthy } from './checks.js';
import { HookFailed, type HookName, hookOutcome } from './hook-failure.js';
import type { UserCodeBound } from './user-code-bound.js';

/** No bound: for callers that run no user function (or bound it themselves). */
const unbounded: UserCodeBound = (_what, run) => run();

/**
 * Runs a hook; a failure is a HookFailed naming the hook, the cause and where, and what stays of it. Each
 * statement of a list runs on its own, so those before the failing one are committed.
 */
export async function runHook(
  hook: HookDefinition,
  name: HookName,
  session: TenantSession,
  adapter: Pick<DialectAdapter, 'classifyError'>,
  context: HookContext,
  bound: UserCodeBound = unbounded,
): Promise<void> {
  // SQL is bounded statement by statement by the server; a function, as a whole, by `bound`.
  if (typeof hook === 'function') {
    try {
      await bound('the hook', () => withUserProcessing(session.knex, () => hook(session.knex, context)));
    } catch (err) {
      throw new HookFailed(
        name,
        hookOutcome({ kind: 'function' }),
        describeFailure(err, adapter),
        undefined,
        err,
      );
    }
  } else {
    const statements = Array.isArray(hook) ? hook : [hook];
    for (const [index, sql] of statements.entries()) {
      try {
        await session.runScript(sql);
      } catch (err) {
        // Rolled back now rather than when the session closes: "statement 1 stays" must be true.
        const ownOpen = ownTransactionMayBeOpen(session)
          ? await session.endStrayTransaction?.().catch(() => undefined)
          : false;
        const point = {
          kind: 'sql' as const,
          index,
          count: statements.length,
          script: scriptOutcomeOf(err),
          ownOpen,
        };
        const at =
          statements.length > 1
            ? `statement ${index + 1} of ${statements.length}: ${excerpt(sql)}`
            : undefined;
        throw new HookFailed(name, hookOutcome(point), describeFailure(err, adapter), at, err);
      }
    }
  }
  await failOnStrayTransaction(session, 'the hook');
}

/** A statement of a hook's list, short and on one line, to name it in a failure. */
function excerpt(sql: string): string {
  const line = sql.trim().replace(/\s+/g, ' ');
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

function show(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return text === undefined ? 'nothing' : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * Runs every smoke check; the first that fails fails the tenant with the check's name and what it
 * returned. A SQL check passes when its first row's first column is truthy; a function check passes
 * unless it throws or returns false. Checks only look: they run on a session that cannot write, so a
 * check that writes (a `DELETE … RETURNING true`, a module's stray update) fails instead of changing
 * customer data after the last verified backup of the pre-upgrade state.
 */
export async function runChecks(
  checks: readonly CheckDefinition[],
  session: TenantSession,
  adapter: DialectAdapter,
  context: HookContext,
  bound: UserCodeBound = unbounded,
): Promise<string[]> {
  return session.readOnly(async () => {
    const passed = await runEach(checks, session, adapter, context, bound);
    // Inside readOnly: its reset of the setting must not run in (and roll back with) the open transaction.
    await failOnStrayTransaction(session, 'a smoke check');
    return passed;
  });
}

async function runEach(
  checks: readonly CheckDefinition[],
  session: TenantSession,
  adapter: DialectAdapter,
  context: HookContext,
  bound: UserCodeBound,
): Promise<string[]> {
  const passed: string[] = [];
  for (const check of checks) {
    let returned: unknown;
    let ok: boolean;
    try {
      if (check.sql !== undefined) {
        const rows = adapter.rowsOf(await session.knex.raw(check.sql.replace(/\?/g, '\\?')));
        // The value that was judged, not the row: "it returned 0", not {"COUNT(*) = 0":0}.
        returned = rows[0] === undefined ? undefined : Object.values(rows[0])[0];
        ok = rows[0] !== undefined && isTruthy(Object.values(rows[0])[0]);
      } else {
        returned = await bound('it', () =>
          withUserProcessing(session.knex, async () => check.run!(session.knex, context)),
        );
        ok = returned !== false;
      }
    } catch (err) {
      throw new TenantError('CHECK_FAILED', `smoke check ${check.name} failed: ${errorMessage(err)}`);
    }
    if (!ok)
      throw new TenantError(
        'CHECK_FAILED',
        `smoke check ${check.name} failed: it returned ${show(returned)}`,
      );
    passed.push(check.name);
  }
  return passed;
}
