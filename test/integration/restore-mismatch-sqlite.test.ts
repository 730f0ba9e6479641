// A restore that replaced the tenant's data and then found it differs from the backup's fingerprint failed
// RESTORE_MISMATCH with only "the restored database differs from the backup's fingerprint: …": nothing said
// the data had been replaced, so an operator could retry, or believe the old data were still there. Now the
// message — for `restore`, and for `rollback --run` in `--json` too — says first that the data was replaced,
// by which backup (time, run, path), then what differs and what to check. The mismatch is provoked for real:
// the pre-upgrade backup's manifest is edited to say one row more than the archive holds.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { BackupDetails } from '../../src/backup/context.js';
import { restoreTenant } from '../../src/backup/fleet.js';
import type { Tenant } from '../../src/core/tenant.js';
import { validateInventory } from '../../src/inventory/validate.js';
import { prepareUpgrade } from '../../src/upgrade/prepare.js';
import { upgrade } from '../../src/upgrade/upgrade.js';
import { runCli } from '../helpers/cli-child.js';

const dir = mkdtempSync(join(tmpdir(), 'dbfleet-restore-mismatch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const common = ['--tenants', 'tenants.json', '--migrations', 'migrations', '--journal', 'journal.db'];
const run = (args: string[]) => runCli([...args, ...common, '--backup-dir', 'backups'], { cwd: dir });

interface JsonTenant {
  id: string;
  status: string;
  error?: { code: string; message: string };
  applied?: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function tables(): string[] {
  const db = new Database(join(dir, 'acme.sqlite'), { readonly: true });
  try {
    return (
      db.prepare("select name from sqlite_master where type = 'table' order by 1").all() as { name: string }[]
    )
      .map((r) => r.name)
      .filter((n) => !n.startsWith('knex_'));
  } finally {
    db.close();
  }
}

const acme: Tenant = validateInventory(
  [{ id: 'acme', dialect: 'sqlite', connection: join(dir, 'acme.sqlite') }],
  'test',
)[0]!;

describe('RESTORE_MISMATCH says the tenant’s data was replaced, and by which backup', () => {
  let runId = '';
  let backup = '';
  let createdAt = '';

  before(async () => {
    const db = new Database(join(dir, 'acme.sqlite'));
    db.exec(
      "create table customers (id integer primary key, name text); insert into customers (name) values ('a'), ('b')",
    );
    db.close();
    writeFileSync(
      join(dir, 'tenants.json'),
      JSON.stringify([{ id: 'acme', dialect: 'sqlite', connection: 'acme.sqlite' }]),
    );
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(
      join(dir, 'migrations', '001_orders.js'),
      "exports.up = (knex) => knex.schema.createTable('orders', (t) => { t.increments('id'); });\nexports.down = (knex) => knex.schema.dropTable('orders');\n",
    );
    // Through the library (a CLI child costs seconds); the rollback below goes through the CLI.
    const prepared = await prepareUpgrade({
      tenants: [acme],
      migrations: join(dir, 'migrations'),
      backupDir: join(dir, 'backups'),
      journal: join(dir, 'journal.db'),
    });
    const up = await upgrade({ ...prepared, tenants: [acme] });
    assert.equal(up.tenants[0]?.status, 'succeeded', JSON.stringify(up.tenants[0]?.error));
    runId = up.runId!;
    const folder = join(dir, 'backups', 'acme');
    const name = readdirSync(folder).find(
      (n) =>
        n.endsWith('.manifest.json') &&
        JSON.parse(readFileSync(join(folder, n), 'utf8')).upgrade?.stage === 'pre',
    )!;
    backup = join(folder, name.slice(0, -'.manifest.json'.length));
    const manifest = JSON.parse(readFileSync(join(folder, name), 'utf8'));
    createdAt = manifest.created_at;
    manifest.fingerprint.tables.customers.rows = 3;
    writeFileSync(join(folder, name), JSON.stringify(manifest));
  });

  const expected = () =>
    new RegExp(
      `^acme's data was replaced by its backup of ${escapeRegExp(createdAt)}, taken before upgrade run ${escapeRegExp(runId)} \\(${escapeRegExp(backup)}\\), but the restored database differs from that backup's fingerprint: customers: rows expected 3, found 2\\. Check the backup with \`dbfleet verify --deep --tenant acme --backup ${escapeRegExp(backup)}\`, and compare the tenant with its peers with \`dbfleet drift\``,
    );

  it('rollback --run --json: the data was replaced (the run’s table is gone), and the message says so', async () => {
    const r = await run(['rollback', '--run', runId, '--yes', '--json']);
    assert.equal(r.code, 1, r.stderr);
    const [tenant] = (JSON.parse(r.stdout) as { tenants: JsonTenant[] }).tenants;
    assert.equal(tenant?.error?.code, 'RESTORE_MISMATCH', r.stdout);
    assert.match(tenant.error.message, expected());
    assert.deepEqual(tenant.applied, ['001_orders.js']);
    assert.deepEqual(tables(), ['customers'], "the backup's data is in place");
  });

  it('restore: the same', async () => {
    const report = await restoreTenant({ tenant: acme, backupDir: join(dir, 'backups'), backup, yes: true });
    const [tenant] = report.tenants;
    assert.equal(tenant?.error?.code, 'RESTORE_MISMATCH', JSON.stringify(tenant?.error));
    assert.match(tenant.error.message, expected());
    assert.equal((tenant.details as BackupDetails).restored, true);
  });
});
