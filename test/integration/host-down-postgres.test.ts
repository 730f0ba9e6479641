// A server that does not answer cost every tenant on it a full connection attempt (a 10 s connect
// timeout each, when the address black-holes). After three in a row, its other tenants now fail at once
// as "not tried", while tenants of a server that answers go on as before.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FleetEvent } from '../../src/core/events.js';
import { loadMigrations, status, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, pgUrl, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('host_down');
const up = `${prefix}_up`;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dbfleet-host-down-'));
  writeFileSync(
    join(dir, '001_t.js'),
    'exports.up = (k) => k.schema.createTable("t", (t) => { t.increments(); });\nexports.down = (k) => k.schema.dropTable("t");\n',
  );
  await createDatabases([up]);
});

after(async () => {
  await dropDatabases(prefix);
  rmSync(dir, { recursive: true, force: true });
});

describe('a server nobody answers on (PostgreSQL)', () => {
  it('after three refused attempts its other tenants are not tried; another server is unaffected', async () => {
    // Port 1 on loopback: nothing listens, every attempt is refused.
    const down = Array.from({ length: 8 }, (_, i) => ({
      id: `down-${i}`,
      dialect: 'postgres',
      connection: `postgres://postgres@127.0.0.1:1/db_${i}`,
    }));
    const tenants = validateInventory(
      [...down, { id: 'up', dialect: 'postgres', connection: pgUrl(up) }],
      'test',
    );
    const events: FleetEvent[] = [];
    const report = await status({
      tenants,
      migrations: await loadMigrations(dir),
      concurrency: 1,
      perHost: 1,
      onEvent: (e) => events.push(e),
    });
    const byId = new Map(report.tenants.map((t) => [t.id, t]));
    assert.equal(byId.get('up')?.status, 'succeeded', JSON.stringify(byId.get('up')));
    const downResults = down.map((d) => byId.get(d.id)!);
    assert.ok(downResults.every((t) => t.status === 'failed' && t.error?.code === 'UNREACHABLE'));
    const tried = downResults.filter((t) => !t.error!.message.startsWith('not tried'));
    const notTried = downResults.filter((t) => t.error!.message.startsWith('not tried'));
    assert.equal(tried.length, 3, JSON.stringify(downResults.map((t) => t.error?.message)));
    assert.equal(notTried.length, 5);
    assert.match(notTried[0]!.error!.message, /127\.0\.0\.1:1 did not answer the last 3 connection attempts/);
    const notice = events.find(
      (e) => e.type === 'notice' && /did not answer 3 connection attempts/.test(e.message),
    );
    assert.ok(notice, 'the run says the server looks down, once');
  });
});
