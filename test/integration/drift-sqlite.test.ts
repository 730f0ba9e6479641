// `dbfleet drift` on SQLite files: tenants are compared only with tenants on the same version.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ROOT, runCli } from '../helpers/cli-child.js';

const MIGRATIONS = join(ROOT, 'test/fixtures/migrations-js');
const LAST = '20240303000000_create_gadgets.js';
const SECOND = '20240302000000_add_widget_color.js';

describe('dbfleet drift (SQLite)', () => {
  const ids = ['s1', 's2', 's3', 's4', 'old1', 'old2'];
  let dir: string;
  let inventory: string;
  const file = (id: string) => join(dir, `${id}.sqlite`);
  const cli = (...args: string[]) => runCli([...args, '--tenants', inventory, '--json'], { cwd: dir });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dbfleet-drift-sqlite-'));
    inventory = join(dir, 'fleet.json');
    for (const id of ids) new Database(file(id)).close();
    writeFileSync(
      inventory,
      JSON.stringify(ids.map((id) => ({ id, dialect: 'sqlite', connection: file(id) }))),
    );
    const common = ['--migrations', MIGRATIONS, '--journal', join(dir, 'j.db')];
    for (const [select, to] of [
      [['--tenant', 'old1', '--tenant', 'old2'], SECOND],
      [['--exclude', 'old1', '--exclude', 'old2'], LAST],
    ] as const) {
      const run = await cli('migrate', ...select, '--to', to, ...common);
      assert.equal(run.code, 0, run.stderr);
    }
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('two versions, no drift: exit 0, a group per version', async () => {
    const run = await cli('drift');
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(
      report.drift.versions.map((v: { version: string; tenants: number }) => [v.version, v.tenants]),
      [
        [SECOND, 2],
        [LAST, 4],
      ],
    );
  });

  it('an extra index and a dropped column: exit 1, both described', async () => {
    const change = (id: string, sql: string) => {
      const db = new Database(file(id));
      db.exec(sql);
      db.close();
    };
    change('s2', 'create index widgets_name on widgets (name)');
    change('s4', 'alter table widgets drop column color');
    const run = await cli('drift');
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout);
    const byId = new Map(report.tenants.map((t: { id: string }) => [t.id, t]));
    const diff = (id: string) =>
      (byId.get(id) as { differences: { kind: string; object: string }[] }).differences.map(
        (d) => `${d.kind} ${d.object}`,
      );
    assert.deepEqual(diff('s2'), ['+ index widgets_name']);
    assert.deepEqual(diff('s4'), ['- column widgets.color']);
    assert.deepEqual(diff('s1'), []);
    assert.deepEqual(diff('old1'), []);
  });
});
