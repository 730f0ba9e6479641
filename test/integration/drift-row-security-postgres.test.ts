// `dbfleet drift` and row-level security: a tenant whose table lost its RLS, or whose policy says
// something else, lets one customer's users see rows the others' do not — drift must say so. Real
// PostgreSQL: four tenants migrated alike, the first two keep RLS as the release made it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const RLS = `alter table projects enable row level security;
create policy own_account on projects using (account_id = current_setting('app.account')::int)`;

describe('dbfleet drift: row-level security (PostgreSQL)', () => {
  const prefix = uniquePrefix('driftrls');
  const names = ['a', 'b', 'c', 'd'].map((s) => `${prefix}_${s}`);
  const [a, b, noRls, otherPolicy] = names as [string, string, string, string];
  let dir: string;

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-drift-rls-'));
    writeFileSync(
      join(dir, 'fleet.json'),
      JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: pgUrl(n) }))),
    );
    const migrate = await runCli(
      ['migrate', '--tenants', 'fleet.json', '--migrations', BASIC, '--journal', join(dir, 'j.db')],
      { cwd: dir },
    );
    assert.equal(migrate.code, 0, migrate.stderr);
    for (const n of names) await queryDatabase(n, RLS);
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

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
