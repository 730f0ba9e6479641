// An upgrade run that `rollback --run` undid was still taken for a standing one:
// - `restore --tenant a --yes` (latest) restored the run's post-upgrade backup — the newest verified one —
//   so it silently re-applied the upgrade that had just been rolled back, and its output did not say
//   which backup (run, version, time) came back. `latest` now passes over a rolled-back run's
//   post-upgrade backup, says so in the tenant's notes, and every restore says what it restored;
//   `--backup <path>` still restores it on purpose.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { restore } from '../../src/backup/fleet.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { runTenants } from '../../src/journal/read.js';
import { readJournal } from '../../src/journal/use.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { rollbackRun } from '../../src/upgrade/rollback-run.js';
import type { UpgradeDetails } from '../../src/upgrade/types.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { runCli } from '../helpers/cli-child.js';

/** `2024-05-01 10:22:03Z`, as the messages write times (kept here: the test runs on the old code too). */
const utcStamp = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-rolled-back-run-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const journal = join(dir, 'journal.db');
const backupDir = join(dir, 'backups');
const ids = ['a', 'b', 'c'] as const;
const file = (id: string) => join(dir, `${id}.sqlite`);
const hasItems = (id: string) => {
  const db = new Database(file(id), { readonly: true });
  try {
    return db.prepare("select name from sqlite_master where name = 'items'").get() !== undefined;
  } finally {
    db.close();
  }
};

let tenants: Tenant[] = [];
const only = (id: string) => tenants.filter((t) => t.id === id);
let run = '';
/** Each tenant's pre- and post-upgrade backups of the run. */
const backups = new Map<string, { pre: string; post: string }>();
/** a: rolled back with restore; b: with down; c: not rolled back. */
const rollbacks = { a: { run: '', at: 0 }, b: { run: '', at: 0 } };

async function restoreOne(id: string, backup?: string) {
  const r = await restore({
    tenants: only(id),
    backupDir,
    journal,
    yes: true,
    ...(backup ? { backup } : {}),
  });
  assert.equal(r.ok, true, JSON.stringify(r.tenants));
  return r.tenants[0]!.details as BackupDetails;
}

before(async () => {
  for (const id of ids) {
    const db = new Database(file(id));
    db.exec(
      "create table customers (id integer primary key, name text); insert into customers (name) values ('x')",
    );
    db.close();
  }
  mkdirSync(join(dir, 'migrations'));
  writeFileSync(
    join(dir, 'migrations', '001_items.js'),
    "exports.up = (knex) => knex.schema.createTable('items', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('items');\n",
  );
  const inventory = ids.map((id) => ({ id, dialect: 'sqlite', connection: file(id) }));
  writeFileSync(join(dir, 'tenants.json'), JSON.stringify(inventory));
  tenants = validateInventory(inventory, 'test');
  const prepared = await prepareUpgrade({ tenants, migrations: join(dir, 'migrations'), backupDir, journal });
  const up = await upgrade({ ...prepared, tenants, concurrency: 1 });
  assert.equal(up.ok, true, JSON.stringify(up.tenants));
  run = up.runId!;
  for (const t of up.tenants) {
    const { pre, post } = (t.details as UpgradeDetails).backups;
    assert.ok(pre && post, JSON.stringify(t.details));
    backups.set(t.id, { pre, post });
  }
  for (const [id, how] of [
    ['a', 'restore'],
    ['b', 'down'],
  ] as const) {
    const undone = await rollbackRun({
      ...prepared,
      tenants: only(id),
      inventory: tenants,
      run,
      with: how,
      concurrency: 1,
    });
    assert.equal(undone.ok, true, JSON.stringify(undone.tenants));
    const row = (await readJournal(journal, (k) => runTenants(k, undone.runId!)))[0]!;
    rollbacks[id] = { run: undone.runId!, at: row.finishedAt! };
  }
  assert.deepEqual(ids.map(hasItems), [false, false, true]);
});

describe('restore --backup latest after rollback --run', () => {
  const skipped = (id: 'a' | 'b', how: string) =>
    `skipped the post-upgrade backup of run ${run} (rolled back on ${utcStamp(rollbacks[id].at)} by rollback run ${rollbacks[id].run}, with ${how}): ${backups.get(id)!.post} — name it with --backup to restore it anyway`;

  it('passes over the post-upgrade backup of the run rolled back with restore, and says which it restored', async () => {
    const details = await restoreOne('a');
    assert.equal(details.backup?.path, backups.get('a')!.pre);
    assert.deepEqual(details.restoredFrom, {
      path: backups.get('a')!.pre,
      takenAt: details.restoredFrom?.takenAt,
      run,
      stage: 'pre',
      migration: null,
    });
    assert.match(details.restoredFrom?.takenAt ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(details.notes, [skipped('a', 'restore')]);
    assert.equal(hasItems('a'), false, 'the rolled-back upgrade is not re-applied');
  });

  it('and the post-upgrade backup of the run rolled back with down', async () => {
    const details = await restoreOne('b');
    assert.equal(details.backup?.path, backups.get('b')!.pre);
    assert.equal(details.restoredFrom?.path, backups.get('b')!.pre);
    assert.equal(details.restoredFrom?.migration, null);
    assert.deepEqual(details.notes, [skipped('b', 'down')]);
    assert.equal(hasItems('b'), false);
  });

  it('a tenant the run was not rolled back for restores its post-upgrade backup, named as such', async () => {
    const details = await restoreOne('c');
    assert.deepEqual(
      { ...details.restoredFrom, takenAt: undefined },
      { path: backups.get('c')!.post, takenAt: undefined, run, stage: 'post', migration: '001_items.js' },
    );
    assert.equal(details.notes, undefined);
  });

  it('the CLI table says which backup it restored and which it skipped', async () => {
    const r = await runCli(
      [
        'restore',
        '--tenant',
        'a',
        '--yes',
        ...['--tenants', 'tenants.json', '--migrations', 'migrations'],
        ...['--journal', journal, '--backup-dir', backupDir],
      ],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const pre = backups.get('a')!.pre;
    assert.match(
      r.stdout,
      new RegExp(
        `\\na: restored ${pre} — the pre-upgrade backup of run ${run}, taken \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ; holds no migration\\n`,
      ),
    );
    assert.ok(r.stdout.includes(`\na: ${skipped('a', 'restore')}`), r.stdout);
  });

  it('--backup naming the rolled-back post-upgrade backup still restores it, and says so', async () => {
    const post = backups.get('a')!.post;
    const details = await restoreOne('a', post);
    assert.equal(details.restoredFrom?.path, post);
    assert.equal(details.restoredFrom?.stage, 'post');
    assert.equal(details.restoredFrom?.migration, '001_items.js');
    assert.equal(details.notes, undefined);
    assert.equal(hasItems('a'), true);
  });
});
