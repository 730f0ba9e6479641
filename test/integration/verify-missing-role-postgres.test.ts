// PostgreSQL: a deep verify passed a backup whose in-place restore then failed `role "x" does not exist`,
// because a role the archive grants to (or that owns an object) was dropped after the backup: the scratch
// copy is restored without owners and grants, so it never met the role (found by the backup probe, F3).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backup, restoreTenant, verify } from '../../src/backup/index.js';
import type { Tenant } from '../../src/core/tenant.js';
import { postgresAdapter } from '../../src/dialect/postgres/index.js';
import { adminQuery, dropDatabases, PG_ADMIN_URL, queryDatabase } from '../helpers/postgres.js';

const db = `t_roles_${randomBytes(3).toString('hex')}`;
const grantee = `${db}_reader`;
const owner = `${db}_owner`;
const root = mkdtempSync(join(tmpdir(), 'dbfleet-roles-pg-'));
const bk = join(root, 'backups');

function tenant(): Tenant {
  const url = new URL(PG_ADMIN_URL);
  const p = postgresAdapter.parseConnection({
    host: url.hostname,
    port: Number(url.port || 5432),
    user: 'postgres',
    database: db,
  });
  return { id: db, dialect: 'postgres', connection: p.connection, host: p.host, database: db, tags: [] };
}

const inDb = (sql: string) => queryDatabase(db, sql);

before(async () => {
  await adminQuery(`create role ${grantee}`);
  await adminQuery(`create role ${owner}`);
  await adminQuery(`create database ${db}`);
  await inDb(`create table secrets (id int primary key, s text);
    insert into secrets values (1, 'x');
    grant select (id) on secrets to ${grantee};
    create table owned (i int);
    alter table owned owner to ${owner};
    alter default privileges in schema public grant select on tables to ${grantee}, public;`);
});

after(async () => {
  await dropDatabases(db);
  await dropDatabases(`dbfleet_verify_${db}`);
  await adminQuery(`drop role if exists ${grantee}`);
  await adminQuery(`drop role if exists ${owner}`);
  rmSync(root, { recursive: true, force: true });
});

describe('deep verify checks the roles a PostgreSQL backup names', () => {
  it('passes while the roles exist, fails naming them and their objects once they are dropped', async () => {
    const taken = await backup({ tenants: [tenant()], backupDir: bk });
    assert.equal(taken.tenants[0]!.status, 'succeeded', JSON.stringify(taken.tenants[0]!.error));
    const ok = await verify({ tenants: [tenant()], backupDir: bk, deep: true });
    assert.equal(ok.tenants[0]!.status, 'succeeded', JSON.stringify(ok.tenants[0]!.error));

    await inDb(`drop owned by ${grantee}; drop owned by ${owner}`);
    await adminQuery(`drop role ${grantee}`);
    await adminQuery(`drop role ${owner}`);
    const deep = await verify({ tenants: [tenant()], backupDir: bk, deep: true });
    const error = deep.tenants[0]!.error;
    assert.equal(error?.code, 'ROLE_MISSING', JSON.stringify(error));
    assert.match(error!.message, new RegExp(`${grantee} \\(grant on COLUMN secrets\\.id in schema public, `));
    assert.match(error!.message, /grant on DEFAULT PRIVILEGES FOR TABLES in schema public/);
    assert.match(error!.message, new RegExp(`${owner} \\(owner of TABLE public\\.owned\\)`));

    // No verdict on the backup (still the restore point): the in-place restore refuses the same way, before
    // changing anything, where psql used to fail naming only a script line.
    const restored = await restoreTenant({ tenant: tenant(), backupDir: bk, yes: true });
    const refused = restored.tenants[0]!.error;
    assert.equal(refused?.code, 'ROLE_MISSING', JSON.stringify(refused));
    assert.match(refused!.message, new RegExp(`${grantee} \\(grant on COLUMN secrets\\.id in schema public`));
    assert.match(refused!.message, /nothing was changed$/);
  });
});
