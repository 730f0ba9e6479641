// A knexfile's own connection settings under the CLI, read back from what a migration sees
// (current_setting): its application_name holds, as under knex; its lock_timeout and statement_timeout
// beat dbfleet's defaults, and a flag beats them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  createDatabases,
  dropDatabases,
  PG_ADMIN_URL,
  queryDatabase,
  uniquePrefix,
} from '../helpers/postgres.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/dbfleet.js');
const SEEN = ['application_name', 'lock_timeout', 'statement_timeout'];

// Records what the session looks like; the middle migration opts out of its transaction with its own
// lock timeout, after which the session's own timeouts must be back.
const record = (step: string) => `exports.up = async (knex) => {
  if (!(await knex.schema.hasTable('seen'))) await knex.schema.createTable('seen', (t) => { t.text('step'); t.text('k'); t.text('v'); });
  for (const k of ${JSON.stringify(SEEN)})
    await knex('seen').insert({ step: '${step}', k, v: (await knex.raw('select current_setting(?) as v', [k])).rows[0].v });
};
exports.down = async () => {};
`;
const OWN_LOCK_TIMEOUT = `exports.config = { transaction: false, lockTimeout: '3s' };
exports.up = async (knex) => { await knex.raw('select 1'); };
exports.down = async () => {};
`;

describe('the knexfile connection settings a PostgreSQL migration sees', { timeout: 60_000 }, () => {
  const prefix = uniquePrefix('kfconn');
  const dir = mkdtempSync(join(tmpdir(), 'dbfleet-kfconn-'));
  const url = new URL(PG_ADMIN_URL);

  before(async () => {
    await createDatabases([`${prefix}_flags`, `${prefix}_plain`]);
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations/20250101000000_first.js'), record('first'));
    writeFileSync(join(dir, 'migrations/20250101000100_own_lock_timeout.js'), OWN_LOCK_TIMEOUT);
    writeFileSync(join(dir, 'migrations/20250101000200_after.js'), record('after'));
    const connection = {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      application_name: 'billing-migrations',
      lock_timeout: 2500,
      statement_timeout: 1500,
    };
    writeFileSync(
      join(dir, 'knexfile.js'),
      `module.exports = ${JSON.stringify({ client: 'pg', connection, migrations: { directory: './migrations' } })};\n`,
    );
  });

  after(async () => {
    await dropDatabases(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const migrate = async (database: string, flags: string[] = []) => {
    const tenants = join(dir, `${database}.json`);
    writeFileSync(tenants, JSON.stringify([{ id: database, connection: { database } }]));
    await promisify(execFile)(process.execPath, [BIN, 'migrate', '--tenants', tenants, ...flags], {
      cwd: dir,
    });
    const rows = await queryDatabase<{ step: string; k: string; v: string }>(
      database,
      'select step, k, v from seen',
    );
    return Object.fromEntries(rows.map((r) => [`${r.step} ${r.k}`, r.v]));
  };

  it("without flags the knexfile's name and timeouts hold, also after a migration with its own", async () => {
    assert.deepEqual(await migrate(`${prefix}_plain`), {
      'first application_name': 'billing-migrations',
      'first lock_timeout': '2500ms',
      'first statement_timeout': '1500ms',
      'after application_name': 'billing-migrations',
      'after lock_timeout': '2500ms',
      'after statement_timeout': '1500ms',
    });
  });

  it("--lock-timeout and --statement-timeout beat the knexfile's", async () => {
    const seen = await migrate(`${prefix}_flags`, ['--lock-timeout', '7s', '--statement-timeout', '1h']);
    assert.deepEqual(seen, {
      'first application_name': 'billing-migrations',
      'first lock_timeout': '7s',
      'first statement_timeout': '1h',
      'after application_name': 'billing-migrations',
      'after lock_timeout': '7s',
      'after statement_timeout': '1h',
    });
  });
});
