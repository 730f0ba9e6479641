import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { databaseOf, otherOwner } from '../../src/backup/identity.js';
import type { Tenant } from '../../src/core/tenant.js';

const tenant = (over: Partial<Tenant> = {}): Tenant => ({
  id: 'acme',
  dialect: 'postgres',
  connection: {},
  host: 'postgres://db1:5432',
  database: 'acme',
  tags: [],
  ...over,
});
const manifestOf = (t: Tenant, server: string | null = t.host) => ({
  tenant: t.id,
  dialect: t.dialect,
  database: databaseOf(t),
  ...(server === null ? {} : { server }),
});

describe('backup identity', () => {
  it("a backup of the same tenant id on another server, database or schema is not this tenant's", () => {
    const prod = tenant();
    assert.equal(otherOwner(manifestOf(prod), prod), undefined);
    const otherServer = otherOwner(manifestOf(tenant({ host: 'postgres://db2:5432' })), prod);
    assert.match(
      otherServer ?? '',
      /acme on postgres:\/\/db2:5432\), not of acme \(postgres, acme on postgres:\/\/db1:5432\)/,
    );
    assert.ok(otherOwner(manifestOf(tenant({ database: 'acme_staging' })), prod));
    assert.ok(otherOwner(manifestOf(tenant({ schema: 'acme' })), prod));
    assert.ok(otherOwner(manifestOf(tenant({ dialect: 'mssql' })), prod));
  });

  it('a manifest written before the server was recorded is matched by its database', () => {
    assert.equal(otherOwner(manifestOf(tenant(), null), tenant({ host: 'postgres://db9:5432' })), undefined);
    assert.ok(otherOwner(manifestOf(tenant({ database: 'other' }), null), tenant()));
  });

  it('host names, and SQL Server database names, compare without case; PostgreSQL database names do not', () => {
    assert.equal(otherOwner(manifestOf(tenant(), 'postgres://DB1:5432'), tenant()), undefined);
    const ms = tenant({ dialect: 'mssql', host: 'mssql://db1:1433', database: 'Acme' });
    assert.equal(otherOwner(manifestOf(tenant({ ...ms, database: 'acme' })), ms), undefined);
    assert.ok(otherOwner(manifestOf(tenant({ database: 'Acme' })), tenant()));
  });
});
