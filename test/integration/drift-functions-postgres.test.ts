// `dbfleet drift` and functions: a trigger function hotfixed on one tenant (the classic drift: the
// release's code is no longer what runs there), or one left behind by a hand-made fix, was "no drift" —
// only tables, indexes, constraints, triggers, views and types were compared. Real PostgreSQL: four
// tenants migrated alike, each given the release's trigger function.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-child.js';
import { migratedDriftFleet } from '../helpers/drift-fleet.js';
import { queryDatabase } from '../helpers/postgres.js';

const TOUCH = `create function touch() returns trigger language plpgsql as $$
begin new.updated_at := now(); return new; end $$`;

describe('dbfleet drift: functions (PostgreSQL)', () => {
  let fleet: Awaited<ReturnType<typeof migratedDriftFleet>>;
  let dir = '';
  let a = '';
  let b = '';
  let hotfixed = '';
  let extra = '';

  before(async () => {
    fleet = await migratedDriftFleet('driftfn', TOUCH);
    dir = fleet.dir;
    [a, b, hotfixed, extra] = fleet.names;
  });

  after(() => fleet.cleanup());

  it('a function whose body was changed on one tenant, and one only another has, are drift', async () => {
    await queryDatabase(
      hotfixed,
      `create or replace function touch() returns trigger language plpgsql as $$
       begin new.updated_at := clock_timestamp(); return new; end $$`,
    );
    await queryDatabase(
      extra,
      "create function hotfix_cleanup(days int) returns void language sql as 'select 1'",
    );
    const run = await runCli(['drift', '--tenants', 'fleet.json', '--json'], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    const tenants = JSON.parse(run.stdout).tenants as {
      id: string;
      group: number;
      differences: { kind: string; object: string; expected: string | null; found: string | null }[];
    }[];
    const byId = new Map(tenants.map((t) => [t.id, t]));
    assert.equal(byId.get(a)?.group, byId.get(b)?.group);
    const [changed] = byId.get(hotfixed)?.differences ?? [];
    assert.equal(changed?.kind, '~');
    assert.equal(changed?.object, 'function touch()');
    assert.match(changed?.expected ?? '', /^plpgsql volatile returns trigger, body [0-9a-f]{12}$/);
    assert.notEqual(changed?.found, changed?.expected);
    assert.deepEqual(byId.get(extra)?.differences, [
      {
        kind: '+',
        object: 'function hotfix_cleanup(days integer)',
        expected: null,
        found: byId.get(extra)?.differences[0]?.found,
      },
    ]);
    assert.match(byId.get(extra)?.differences[0]?.found ?? '', /^sql volatile returns void, body /);
  });
});
