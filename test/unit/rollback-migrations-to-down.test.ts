// Which migrations `rollback --run --with down` runs the downs of for a tenant: the journaled ones, or —
// when the run was killed in the tenant's migrate step (a migration may have committed unrecorded) — what
// the tenant's history holds after the pre-upgrade backup's rows. No database: fake operations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Fingerprint } from '../../src/dialect/backup-types.js';
import type { TenantContext } from '../../src/fleet/run-fleet.js';
import type { StepRow } from '../../src/journal/read.js';
import { migrationsToDown } from '../../src/upgrade/migrations-to-down.js';
import { migrateLeftUnfinished } from '../../src/upgrade/rollback-targets.js';
import type { BackupTaken, UpgradeOperations } from '../../src/upgrade/types.js';

const ctx = {} as TenantContext;
const backup = (historyRows?: number): BackupTaken => ({
  path: '/b/pre.dump',
  bytes: 1,
  sha256: 'x',
  fingerprint: {} as Fingerprint,
  ...(historyRows !== undefined ? { historyRows } : {}),
});

/** Operations whose tenant history holds `history`; `asked` records each appliedSince call. */
function opsWith(history: string[], asked: number[] = []): UpgradeOperations {
  return {
    appliedSince: async (_ctx: TenantContext, rows: number) => {
      asked.push(rows);
      return history.slice(rows);
    },
  } as UpgradeOperations;
}

const step = (name: string, status: string): StepRow =>
  ({ tenantId: 'acme', step: name, status }) as unknown as StepRow;

describe('migrationsToDown', () => {
  it('a migrate step left unfinished: the history after the backup rows, journaled ones included', async () => {
    const asked: number[] = [];
    const todo = await migrationsToDown(ctx, opsWith(['000_old.js', '001_a.js', '002_b.js'], asked), {
      applied: ['001_a.js'],
      backup: backup(1),
      migrateUnfinished: true,
    });
    assert.deepEqual(todo, ['001_a.js', '002_b.js']);
    assert.deepEqual(asked, [1], 'never older than the rows at the pre-upgrade backup');
  });

  it('the journal alone when the step finished, the backup has no historyRows, or no appliedSince', async () => {
    const asked: number[] = [];
    const ops = opsWith(['001_a.js', '002_b.js'], asked);
    const applied = ['001_a.js'];
    assert.deepEqual(await migrationsToDown(ctx, ops, { applied, backup: backup(0) }), applied);
    assert.deepEqual(
      await migrationsToDown(ctx, ops, { applied, backup: backup(), migrateUnfinished: true }),
      applied,
    );
    assert.deepEqual(await migrationsToDown(ctx, ops, { applied, migrateUnfinished: true }), applied);
    assert.deepEqual(asked, []);
    assert.deepEqual(
      await migrationsToDown(ctx, {} as UpgradeOperations, {
        applied,
        backup: backup(0),
        migrateUnfinished: true,
      }),
      applied,
    );
  });

  it('keeps a journaled migration the history no longer holds after those rows, first', async () => {
    // Reverted by a rollback that stopped half-way: `down` skips it, the history's order stays.
    const todo = await migrationsToDown(ctx, opsWith(['002_b.js']), {
      applied: ['001_a.js'],
      backup: backup(0),
      migrateUnfinished: true,
    });
    assert.deepEqual(todo, ['001_a.js', '002_b.js']);
  });
});

describe('migrateLeftUnfinished', () => {
  it("is the last migrate record's: a resume that finished the step journaled what it found", () => {
    assert.equal(migrateLeftUnfinished([step('backup-pre', 'succeeded'), step('migrate', 'running')]), true);
    assert.equal(migrateLeftUnfinished([step('migrate', 'running'), step('migrate', 'succeeded')]), false);
    assert.equal(migrateLeftUnfinished([step('migrate', 'failed')]), false);
    assert.equal(migrateLeftUnfinished([step('backup-pre', 'running')]), false);
  });
});
