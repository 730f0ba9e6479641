import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorMessage, TenantError, UsageError } from '../../src/core/errors.js';
import { redact, redactDeep, registerSecret, withRedaction } from '../../src/core/redact.js';
import { describeFailure } from '../../src/fleet/describe-failure.js';

describe('redact', () => {
  it('masks the password of any URL, keeping user, host and database', () => {
    assert.equal(
      redact('connect to postgres://app:s3cr3t@db1:5432/acme failed'),
      'connect to postgres://app:***@db1:5432/acme failed',
    );
    assert.equal(redact('mssql://sa:P%40ss@sql1/db'), 'mssql://sa:***@sql1/db');
    assert.equal(
      redact('a postgresql://u:p1@h/x and postgres://v:p2@h/y'),
      'a postgresql://u:***@h/x and postgres://v:***@h/y',
    );
  });

  it('leaves URLs without a password alone', () => {
    for (const s of [
      'postgres://app@db1:5432/acme',
      'postgres://db1:5432/acme',
      'https://example.com/a@b',
      'sqlite://tenants/a.sqlite',
    ]) {
      assert.equal(redact(s), s);
    }
  });

  it('masks password=… in connection strings and messages', () => {
    assert.equal(
      redact('Server=sql1;User Id=sa;Password=Hunter2!;Database=x'),
      'Server=sql1;User Id=sa;Password=***;Database=x',
    );
    assert.equal(redact("pwd: 'a b c' rest"), 'pwd=*** rest');
    assert.equal(redact('{ password: hunter22 }'), '{ password=*** }');
  });

  it('masks registered secrets wherever they appear, also URL-encoded', () =>
    withRedaction(() => {
      registerSecret('Tr0ub4dor&3');
      assert.equal(redact('auth failed for Tr0ub4dor&3'), 'auth failed for ***');
      assert.equal(redact('x=Tr0ub4dor%263'), 'x=***');
    }));

  it('ignores secrets too short to mask safely, and non-strings', () =>
    withRedaction(() => {
      registerSecret('ab');
      registerSecret(undefined);
      registerSecret(42);
      assert.equal(redact('tab about'), 'tab about');
    }));

  it('redactDeep masks password keys and every string inside', () =>
    withRedaction(() => {
      registerSecret('DeepS3cret');
      const out = redactDeep({
        url: 'postgres://u:pw123@h/db',
        nested: [{ password: 'anything', Pwd: 'x', note: 'has DeepS3cret inside' }],
        n: 3,
        ok: true,
        nothing: null,
      });
      assert.deepEqual(out, {
        url: 'postgres://u:***@h/db',
        nested: [{ password: '***', Pwd: '***', note: 'has *** inside' }],
        n: 3,
        ok: true,
        nothing: null,
      });
    }));
});

describe('redaction scopes', () => {
  it('two runs in one process do not share secrets, even running at the same time', async () => {
    const seen = (secret: string, other: string) =>
      withRedaction(async () => {
        registerSecret(secret);
        await new Promise((resolve) => setTimeout(resolve, 10));
        return redact(`${secret} ${other}`);
      });
    const [first, second] = await Promise.all([
      seen('FirstRunPw', 'SecondRunPw'),
      seen('SecondRunPw', 'FirstRunPw'),
    ]);
    assert.equal(first, '*** SecondRunPw');
    assert.equal(second, '*** FirstRunPw');
    // Both scopes ended: nothing they registered outlives them.
    assert.equal(redact('FirstRunPw SecondRunPw'), 'FirstRunPw SecondRunPw');
  });

  it('a nested scope is the outer one: a run inside a command masks what the command registered', () =>
    withRedaction(() => {
      registerSecret('OuterCmdPw');
      withRedaction(() => registerSecret('InnerRunPw'));
      assert.equal(redact('OuterCmdPw InnerRunPw'), '*** ***');
    }));

  it('outside any scope a secret is not kept; the patterns still mask', () => {
    registerSecret('NoScopePw');
    assert.equal(redact('NoScopePw'), 'NoScopePw');
    assert.equal(redact('postgres://u:NoScopePw@h/d'), 'postgres://u:***@h/d');
  });
});

describe('errors never carry a password', () => {
  it('UsageError, TenantError and errorMessage redact', () => {
    const url = 'postgres://app:Leaky9Pass@db/x';
    assert.ok(!new UsageError(`bad ${url}`, [`also ${url}`]).message.includes('Leaky9Pass'));
    assert.ok(!new UsageError('bad', [`also ${url}`]).problems[0]!.includes('Leaky9Pass'));
    assert.ok(!new TenantError('FAILED', `bad ${url}`).message.includes('Leaky9Pass'));
    assert.ok(!errorMessage(new Error(`bad ${url}`)).includes('Leaky9Pass'));
    assert.ok(!errorMessage(`bad ${url}`).includes('Leaky9Pass'));
  });

  it('describeFailure redacts unclassified and classified driver errors', () =>
    withRedaction(() => {
      registerSecret('Classif1edPw');
      const unclassified = describeFailure(new Error('driver: password Classif1edPw rejected'));
      assert.equal(unclassified.code, 'FAILED');
      assert.ok(!unclassified.message.includes('Classif1edPw'));
      const classified = describeFailure(new Error('x'), {
        classifyError: () => ({ code: 'AUTH_FAILED', message: 'login postgres://u:Classif1edPw@h/d' }),
      });
      assert.equal(classified.code, 'AUTH_FAILED');
      assert.ok(!classified.message.includes('Classif1edPw'));
    }));
});
