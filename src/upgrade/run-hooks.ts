import { errorMessage, TenantError } from '../core/errors.js';
import { withUserProcessing } from '../dialect/knex-processing.js';
import { failOnStrayTransaction } from '../dialect/stray-transaction.js';
import type { DialectAdapter, TenantSession } from '../dialect/types.js';
import { type CheckDefinition, type HookContext, type HookDefinition, isTruthy } from './checks.js';
import type { UserCodeBound } from './user-code-bound.js';

/** No bound: for callers that run no user function (or bound it themselves). */
const unbounded: UserCodeBound = (_what, run) => run();

export async function runHook(
  hook: HookDefinition,
  session: TenantSession,
  context: HookContext,
  bound: UserCodeBound = unbounded,
): Promise<void> {
  // SQL is bounded statement by statement by the server; a function, as a whole, by `bound`.
  if (typeof hook === 'function')
    await bound('the hook', () => withUserProcessing(session.knex, () => hook(session.knex, context)));
  else for (const sql of Array.isArray(hook) ? hook : [hook]) await session.runScript(sql);
  await failOnStrayTransaction(session, 'the hook');
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
