// `dbfleet drift` and functions: a trigger function hotfixed on one tenant (the classic drift: the
// release's code is no longer what runs there), or one left behind by a hand-made fix, was "no drift" —
// only tables, indexes, constraints, triggers, views and types were compared. Real PostgreSQL: four
// tenants migrated alike, each given the release's trigger function.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli-child.js';
import { createDatabases, dropDatabases, pgUrl, queryDatabase, uniquePrefix } from '../helpers/postgres.js';

const BASIC = join(ROOT, 'test/fixtures/migrations-basic');
const TOUCH = `create function touch() returns trigger language plpgsql as $$
begin new.updated_at := now(); return new; end $$`;

describe('dbfleet drift: functions (PostgreSQL)', () => {
  const prefix = uniquePrefix('driftfn');
  const names = ['a', 'b', 'c', 'd'].map((s) => `${prefix}_${s}`);
  const [a, b, hotfixed, extra] = names as [string, string, string, string];
  let dir: string;

  before(async () => {
    await createDatabases(names);
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-drift-fn-'));
    writeFileSync(
      join(dir, 'fleet.json'),
      JSON.stringify(names.map((n) => ({ id: n, dialect: 'postgres', connection: pgUrl(n) }))),
    );
    const migrate = await runCli(
      ['migrate', '--tenants', 'fleet.json', '--migrations', BASIC, '--journal', join(dir, 'j.db')],
      { cwd: dir },
    );
    assert.equal(migrate.code, 0, migrate.stderr);
    for (const n of names) await queryDatabase(n, TOUCH);
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

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
