// An upgrade run that `rollback --run` undid was still taken for a standing one:
// - `restore --tenant a --yes` (latest) restored the run's post-upgrade backup — the newest verified one —
//   so it silently re-applied the upgrade that had just been rolled back, and its output did not say
//   which backup (run, version, time) came back. `latest` now passes over a rolled-back run's
//   post-upgrade backup, says so in the tenant's notes, and every restore says what it restored;
//   `--backup <path>` still restores it on purpose.
// - `report --run <upgrade run>` presented it as a plain success. It now says, at the top and per
//   tenant, which rollback runs undid it, when, how, and for which tenants (a rollback can be partial).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { restore } from '../../src/backup/fleet.js';
import { renderReportTable } from '../../src/cli/render/report-table.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { runTenants } from '../../src/journal/read.js';
import { readJournal } from '../../src/journal/use.js';
import { renderReportHtml, renderReportJson, renderReportMarkdown, report } from '../../src/report/index.js';
import type { FleetDocument } from '../../src/report/types.js';
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

describe('report --run of an upgrade run rolled back later', () => {
  let doc: FleetDocument;
  before(async () => {
    doc = await report({ journal, runId: run });
  });
  const line = () =>
    `ROLLED BACK: 2 of 3 tenant(s) — by rollback run ${rollbacks.a.run} (restore, finished ${utcStamp(rollbacks.a.at)}): a; by rollback run ${rollbacks.b.run} (down, finished ${utcStamp(rollbacks.b.at)}): b`;
  const tenantProblem = (id: 'a' | 'b', how: string) =>
    `rolled back by rollback run ${rollbacks[id].run} on ${utcStamp(rollbacks[id].at)} (${how})`;

  it('json: which rollback runs, how, when and for which tenants — at the top and per tenant', () => {
    const json = JSON.parse(renderReportJson(doc)) as FleetDocument;
    assert.equal(json.rolledBack?.tenants, 2);
    assert.deepEqual(
      json.rolledBack?.runs.map((r) => [r.runId, r.with, r.status, r.tenants]),
      [
        [rollbacks.a.run, 'restore', 'finished', ['a']],
        [rollbacks.b.run, 'down', 'finished', ['b']],
      ],
    );
    const tenant = (id: string) => json.tenants.find((t) => t.id === id)!;
    assert.deepEqual(tenant('a').rolledBack, {
      runId: rollbacks.a.run,
      with: 'restore',
      at: new Date(rollbacks.a.at).toISOString(),
    });
    assert.equal(tenant('b').rolledBack?.with, 'down');
    assert.equal(tenant('c').rolledBack, undefined);
    assert.ok(tenant('a').problems.includes(tenantProblem('a', 'its pre-upgrade backup restored')));
    assert.ok(tenant('b').problems.includes(tenantProblem('b', 'its migrations reverted')));
    assert.deepEqual(tenant('c').problems, []);
    // The existing fields keep their meaning: the run itself finished, its tenants succeeded.
    assert.equal(json.run.status, 'finished');
    assert.equal(json.summary.succeeded, 3);
  });

  it('md, html and the table say it near the top, and per tenant', () => {
    const md = renderReportMarkdown(doc);
    const top = md.split('## Summary')[0]!;
    assert.ok(top.includes(`**${line().replace(/_/g, '\\_')}**`), top);
    const rowOf = (id: string) => md.split('\n').findLast((l) => l.startsWith(`| ${id} |`))!;
    assert.ok(rowOf('a').includes(tenantProblem('a', 'its pre-upgrade backup restored')), rowOf('a'));
    assert.ok(rowOf('b').includes(tenantProblem('b', 'its migrations reverted')), rowOf('b'));
    assert.ok(!rowOf('c').includes('rolled back'), rowOf('c'));
    const html = renderReportHtml(doc);
    assert.ok(html.includes(`<p class="bad" id="rolled-back"><b>${line()}</b></p>`));
    assert.ok(html.includes(tenantProblem('a', 'its pre-upgrade backup restored')));
    const table = renderReportTable(doc, { width: 400 });
    assert.equal(table.split('\n')[2], line());
  });
});
