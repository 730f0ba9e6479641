// PostgreSQL: a deep verification that cannot run is no verdict on the backup. A tenant user without
// CREATEDB (SCRATCH_FAILED) wrote ok:false into a good backup's manifest, so `restore` found "no verified
// backup"; a scratch restore that lost its connection was RESTORE_FAILED, recorded as the archive's fault.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BackupDetails, backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { postgresAdapter } from '../../src/dialect/postgres/index.js';
import type { FleetReport } from '../../src/fleet/report.js';
import { adminQuery, dropDatabases, PG_ADMIN_URL } from '../helpers/postgres.js';

const prefix = `fxb2_verdicts_${randomBytes(3).toString('hex')}`;
const role = `${prefix}_user`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-verdicts-pg-'));
const bk = join(root, 'backups');

function tenantAs(user: string): Tenant {
  const url = new URL(PG_ADMIN_URL);
  const p = postgresAdapter.parseConnection({
    host: url.hostname,
    port: Number(url.port || 5432),
    user,
    database: prefix,
  });
  return {
    id: prefix,
    dialect: 'postgres',
    connection: p.connection,
    host: p.host,
    database: p.database,
    tags: [],
  };
}

const only = (report: FleetReport) => report.tenants[0]!;
const manifestOf = (report: FleetReport) =>
  readFileSync(`${(only(report).details as unknown as BackupDetails).backup!.path}.manifest.json`, 'utf8');

before(async () => {
  await adminQuery(`create role ${role} login nocreatedb`);
  await adminQuery(`create database ${prefix} owner ${role}`);
});

after(async () => {
  await dropDatabases(prefix);
  await dropDatabases(`dbfleet_verify_${prefix}`);
  await adminQuery(`drop role if exists ${role}`);
  rmSync(root, { recursive: true, force: true });
});

describe('a deep verification that cannot run records no verdict (PostgreSQL)', () => {
  it('a user without CREATEDB: SCRATCH_FAILED, the backup stays verified and restorable', async () => {
    const tenant = tenantAs(role);
    const taken = await backup({ tenants: [tenant], backupDir: bk });
    assert.equal(only(taken).status, 'succeeded', JSON.stringify(only(taken).error));
    const before = manifestOf(taken);
    const deep = await verify({ tenants: [tenant], backupDir: bk, deep: true });
    assert.equal(only(deep).error?.code, 'SCRATCH_FAILED');
    assert.equal(manifestOf(taken), before);
    const restored = await restoreTenant({ tenant, backupDir: bk, yes: true });
    assert.equal(only(restored).status, 'succeeded', JSON.stringify(only(restored).error));
  });

  it('a scratch restore that loses its connection: CONNECTION_LOST, no verdict', async () => {
    const tenant = tenantAs('postgres');
    const taken = await backup({ tenants: [tenant], backupDir: bk });
    const before = manifestOf(taken);
    // pg_restore reads the archive (--list), then reports a server that went away mid-restore.
    const fake = join(root, 'pg_restore');
    writeFileSync(
      fake,
      `#!/bin/sh\ncase " $* " in *" --version "*|*" --list "*) exec pg_restore "$@";; esac\necho "pg_restore: error: could not execute query: server closed the connection unexpectedly" >&2\nexit 1\n`,
    );
    chmodSync(fake, 0o755);
    const deep = await verify({
      tenants: [tenant],
      backupDir: bk,
      deep: true,
      tools: { bin: { pg_restore: fake } },
    });
    assert.equal(only(deep).error?.code, 'CONNECTION_LOST', JSON.stringify(only(deep).error));
    assert.equal(manifestOf(taken), before);
  });
});
