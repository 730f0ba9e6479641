// A failing beforeTenant/afterTenant hook was reported FAILED with "what it did before failing stays (the
// tenant may be closed to its users)", whatever dbfleet knew: that PostgreSQL had rolled the hook's SQL back
// whole (so the tenant was never closed), or which statement of a list failed. Now HOOK_FAILED (or the
// cause's own code), the statement, and what stays where it is known.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorInfo } from '../../src/core/errors.js';
import { markScriptOutcome, type ScriptOutcome } from '../../src/dialect/script-outcome.js';
import type { TenantSession } from '../../src/dialect/types.js';
import { describeFailure } from '../../src/fleet/describe-failure.js';
import { HookFailed, hookOutcome } from '../../src/upgrade/hook-failure.js';
import { runHook } from '../../src/upgrade/run-hooks.js';

const IMPLICIT: ScriptOutcome = {
  stays: 'nothing',
  sentence: 'PostgreSQL ran the script as one implicit transaction, so nothing of it was applied',
};
const OWN_COMMIT: ScriptOutcome = {
  stays: 'part',
  sentence: 'only what a COMMIT of its own committed stays',
};

describe('hookOutcome: what stays of a failed hook', () => {
  it('the dialect says of a hook of one script', () => {
    assert.deepEqual(hookOutcome({ kind: 'sql', index: 0, script: IMPLICIT, ownOpen: false }), IMPLICIT);
    assert.deepEqual(hookOutcome({ kind: 'sql', index: 0, script: OWN_COMMIT, ownOpen: false }), OWN_COMMIT);
  });

  it('of a list, the statements before the failing one stay', () => {
    assert.deepEqual(hookOutcome({ kind: 'sql', index: 1, script: IMPLICIT, ownOpen: false }), {
      stays: 'part',
      sentence: 'statement 1 ran before it and stays; nothing of statement 2 was applied',
    });
    assert.deepEqual(hookOutcome({ kind: 'sql', index: 2, script: undefined, ownOpen: false }), {
      stays: 'part',
      sentence: 'statements 1–2 ran before it and stay',
    });
    assert.deepEqual(hookOutcome({ kind: 'sql', index: 1, script: OWN_COMMIT, ownOpen: false }), {
      stays: 'part',
      sentence:
        'statement 1 ran before it and stays (statement 2: only what a COMMIT of its own committed stays)',
    });
  });

  it('unknown for a function, a script the dialect says nothing of, or a transaction of its own left open', () => {
    assert.equal(hookOutcome({ kind: 'function' }).stays, 'unknown');
    assert.equal(hookOutcome({ kind: 'sql', index: 0, script: undefined, ownOpen: false }).stays, 'unknown');
    assert.equal(
      hookOutcome({ kind: 'sql', index: 0, script: IMPLICIT, ownOpen: undefined }).stays,
      'unknown',
    );
    const open = hookOutcome({ kind: 'sql', index: 1, script: IMPLICIT, ownOpen: true });
    assert.equal(open.stays, 'unknown');
    assert.match(open.sentence, /a transaction it began was still open, and was rolled back/);
  });
});

describe('HookFailed: the code and the message', () => {
  const cause: ErrorInfo = { code: 'FAILED', message: 'division by zero', driverCode: '22012' };

  it('HOOK_FAILED for a cause without a code of its own; the driver code is kept', () => {
    const err = new HookFailed('beforeTenant', IMPLICIT, cause, undefined, new Error('x'));
    assert.deepEqual(describeFailure(err), {
      code: 'HOOK_FAILED',
      message:
        'division by zero — the beforeTenant hook failed: PostgreSQL ran the script as one implicit transaction, so nothing of it was applied; the tenant was not closed to its users',
      driverCode: '22012',
    });
  });

  it('a cause with a code of its own keeps it; an afterTenant that may have reopened says so', () => {
    const timeout: ErrorInfo = { code: 'STATEMENT_TIMEOUT', message: 'the hook did not finish within 1s' };
    const err = new HookFailed('afterTenant', hookOutcome({ kind: 'function' }), timeout, undefined, null);
    assert.equal(err.code, 'STATEMENT_TIMEOUT');
    assert.equal(
      err.message,
      'the hook did not finish within 1s — the afterTenant hook failed: what its function did before failing stays; its users may be back in or still out',
    );
    const nothing = new HookFailed('afterTenant', IMPLICIT, cause, 'statement 1 of 2: update t', null);
    assert.match(
      nothing.message,
      /^division by zero \(statement 1 of 2: update t\) — .*; the tenant was not reopened to its users$/,
    );
  });
});

describe('runHook: a failing statement of a list', () => {
  /** A session outside any transaction whose runScript fails on `select 1/0`, marked as the dialect would. */
  function session(openTransaction = false) {
    const ran: string[] = [];
    let open = openTransaction;
    const s = {
      runScript: async (sql: string) => {
        if (sql === 'select 1/0') {
          const err = Object.assign(new Error('division by zero'), { code: '22012' });
          markScriptOutcome(err, IMPLICIT);
          throw err;
        }
        ran.push(sql);
      },
      outsideTransaction: () => !open,
      endStrayTransaction: async () => {
        const was = open;
        open = false;
        return was;
      },
    } as unknown as TenantSession;
    return { s, ran };
  }
  const adapter = { classifyError: () => undefined };
  const context = {
    tenant: { id: 'acme', dialect: 'postgres' as const, tags: [], database: 'acme' },
    runId: 'run-1',
  };

  it('names the statement and the hook, and says the ones before it stay', async () => {
    const { s, ran } = session();
    const hook = ["update app_settings set value = 'on'", 'select 2', 'select 1/0'];
    const err = await runHook(hook, 'beforeTenant', s, adapter, context).catch((e: unknown) => e);
    assert.ok(err instanceof HookFailed);
    assert.deepEqual(ran, hook.slice(0, 2));
    assert.equal(err.code, 'HOOK_FAILED');
    assert.equal(
      err.message,
      'division by zero (statement 3 of 3: select 1/0) — the beforeTenant hook failed: statements 1–2 ran before it and stay; nothing of statement 3 was applied; the tenant may be closed to its users',
    );
  });

  it('the first statement failing on its own: nothing stays, the tenant was not closed', async () => {
    const { s } = session();
    const err = await runHook(['select 1/0', 'select 2'], 'beforeTenant', s, adapter, context).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof HookFailed);
    assert.equal(err.outcome.stays, 'nothing');
    assert.match(err.message, /the tenant was not closed to its users$/);
  });

  it('a transaction the hook began is rolled back, and then what stays is not known', async () => {
    const { s } = session(true);
    const err = await runHook(['begin', 'select 1/0'], 'beforeTenant', s, adapter, context).catch(
      (e: unknown) => e,
    );
    assert.ok(err instanceof HookFailed);
    assert.equal(err.outcome.stays, 'unknown');
    assert.equal(s.outsideTransaction?.(), true, 'rolled back');
    assert.match(err.message, /the tenant may be closed to its users$/);
  });
});
