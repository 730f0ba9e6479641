// A SQLite fleet runs on a synchronous driver: a run made only of promise callbacks would never let the
// event loop turn, so neither a timer nor a signal (Ctrl-C, SIGTERM) could reach it before the run ends.
// An AbortSignal aborted from a timer must stop the run between tenants, as it does on PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadMigrations, migrate, validateInventory } from '../../src/index.js';

const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dbfleet-interrupt-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('SQLite: a timer that aborts the run is heard between tenants; the rest are not started', async () => {
  const ids = Array.from({ length: 60 }, (_, i) => `t${i}`);
  for (const id of ids) new Database(join(dir, `${id}.sqlite`)).close();
  const tenants = validateInventory(
    ids.map((id) => ({ id, dialect: 'sqlite', connection: join(dir, `${id}.sqlite`) })),
    'test',
  );
  const migrations = await loadMigrations(MIGRATIONS);
  const controller = new AbortController();
  let finished = 0;
  let abortedAfter: number | undefined;
  // Armed when the first tenant finishes, so the abort falls inside the run however fast the machine.
  const report = await migrate({
    tenants,
    migrations,
    concurrency: 2,
    signal: controller.signal,
    onEvent(event) {
      if (event.type !== 'tenant:done') return;
      if (++finished === 1)
        setTimeout(() => {
          abortedAfter = finished;
          controller.abort();
        }, 0);
    },
  });
  assert.ok(
    abortedAfter !== undefined && abortedAfter < ids.length,
    `the timer fired after ${abortedAfter} tenants`,
  );
  assert.equal(report.interrupted, true);
  const notStarted = report.tenants.filter((t) => t.error?.code === 'NOT_STARTED').length;
  assert.ok(notStarted > 0, 'tenants after the abort were not started');
  assert.ok(
    report.tenants.every(
      (t) => t.status === 'succeeded' || t.error?.code === 'NOT_STARTED' || t.error?.code === 'INTERRUPTED',
    ),
  );
});
