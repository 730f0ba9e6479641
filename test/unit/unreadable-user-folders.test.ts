// A migrations, optimizations or checks folder dbfleet may not list is a setup error (UsageError: exit 2,
// nothing changed) that names the folder — before, readdir's EACCES escaped as "unexpected error" (exit 1).
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.js';
import { loadMigrations } from '../../src/migration/loader.js';
import { loadOptimizations } from '../../src/optimization/loader.js';
import { loadChecks } from '../../src/upgrade/checks.js';

const root = mkdtempSync(join(tmpdir(), 'dbfleet-unreadable-migrations-'));
after(() => {
  for (const folder of ['migrations', 'optimizations', 'checks']) chmodSync(join(root, folder), 0o700);
  rmSync(root, { recursive: true, force: true });
});

/** Runs `fn` as a user the folder's mode shuts out: root reads anything, so it acts as nobody meanwhile. */
async function asUnprivileged<T>(fn: () => Promise<T>): Promise<T> {
  const privileged = process.geteuid?.() === 0;
  if (privileged) process.seteuid!(65534);
  try {
    return await fn();
  } finally {
    if (privileged) process.seteuid!(0);
  }
}

describe('an unreadable migrations folder', () => {
  it('is a UsageError naming the folder and the cause', async () => {
    const folder = join(root, 'migrations');
    mkdirSync(folder);
    copyFileSync(
      join(import.meta.dirname, '../fixtures/migrations-basic/20240101000000_create_accounts.ts'),
      join(folder, '20240101000000_create_accounts.ts'),
    );
    chmodSync(root, 0o755);
    chmodSync(folder, 0o000);
    const err = await asUnprivileged(() =>
      loadMigrations(folder).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
    assert.equal(err.message, `cannot read the migrations directory ${folder}: EACCES`);
  });
});

describe('unreadable optimizations and checks folders', () => {
  const loaders = {
    optimizations: (folder: string) => loadOptimizations(folder),
    checks: (folder: string) => loadChecks(undefined, folder),
  };
  for (const [what, load] of Object.entries(loaders)) {
    it(`${what}: a UsageError naming the folder and the cause`, async () => {
      const folder = join(root, what);
      mkdirSync(folder);
      chmodSync(root, 0o755);
      chmodSync(folder, 0o000);
      const err = await asUnprivileged(() =>
        load(folder).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      assert.ok(err instanceof UsageError, `expected a UsageError, got ${String(err)}`);
      assert.equal(err.message, `cannot read the ${what} directory ${folder}: EACCES`);
    });
  }
});
