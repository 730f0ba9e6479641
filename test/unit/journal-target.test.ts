// A journal is a SQLite file path or a postgres:// URL. Any other URL was taken for a relative path:
// `sqlite:///var/lib/dbfleet/journal.db` journaled into ./sqlite:/var/lib/…, where no report looks, and
// `mssql://sa:<password>@host/db` wrote the password into a folder name under the working directory.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Journal } from '../../src/engine.js';
import { migrate, report, UsageError, validateInventory } from '../../src/index.js';

// The old code created its folders under the working directory: keep them out of the repository.
const cwd = mkdtempSync(join(tmpdir(), 'dbfleet-journal-target-'));
const home = process.cwd();
process.chdir(cwd);
after(() => {
  process.chdir(home);
  rmSync(cwd, { recursive: true, force: true });
});

const TARGETS = [
  'sqlite:///tmp/dbfleet-journal.db',
  'file:///tmp/dbfleet-journal.db',
  'mssql://sa:Pa55word@db1/ops',
];

test('a journal URL of another scheme is a UsageError, and nothing is created', async () => {
  for (const target of TARGETS) {
    // Opened (the old code), it is closed again, so a failing test does not hang on its connection.
    const err = await Journal.open(target).then(
      (journal) => journal.close().then(() => new Error(`${target} was opened`)),
      (refused: unknown) => refused,
    );
    assert.ok(err instanceof UsageError, (err as Error).message);
    assert.match(err.message, /a SQLite file path or a postgres:\/\/ URL/);
    assert.doesNotMatch(err.message, /Pa55word/);
    await assert.rejects(report({ journal: target }), /a SQLite file path or a postgres:\/\/ URL/);
  }
  assert.deepEqual(readdirSync(cwd), []);
});

test('a verb given such a journal changes no tenant', async () => {
  const file = join(cwd, 'a.sqlite');
  writeFileSync(file, '');
  const tenants = validateInventory([{ id: 'a', dialect: 'sqlite', connection: file }], 'test');
  const migrations = join(import.meta.dirname, '../fixtures/migrations-basic');
  await assert.rejects(migrate({ tenants, migrations, journal: TARGETS[0] }), UsageError);
  assert.equal(existsSync(join(cwd, 'sqlite:')), false);
});
