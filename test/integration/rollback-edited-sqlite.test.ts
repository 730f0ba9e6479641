// A migration edited after it was applied is refused by `migrate` (CHECKSUM_MISMATCH), but `rollback`
// and `rollback --run --with down` ran the edited down() — here one that drops more than its up made.
// Both now refuse it before running any down, as migrate does; `dbfleet repair` accepts the edit (which a
// new process then runs: this one still holds the module it loaded before the edit).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { migrate, repair, rollback } from '../../src/index.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import { upgrade } from '../../src/upgrade/upgrade.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const INDEX = new URL('../../src/index.ts', import.meta.url).href;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-rollback-edited-'));
after(() => rmSync(root, { recursive: true, force: true }));

const NOTES = `exports.up = (knex) => knex.schema.createTable('notes', (t) => { t.increments('id'); });
exports.down = (knex) => knex.schema.dropTable('notes');`;
// The edit: its down now also drops the customers' table.
const NOTES_EDITED = `exports.up = (knex) => knex.schema.createTable('notes', (t) => { t.increments('id'); });
exports.down = async (knex) => { await knex.schema.dropTable('notes'); await knex.schema.dropTable('customers'); };`;

function fixture(label: string) {
  const dir = join(root, label);
  const migrations = join(dir, 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(join(migrations, '001_notes.js'), NOTES);
  const file = join(dir, 'acme.sqlite');
  const db = new Database(file);
  db.exec('create table customers (id integer primary key); insert into customers values (1)');
  db.close();
  const tenants = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: file }], 'test');
  const tables = () => {
    const d = new Database(file, { readonly: true });
    try {
      return (
        d
          .prepare(
            "select name from sqlite_master where type = 'table' and name in ('customers', 'notes') order by name",
          )
          .all() as { name: string }[]
      ).map((r) => r.name);
    } finally {
      d.close();
    }
  };
  const edit = () => writeFileSync(join(migrations, '001_notes.js'), NOTES_EDITED);
  return { dir, migrations, tenants, tables, edit };
}

it('rollback refuses a migration edited since it was applied; repair accepts it', async () => {
  const f = fixture('plain');
  assert.equal((await migrate({ tenants: f.tenants, migrations: f.migrations })).ok, true);
  f.edit();
  const refused = (await rollback({ tenants: f.tenants, migrations: f.migrations })).tenants[0];
  assert.equal(refused?.status, 'failed');
  assert.equal(refused?.error?.code, 'CHECKSUM_MISMATCH', JSON.stringify(refused?.error));
  assert.match(refused?.error?.message ?? '', /001_notes\.js was edited after it was applied/);
  assert.deepEqual(f.tables(), ['customers', 'notes'], 'no down ran');

  assert.equal((await repair({ tenants: f.tenants, migrations: f.migrations })).ok, true);
  // This process still holds the module it loaded before the edit: its down is not the file's. It used to
  // run anyway (the old down, while the edited one was what had been accepted); it is refused now.
  const stale = (await rollback({ tenants: f.tenants, migrations: f.migrations })).tenants[0];
  assert.equal(stale?.status, 'failed');
  assert.match(
    stale?.error?.message ?? '',
    /changed since this process first loaded it.*restart the process/,
  );
  assert.deepEqual(f.tables(), ['customers', 'notes'], 'no down ran');
  // A new process runs the accepted edit: its down drops the customers' table too.
  const script = `import { rollback, validateInventory } from ${JSON.stringify(INDEX)};
const tenants = validateInventory([{ id: 'acme', dialect: 'sqlite', connection: ${JSON.stringify(join(f.dir, 'acme.sqlite'))} }], 'test');
const r = await rollback({ tenants, migrations: ${JSON.stringify(f.migrations)} });
process.stdout.write(JSON.stringify(r.tenants[0]));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(JSON.parse(out).status, 'succeeded', out);
  assert.deepEqual(f.tables(), [], 'the edited down ran');
});

it('rollback --run --with down refuses it too', async () => {
  const f = fixture('run');
  const setup = {
    tenants: f.tenants,
    migrations: f.migrations,
    backupDir: join(f.dir, 'backups'),
    journal: join(f.dir, 'journal.db'),
  };
  const up = await upgrade({ ...(await prepareUpgrade(setup)), tenants: f.tenants, concurrency: 1 });
  assert.equal(up.ok, true, JSON.stringify(up.tenants));
  f.edit();
  const report = await rollbackRun({
    ...(await prepareUpgrade(setup)),
    tenants: f.tenants,
    journal: setup.journal,
    run: up.runId!,
    with: 'down',
    concurrency: 1,
  });
  assert.equal(report.tenants[0]?.status, 'failed');
  assert.equal(report.tenants[0]?.error?.code, 'CHECKSUM_MISMATCH', JSON.stringify(report.tenants[0]?.error));
  assert.deepEqual(f.tables(), ['customers', 'notes'], 'no down ran');
});

// Run A applied 001; then 002 went on top. `rollback --run A --with down` ran 001's down under 002's
// schema (here it dropped the table 002 had just filled), and a restore of A's pre-upgrade backup undid a
// later upgrade with it, unjournaled. knex's rollback only takes the last batch.
async function upgradedTwice(label: string, second: 'migrate' | 'upgrade') {
  const f = fixture(label);
  const setup = {
    tenants: f.tenants,
    migrations: f.migrations,
    backupDir: join(f.dir, 'backups'),
    journal: join(f.dir, 'journal.db'),
  };
  const a = await upgrade({ ...(await prepareUpgrade(setup)), tenants: f.tenants, concurrency: 1 });
  assert.equal(a.ok, true, JSON.stringify(a.tenants));
  writeFileSync(
    join(f.migrations, '002_note_rows.js'),
    "exports.up = (knex) => knex('notes').insert({ id: 1 });\nexports.down = (knex) => knex('notes').del();\n",
  );
  const b =
    second === 'upgrade'
      ? await upgrade({ ...(await prepareUpgrade(setup)), tenants: f.tenants, concurrency: 1 })
      : await migrate({ tenants: f.tenants, migrations: f.migrations });
  assert.equal(b.ok, true, JSON.stringify(b.tenants));
  const rollbackA = async (how: 'down' | 'restore') =>
    (
      await rollbackRun({
        ...(await prepareUpgrade(setup)),
        tenants: f.tenants,
        journal: setup.journal,
        run: a.runId!,
        with: how,
        concurrency: 1,
      })
    ).tenants[0];
  return { f, b, rollbackA };
}

const noteRows = (f: ReturnType<typeof fixture>) => {
  const db = new Database(join(f.dir, 'acme.sqlite'), { readonly: true });
  try {
    return (db.prepare('select count(*) as n from notes').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

it('rollback --run <older run> --with down refuses while migrations applied since are on top', async () => {
  const { f, rollbackA } = await upgradedTwice('newer-migrate', 'migrate');
  const tenant = await rollbackA('down');
  assert.equal(tenant?.error?.code, 'NEWER_MIGRATIONS_APPLIED', JSON.stringify(tenant));
  assert.match(tenant?.error?.message ?? '', /002_note_rows\.js was applied after them/);
  assert.deepEqual(f.tables(), ['customers', 'notes'], 'no down ran');
  assert.equal(noteRows(f), 1);
});

it('rollback --run <older run> refuses a tenant a later upgrade run changed, with restore and with down', async () => {
  const { f, b, rollbackA } = await upgradedTwice('newer-upgrade', 'upgrade');
  for (const how of ['restore', 'down'] as const) {
    const tenant = await rollbackA(how);
    assert.equal(tenant?.error?.code, 'NEWER_UPGRADE_APPLIED', `${how}: ${JSON.stringify(tenant)}`);
    assert.match(
      tenant?.error?.message ?? '',
      new RegExp(`roll that run back first \\(rollback --run ${b.runId}\\)`),
    );
    assert.deepEqual(f.tables(), ['customers', 'notes'], `${how}: untouched`);
    assert.equal(noteRows(f), 1, `${how}: the later run's row is still there`);
  }
});
