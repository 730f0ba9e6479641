import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProblem, planMigrations } from '../../src/migration/planner.js';
import type { AppliedMigration } from '../../src/migration/types.js';

const files = (...names: string[]) => names.map((name) => ({ name, checksum: `sum-${name}` }));
const applied = (...names: string[]): AppliedMigration[] =>
  names.map((name, i) => ({ id: i + 1, name, batch: 1 }));
const recordedFor = (...names: string[]) => new Map(names.map((n) => [n, `sum-${n}`]));

describe('planMigrations', () => {
  it('everything is pending on a fresh tenant, in name order', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts', '003_c.sql'),
      applied: [],
      recorded: new Map(),
    });
    assert.deepEqual(plan, {
      current: null,
      pending: ['001_a.ts', '002_b.ts', '003_c.sql'],
      problems: [],
      adopt: [],
    });
  });

  it('nothing is pending when everything is applied with matching checksums', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts'),
      applied: applied('001_a.ts', '002_b.ts'),
      recorded: recordedFor('001_a.ts', '002_b.ts'),
    });
    assert.deepEqual(plan, { current: '002_b.ts', pending: [], problems: [], adopt: [] });
  });

  it('pending is only what is not applied; current is the newest applied row (id order)', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts', '003_c.ts'),
      applied: applied('001_a.ts'),
      recorded: recordedFor('001_a.ts'),
    });
    assert.equal(plan.current, '001_a.ts');
    assert.deepEqual(plan.pending, ['002_b.ts', '003_c.ts']);
    assert.deepEqual(plan.problems, []);
  });

  it('an edited applied migration is a problem naming it, with both checksums', () => {
    const plan = planMigrations({
      available: [{ name: '001_a.ts', checksum: 'new' }, ...files('002_b.ts')],
      applied: applied('001_a.ts'),
      recorded: new Map([['001_a.ts', 'old']]),
    });
    assert.deepEqual(plan.problems, [{ kind: 'edited', name: '001_a.ts', recorded: 'old', current: 'new' }]);
    assert.match(describeProblem(plan.problems[0]!), /001_a\.ts was edited/);
    assert.match(describeProblem(plan.problems[0]!), /dbfleet repair/);
  });

  it('an applied migration whose file is gone is a problem', () => {
    const plan = planMigrations({
      available: files('002_b.ts'),
      applied: applied('001_a.ts'),
      recorded: recordedFor('001_a.ts'),
    });
    assert.deepEqual(plan.problems, [{ kind: 'missing', name: '001_a.ts' }]);
    assert.match(
      describeProblem(plan.problems[0]!, '/srv/migrations'),
      /001_a\.ts is applied but its file is missing in \/srv\/migrations/,
    );
  });

  it('applied migrations without a recorded checksum (knex applied them) are adopted, not flagged', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts', '003_c.ts'),
      applied: applied('001_a.ts', '002_b.ts'),
      recorded: new Map(),
    });
    assert.deepEqual(plan.adopt, ['001_a.ts', '002_b.ts']);
    assert.deepEqual(plan.pending, ['003_c.ts']);
    assert.deepEqual(plan.problems, []);
  });

  it('a pending migration sorting before the newest applied one is out of order, unless allowed', () => {
    const input = {
      available: files('001_a.ts', '002_b.ts', '003_c.ts'),
      applied: applied('001_a.ts', '003_c.ts'),
      recorded: recordedFor('001_a.ts', '003_c.ts'),
    };
    const refused = planMigrations(input);
    assert.deepEqual(refused.problems, [
      { kind: 'out-of-order', name: '002_b.ts', newestApplied: '003_c.ts' },
    ]);
    assert.match(describeProblem(refused.problems[0]!), /--allow-out-of-order/);
    const allowed = planMigrations({ ...input, allowOutOfOrder: true });
    assert.deepEqual(allowed.problems, []);
    assert.deepEqual(allowed.pending, ['002_b.ts']);
  });

  it('a pending migration newer than every applied one is not out of order', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts'),
      applied: applied('001_a.ts'),
      recorded: recordedFor('001_a.ts'),
    });
    assert.deepEqual(plan.problems, []);
  });

  it('`to` stops after the named migration (inclusive)', () => {
    const plan = planMigrations({
      available: files('001_a.ts', '002_b.ts', '003_c.ts'),
      applied: [],
      recorded: new Map(),
      to: '002_b.ts',
    });
    assert.deepEqual(plan.pending, ['001_a.ts', '002_b.ts']);
  });

  it('reports every problem at once', () => {
    const plan = planMigrations({
      available: [{ name: '001_a.ts', checksum: 'edited' }, ...files('002_b.ts', '004_d.ts')],
      applied: applied('001_a.ts', '003_c.ts', '004_d.ts'),
      recorded: new Map([
        ['001_a.ts', 'original'],
        ['003_c.ts', 'x'],
        ['004_d.ts', 'sum-004_d.ts'],
      ]),
    });
    assert.deepEqual(plan.problems.map((p) => `${p.kind}:${p.name}`).sort(), [
      'edited:001_a.ts',
      'missing:003_c.ts',
      'out-of-order:002_b.ts',
    ]);
  });

  it('is pure: the same input gives the same plan and the input is not mutated', () => {
    const input = {
      available: files('002_b.ts', '001_a.ts'),
      applied: applied('001_a.ts'),
      recorded: recordedFor('001_a.ts'),
    };
    const snapshot = structuredClone(input);
    assert.deepEqual(planMigrations(input), planMigrations(input));
    assert.deepEqual(input, snapshot);
  });

  // knex's order with sortDirsSeparately is folder after folder, not the names' order: a plugin's
  // migration dated before the newest core one is not out of order, and `to` cuts in that order.
  it("out of order and --to follow knex's order of the files, not the order of their names", () => {
    const available = files(
      '20240105_core_base.js',
      '20240106_core_next.js',
      '20240101_plugin_a.js',
      '20240104_plugin_c.js',
    );
    const history = applied('20240105_core_base.js', '20240106_core_next.js', '20240101_plugin_a.js');
    const recorded = recordedFor('20240105_core_base.js', '20240106_core_next.js', '20240101_plugin_a.js');
    const plan = planMigrations({ available, applied: history, recorded });
    assert.deepEqual([plan.pending, plan.problems], [['20240104_plugin_c.js'], []]);
    const upTo = planMigrations({
      available,
      applied: applied('20240105_core_base.js'),
      recorded,
      to: '20240101_plugin_a.js',
    });
    assert.deepEqual([upTo.pending, upTo.problems], [['20240106_core_next.js', '20240101_plugin_a.js'], []]);
    const late = planMigrations({
      available: files('20240105_core_base.js', '20240101_plugin_a.js', '20240106_plugin_b.js'),
      applied: applied('20240105_core_base.js', '20240106_plugin_b.js'),
      recorded: recordedFor('20240105_core_base.js', '20240106_plugin_b.js'),
    });
    assert.deepEqual(late.problems, [
      { kind: 'out-of-order', name: '20240101_plugin_a.js', newestApplied: '20240106_plugin_b.js' },
    ]);
  });

  it("a pending migration knex would refuse is a problem, named in knex's words; an applied one is not", () => {
    const available = [
      { name: '001_a.js', checksum: 'sum-001_a.js', invalid: 'must have both an up and down function' },
      { name: '002_b.js', checksum: 'sum-002_b.js', invalid: 'must have both an up and down function' },
    ];
    const plan = planMigrations({
      available,
      applied: applied('001_a.js'),
      recorded: recordedFor('001_a.js'),
    });
    assert.deepEqual(plan.problems, [
      { kind: 'invalid', name: '002_b.js', why: 'must have both an up and down function' },
    ]);
    assert.equal(
      describeProblem(plan.problems[0]!),
      'invalid migration: 002_b.js must have both an up and down function',
    );
  });
});
