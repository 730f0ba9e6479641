import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadMigrationDirectories } from '../../src/migration/load-directories.js';
import { describeProblem, planMigrations } from '../../src/migration/planner.js';

// knex's `sortDirsSeparately` runs folder after folder; a project adds new migrations to any folder and
// knex runs them. Each folder is its own sequence for dbfleet's out-of-order check.
describe('sortDirsSeparately: out of order within a folder only', () => {
  const root = mkdtempSync(join(tmpdir(), 'dbfleet-sortdirs-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const core = join(root, 'core');
  const billing = join(root, 'billing');
  const write = (dir: string, name: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), 'exports.up = async () => {};\nexports.down = async () => {};\n');
  };
  write(core, '20250101000000_users.js');
  write(core, '20250201000000_teams.js');
  write(billing, '20250101000000_invoices.js');
  const applied = ['20250101000000_users.js', '20250101000000_invoices.js'];

  const plan = async (sortDirsSeparately: boolean, names = applied) => {
    const available = await loadMigrationDirectories({ directories: [core, billing], sortDirsSeparately });
    const recorded = new Map(available.map((m) => [m.name, m.checksum]));
    return planMigrations({
      available,
      applied: names.map((name, i) => ({ id: i + 1, name, batch: 1 })),
      recorded,
    });
  };

  it('a new migration of a folder that is not the last runs, as knex runs it', async () => {
    const p = await plan(true);
    assert.deepEqual([p.pending, p.problems], [['20250201000000_teams.js'], []]);
  });

  it('one that sorts before an applied migration of its own folder is refused, naming the folder', async () => {
    write(core, '20241201000000_early.js');
    try {
      const p = await plan(true);
      assert.deepEqual(p.problems, [
        {
          kind: 'out-of-order',
          name: '20241201000000_early.js',
          newestApplied: '20250101000000_users.js',
          folder: core,
        },
      ]);
      assert.match(describeProblem(p.problems[0]!), new RegExp(`newest applied one of its folder ${core} `));
    } finally {
      rmSync(join(core, '20241201000000_early.js'));
    }
  });

  it('without sortDirsSeparately the folders are one sequence, sorted by name, as before', async () => {
    const p = await plan(false);
    assert.deepEqual([p.pending, p.problems], [['20250201000000_teams.js'], []]);
    write(billing, '20250115000000_refunds.js');
    try {
      const q = await plan(false, [...applied, '20250201000000_teams.js']);
      assert.deepEqual(
        q.problems.map((x) => [x.kind, x.name]),
        [['out-of-order', '20250115000000_refunds.js']],
      );
      assert.doesNotMatch(describeProblem(q.problems[0]!), /folder/);
    } finally {
      rmSync(join(billing, '20250115000000_refunds.js'));
    }
  });
});
