// A journal that refuses a write mid-upgrade (a full disk, a damaged file, a control database that says
// no) must stop the run, not damage tenants or lose their record. Before, the refused checkpoint was
// taken as the step's failure: the tenant whose migration had just succeeded was rolled back for it (or
// left half-done), and the run went on upgrading tenants it could no longer record — the refused batch
// held other tenants' steps too, so a resume could not know what had been done to them.
// Now no new tenant starts; a tenant whose step could not be recorded stops there, as after a kill
// (not rolled back, still closed), and `upgrade --resume` finishes the run once the journal takes writes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Journal } from '../../src/journal/journal.js';
import { runCli } from '../helpers/cli-child.js';
import { writeSqliteUpgradeFleet } from '../helpers/sqlite-upgrade-fleet.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-journal-refused-'));
const ids = ['a', 'b', 'c', 'd'];
const journalFile = join(dir, 'journal.db');
const dbfleet = (...args: string[]) =>
  runCli([...args, '--config', join(dir, 'knexfile.mjs'), '--concurrency', '1', '--json'], {
    cwd: dir,
    env: {},
  });
/** The tables the fleet's migration and hooks make: upgraded (`base`), closed (`maintenance`). */
const tablesOf = (id: string) => {
  const db = new Database(join(dir, `${id}.sqlite`), { readonly: true });
  try {
    return (
      db.prepare("select name from sqlite_master where type = 'table' order by name").all() as {
        name: string;
      }[]
    )
      .map((r) => r.name)
      .filter((name) => ['base', 'maintenance'].includes(name));
  } finally {
    db.close();
  }
};
interface Doc {
  ok: boolean;
  interrupted?: boolean;
  journalError?: string;
  runId?: string;
  tenants: { id: string; status: string; error?: { code: string; message: string } }[];
}

before(() => writeSqliteUpgradeFleet(dir, ids));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The upgrade run the first test stops, which the later ones resume and roll back. */
let stopped: Doc;

describe('upgrade: a journal that refuses a write mid-run', () => {
  it('stops the run where it could not record: nothing rolled back, nothing more started', async () => {
    // The journal's tables, then a fault on b's migrate step.
    await (await Journal.open(journalFile)).close();
    const journal = new Database(journalFile);
    journal.exec(`create trigger refuse_b before insert on dbfleet_run_steps
      when new.tenant_id = 'b' and new.step = 'migrate'
      begin select raise(abort, 'database or disk is full'); end`);
    journal.close();

    const run = await dbfleet('upgrade');
    assert.equal(run.code, 1, `a stopped run is not done: ${run.stderr}`);
    stopped = JSON.parse(run.stdout) as Doc;
    assert.equal(stopped.interrupted, true, 'the run stopped part-way, to be resumed');
    assert.match(
      stopped.journalError ?? '',
      /database or disk is full — the run stopped there; .*upgrade --resume/,
    );
    const byId = new Map(stopped.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('a')?.status, 'succeeded', JSON.stringify(byId.get('a')));
    const b = byId.get('b');
    assert.equal(b?.status, 'skipped', JSON.stringify(b));
    assert.equal(b?.error?.code, 'JOURNAL_FAILED', JSON.stringify(b));
    assert.match(b?.error?.message ?? '', /database or disk is full/);
    assert.match(b?.error?.message ?? '', /upgrade --resume/);
    for (const id of ['c', 'd']) {
      assert.equal(byId.get(id)?.status, 'skipped', id);
      assert.equal(byId.get(id)?.error?.code, 'NOT_STARTED', id);
      assert.match(byId.get(id)?.error?.message ?? '', /journal/);
      assert.deepEqual(tablesOf(id), [], `${id} was never touched`);
    }
    // b's migration committed and was not undone for the journal's sake; b stays closed, as after a kill.
    assert.deepEqual(tablesOf('b'), ['base', 'maintenance']);
    assert.deepEqual(tablesOf('a'), ['base']);
  });

  it('upgrade --resume finishes every tenant once the journal takes writes again', async () => {
    const journal = new Database(journalFile);
    journal.exec('drop trigger refuse_b');
    journal.close();
    const run = await dbfleet('upgrade', '--resume', stopped.runId ?? 'missing run id');
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const doc = JSON.parse(run.stdout) as Doc;
    assert.deepEqual(
      doc.tenants.map((t) => `${t.id} ${t.status}`).sort(),
      ids.map((id) => `${id} succeeded`),
    );
    for (const id of ids) assert.deepEqual(tablesOf(id), ['base'], id);
  });
});

describe('rollback --run: a journal that refuses a write', () => {
  it('the tenants are rolled back and reported; the run is not ok, and warns against rolling back again', async () => {
    const journal = new Database(journalFile);
    journal.exec(`create trigger refuse_a before update on dbfleet_run_tenants
      when new.tenant_id = 'a' and new.status = 'succeeded' and new.run_id != '${stopped.runId}'
      begin select raise(abort, 'database or disk is full'); end`);
    journal.close();
    const run = await dbfleet('rollback', '--run', stopped.runId ?? 'missing run id', '--yes', '--reopen');
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const doc = JSON.parse(run.stdout) as Doc;
    assert.deepEqual(
      doc.tenants.map((t) => `${t.id} ${t.status}`).sort(),
      ids.map((id) => `${id} succeeded`),
    );
    for (const id of ids) assert.deepEqual(tablesOf(id), [], `${id} is back to its pre-upgrade state`);
    assert.match(
      doc.journalError ?? '',
      /database or disk is full — .*a second `rollback --run` of this run could restore them again/,
    );
  });
});

// `migrate` needs no journal to finish its tenants, so it finishes them; but a report that said only
// "unexpected error" (exit 1, no report) hid what was applied where, and one that said ok would let a
// script take a run as done that `rollback --run` and `report` cannot see whole.
describe('migrate: a journal that refuses a write mid-run', () => {
  const other = mkdtempSync(join(tmpdir(), 'dbfleet-journal-refused-migrate-'));
  after(() => rmSync(other, { recursive: true, force: true }));

  it('the report still says what was applied where; the run is not ok, and says why', async () => {
    writeSqliteUpgradeFleet(other, ids);
    await (await Journal.open(join(other, 'journal.db'))).close();
    const journal = new Database(join(other, 'journal.db'));
    journal.exec(`create trigger refuse_c before update on dbfleet_run_tenants
      when new.tenant_id = 'c' and new.status = 'succeeded'
      begin select raise(abort, 'database or disk is full'); end`);
    journal.close();
    const run = await runCli(['migrate', '--config', join(other, 'knexfile.mjs'), '--json'], {
      cwd: other,
      env: {},
    });
    assert.equal(run.code, 1, run.stderr);
    const doc = JSON.parse(run.stdout) as Doc;
    assert.deepEqual(
      doc.tenants.map((t) => `${t.id} ${t.status}`).sort(),
      ids.map((id) => `${id} succeeded`),
    );
    assert.equal(doc.ok, false);
    assert.match(
      doc.journalError ?? '',
      /the journal could not record all of run \S+: database or disk is full/,
    );
    assert.match(run.stderr, /dbfleet: the journal could not record all of run/);
  });
});
