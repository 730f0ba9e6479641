// A fleet verb called as a library records its run in the journal when given one, like the CLI does,
// so `dbfleet report` shows it; without `journal` nothing is opened or written.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Journal, listRuns, readJournal, runTenants } from '../../src/engine.js';
import { loadMigrations, migrate, report, status, type Tenant, validateInventory } from '../../src/index.js';

const MIGRATIONS = fileURLToPath(new URL('../fixtures/migrations-basic/', import.meta.url));
let dir: string;
let tenants: Tenant[];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-journal-library-'));
  tenants = validateInventory(
    ['acme', 'globex'].map((id) => ({ id, dialect: 'sqlite', connection: join(dir, `${id}.sqlite`) })),
    'test inventory',
  );
  for (const t of tenants) writeFileSync(t.database, '');
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('migrate({ journal: path }) journals the run, returns its id, and report() reads it back', async () => {
  const journal = join(dir, 'journal.db');
  const result = await migrate({ tenants, migrations: MIGRATIONS, journal });
  assert.equal(result.summary.succeeded, 2);
  assert.match(result.runId ?? '', /^\d{8}T\d{6}Z-[0-9a-f]+$/);

  const runs = await readJournal(journal, (knex) => listRuns(knex));
  assert.deepEqual(
    runs.map((r) => [r.runId, r.command, r.status]),
    [[result.runId, 'migrate', 'finished']],
  );
  const rows = await readJournal(journal, (knex) => runTenants(knex, result.runId!));
  assert.deepEqual(rows.map((r) => [r.tenantId, r.status]).sort(), [
    ['acme', 'succeeded'],
    ['globex', 'succeeded'],
  ]);

  const notes: string[] = [];
  const doc = await report({ journal, onNote: (note) => notes.push(note) });
  assert.equal(doc.run.runId, result.runId);
  assert.equal(doc.run.command, 'migrate');
  assert.deepEqual(doc.tenants.map((t) => t.id).sort(), ['acme', 'globex']);
  assert.match(notes[0] ?? '', /the newest run, migrate/);
});

test('without journal nothing is written; a read-only verb never journals', async () => {
  const journal = join(dir, 'untouched.db');
  const plain = await migrate({ tenants, migrations: MIGRATIONS });
  assert.equal(plain.runId, undefined);
  const read = await status({ tenants, migrations: MIGRATIONS, journal });
  assert.equal(read.ok, true);
  assert.equal(read.runId, undefined);
  assert.equal(existsSync(journal), false);
  await assert.rejects(report({ journal }), /no journal at/);
});

test('an open Journal is the caller’s: each run is recorded in it and it stays open', async () => {
  const journal = await Journal.open(join(dir, 'owned.db'));
  try {
    const first = await migrate({ tenants, migrations: MIGRATIONS, journal });
    const second = await migrate({ tenants, migrations: MIGRATIONS, journal, dryRun: true });
    assert.notEqual(first.runId, second.runId);
    const runs = await listRuns(journal.knex);
    assert.deepEqual(runs.map((r) => r.runId).sort(), [first.runId, second.runId].sort());
    const doc = await report({ journal, runId: first.runId });
    assert.equal(doc.run.runId, first.runId);
  } finally {
    await journal.close();
  }
});

test('options refused before any tenant starts open no journal', async () => {
  const journal = join(dir, 'refused.db');
  // The migrations directory is read before the journal is opened: a bad --to opens nothing.
  await assert.rejects(
    migrate({ tenants, migrations: MIGRATIONS, to: 'nope', journal }),
    /no such migration/,
  );
  assert.equal(existsSync(journal), false);
});

test('--to without the extension names the migration it probably meant', async () => {
  const first = (await loadMigrations(MIGRATIONS))[0]!.name;
  const bare = first.replace(/\.[^.]+$/, '');
  await assert.rejects(migrate({ tenants, migrations: MIGRATIONS, to: bare }), {
    message: `to: no such migration ${bare} (did you mean ${first}? names include their extension)`,
  });
});
