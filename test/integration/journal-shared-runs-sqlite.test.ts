// Two journaled runs at once in one process, on one SQLite journal file (a service calling `migrate()` for
// two fleets): better-sqlite3 waits for another connection's write lock by sleeping the thread, so the
// second run's batch slept the whole process — the first run's COMMIT with it — for the busy timeout, then
// failed, and a run reported succeeded was missing from the journal ("no run … in the journal").
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Journal } from '../../src/engine.js';
import { migrate, report, validateInventory } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-jshared-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const MIGRATIONS = resolve(import.meta.dirname, '../fixtures/migrations-basic');
const PER_RUN = 10;

function fleet(name: string) {
  const ids = Array.from({ length: PER_RUN }, (_, i) => `${name}${i}`);
  for (const id of ids) writeFileSync(join(dir, `${id}.sqlite`), '');
  return validateInventory(
    ids.map((id) => ({ id, dialect: 'sqlite' as const, connection: join(dir, `${id}.sqlite`) })),
    `fleet ${name}`,
  );
}

test('two runs at once on one SQLite journal are both journaled, every tenant of each', async () => {
  const journal = join(dir, 'journal.db');
  // A journal in use already: its tables exist (opening a new one at once is journal-open-concurrent's).
  await (await Journal.open(journal)).close();
  const runs = await Promise.all(
    ['a', 'b'].map((name) => migrate({ tenants: fleet(name), migrations: MIGRATIONS, journal })),
  );
  for (const run of runs) {
    assert.equal(run.summary.succeeded, PER_RUN);
    const doc = await report({ journal, runId: run.runId! });
    assert.deepEqual(
      doc.tenants.map((t) => t.status),
      Array(PER_RUN).fill('succeeded'),
      `run ${run.runId} as journaled`,
    );
  }
});
