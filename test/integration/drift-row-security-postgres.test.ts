// `dbfleet drift` and row-level security: a tenant whose table lost its RLS, or whose policy says
// something else, lets one customer's users see rows the others' do not — drift must say so. Real
// PostgreSQL: four tenants migrated alike, the first two keep RLS as the release made it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli-child.js';
import { migratedDriftFleet } from '../helpers/drift-fleet.js';
import { queryDatabase } from '../helpers/postgres.js';

const RLS = `alter table projects enable row level security;
create policy own_account on projects using (account_id = current_setting('app.account')::int)`;

describe('dbfleet drift: row-level security (PostgreSQL)', () => {
  let fleet: Awaited<ReturnType<typeof migratedDriftFleet>>;
  let dir = '';
  let a = '';
  let b = '';
  let noRls = '';
  let otherPolicy = '';

  before(async () => {
    fleet = await migratedDriftFleet('driftrls', RLS);
    dir = fleet.dir;
    [a, b, noRls, otherPolicy] = fleet.names;
  });

  after(() => fleet.cleanup());

  it('RLS switched off on one tenant and a policy changed on another are drift, each said', async () => {
    await queryDatabase(noRls, 'alter table projects disable row level security');
    await queryDatabase(
      otherPolicy,
      'alter policy own_account on projects using (true) with check (account_id > 0)',
    );
    const run = await runCli(['drift', '--tenants', 'fleet.json', '--json'], { cwd: dir });
    assert.equal(run.code, 1, run.stdout);
    const tenants = JSON.parse(run.stdout).tenants as { id: string; group: number; differences: unknown[] }[];
    const byId = new Map(tenants.map((t) => [t.id, t]));
    assert.equal(byId.get(a)?.group, 1);
    assert.equal(byId.get(b)?.group, 1);
    assert.deepEqual(byId.get(noRls)?.differences, [
      { kind: '-', object: 'table projects row level security', expected: 'enabled', found: null },
    ]);
    assert.deepEqual(byId.get(otherPolicy)?.differences, [
      {
        kind: '~',
        object: 'table projects policy own_account',
        expected: "permissive for all using ((account_id = (current_setting('app.account'::text))::integer))",
        found: 'permissive for all using (true) with check ((account_id > 0))',
      },
    ]);
  });
});
