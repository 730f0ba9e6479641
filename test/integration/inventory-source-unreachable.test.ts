// A catalog or discovery server that refuses connections stops the command with one redacted line on
// stderr (exit 2) — before, knex's own logger added "Acquire connection error: Error: connect
// ECONNREFUSED …" and its stack trace above it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ROOT, runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-inventory-unreachable-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'Refused9pw';
// Port 1: nothing listens there, the connection is refused at once.
const URL = `postgres://postgres:${PASSWORD}@127.0.0.1:1/control`;

const SOURCES = {
  catalog: { catalog: { connection: URL, query: 'select id from customers' } },
  discovery: { discover: { dialect: 'postgres', connection: URL, pattern: 'tenant_*' } },
};

describe('an inventory server that refuses connections', () => {
  for (const [what, inventory] of Object.entries(SOURCES)) {
    it(`${what}: exit 2, one line on stderr, no password`, async () => {
      const config = join(dir, `${what}.json`);
      writeFileSync(config, JSON.stringify({ inventory }));
      const migrations = join(ROOT, 'test/fixtures/migrations-basic');
      const r = await runCli(['status', '--config', config, '--migrations', migrations], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, /^dbfleet: .*127\.0\.0\.1:1.*ECONNREFUSED/);
      assert.ok(!r.stderr.includes(PASSWORD), 'the password leaked');
    });
  }
});
