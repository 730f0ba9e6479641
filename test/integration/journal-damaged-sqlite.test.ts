// A SQLite journal SQLite still opens but whose pages are damaged (bytes overwritten in its middle) was found
// only by the upgrade's first write into a damaged page: after the first tenant's beforeTenant hook had
// closed it — that tenant then failed CORRUPT, blamed on the tenant, and left closed. Damage elsewhere let the
// run go on with its record partly unreadable. Now a command that records changes to tenants checks the
// journal's pages first (PRAGMA quick_check) and refuses with exit 2, naming the journal and the way on;
// a report that comes upon a damaged page says the same instead of SQLite's bare "malformed".
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { UsageError } from '../../src/core/errors.js';
import { Journal } from '../../src/journal/journal.js';
import { report } from '../../src/report/report.js';
import { runCli } from '../helpers/cli-child.js';
import { recordRun, type TenantSpec } from '../helpers/journal-runs.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-journal-damaged-'));
const journalPath = join(dir, 'journal.db');
const otherPath = join(dir, 'other-journal.db');
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs')], { cwd: dir, env: {} });
const tablesOf = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return (db.prepare('select name from sqlite_master').all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
};
const STEPS = ['before-tenant', 'backup-pre', 'verify-pre', 'migrate', 'optimize', 'checks', 'backup-post'];

/**
 * Overwrites 200 bytes of the steps table's last leaf page — where the next run's steps are written — from
 * `at`: 0, its header (SQLite cannot walk the page: quick_check fails); 8, its cells' offsets (quick_check
 * lists them).
 */
function damageLastStepsPage(file: string, at: number): void {
  const db = new Database(file);
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const leaves = db
    .prepare("select pageno from dbstat where name = 'dbfleet_run_steps' and pagetype = 'leaf' order by path")
    .pluck()
    .all() as number[];
  db.close();
  assert.ok(leaves.length > 2, 'the steps fill several pages: the damage is in the middle of the file');
  assert.equal(existsSync(`${file}-wal`), false, 'closed, the journal is one file');
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, Buffer.alloc(200, 0xa5), 0, 200, (leaves.at(-1)! - 1) * pageSize + at);
  } finally {
    closeSync(fd);
  }
}

before(async () => {
  writeSqliteUpgradeFleet(dir);
  // An earlier run of 100 tenants: its steps fill many pages, the last of them damaged below.
  const tenants: TenantSpec[] = Array.from({ length: 100 }, (_, i) => ({
    id: `old-${i}`,
    steps: STEPS.map((step) => ({ step, data: { note: 'x'.repeat(40) } })),
    result: { status: 'succeeded', durationMs: 5 },
  }));
  const journal = await Journal.open(journalPath);
  await recordRun(journal, { runId: '20250101T000000Z-0001', command: 'upgrade', tenants });
  await journal.close();
  copyFileSync(journalPath, otherPath);
  damageLastStepsPage(journalPath, 0);
  damageLastStepsPage(otherPath, 8);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a damaged SQLite journal', () => {
  it('upgrade refuses it with exit 2 before any tenant is closed, migrated or backed up', async () => {
    const run = await dbfleet('upgrade', '--json');
    assert.equal(run.code, 2, run.stderr);
    const doc = JSON.parse(run.stdout) as { error?: { code: string; message: string } };
    assert.equal(doc.error?.code, 'USAGE_ERROR');
    const message = doc.error?.message ?? '';
    assert.ok(message.includes(`the journal ${journalPath} is damaged`), message);
    assert.match(message, /nothing was changed\. Move it aside/);
    for (const id of ['a', 'b'])
      assert.deepEqual(tablesOf(id), [], `${id}: no hook ran, no migration was applied`);
    assert.equal(existsSync(join(dir, 'backups', 'a')) || existsSync(join(dir, 'backups', 'b')), false);
  });

  it('a report that reads a damaged page names the journal and the way on', async () => {
    await assert.rejects(
      report({ journal: journalPath }),
      (err: Error) =>
        err instanceof UsageError && err.message.includes(`the journal ${journalPath} is damaged`),
    );
  });

  it('what quick_check lists is in the message, a few of its findings', async () => {
    // Opened (the old code), it is closed again: its connection would keep the test process alive.
    const err = await Journal.open(otherPath).then(
      (journal) => journal.close(),
      (e: unknown) => e,
    );
    assert.ok(err instanceof UsageError, `refused: ${String(err)}`);
    assert.ok(err.message.includes(`the journal ${otherPath} is damaged`), err.message);
    assert.match(err.message, /page \d+ cell \d+: Offset \d+ out of range.*; and \d+ more\)/);
  });
});
