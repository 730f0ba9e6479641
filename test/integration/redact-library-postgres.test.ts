// dbfleet used as a library, no CLI and no redaction scope of the caller's: a run masks its own tenants'
// passwords (from the inventory) in what it reports, and forgets them when it ends.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Migration, migrate, redact, type Tenant, validateInventory } from '../../src/index.js';
import { createDatabases, dropDatabases, PG_ADMIN_URL, uniquePrefix } from '../helpers/postgres.js';

const prefix = uniquePrefix('redactlib');
const database = `${prefix}_db`;

/** The test server (trust auth: any password is accepted) with `password` in the inventory's URL. */
function inventory(password: string): Tenant[] {
  const url = new URL(PG_ADMIN_URL);
  url.password = password;
  url.pathname = `/${database}`;
  // Validated outside any redaction scope: the password is registered nowhere yet.
  return validateInventory([{ id: 'acme', dialect: 'postgres', connection: url.toString() }], 'inventory');
}

/** A user's migration whose error quotes the password it connected with, as a careless one might. */
function leakyMigration(password: string): Migration {
  return {
    name: '001_leaky.js',
    checksum: 'c0ffee',
    file: '001_leaky.js',
    kind: 'module',
    config: { transaction: true },
    up: async () => {
      throw new Error(`cannot reach the billing API with secret ${password}`);
    },
  };
}

async function failedMessage(password: string, alsoQuoting = ''): Promise<string> {
  const migration = leakyMigration(`${password}${alsoQuoting}`);
  const report = await migrate({ tenants: inventory(password), migrations: [migration] });
  const [result] = report.tenants;
  assert.equal(result?.status, 'failed');
  return result?.error?.message ?? '';
}

describe('a library run redacts its tenants passwords without a scope of its caller', () => {
  before(() => createDatabases([database]));
  after(() => dropDatabases(prefix));

  it("masks the inventory's password in the failed tenant's error message", async () => {
    const message = await failedMessage('Inv3ntoryPw');
    assert.match(message, /cannot reach the billing API with secret \*\*\*/);
    assert.ok(!message.includes('Inv3ntoryPw'), message);
  });

  it("a second run does not know the first run's password, and neither does the process after", async () => {
    const message = await failedMessage('S3condRunPw', ' (was Inv3ntoryPw)');
    assert.match(message, /with secret \*\*\* \(was Inv3ntoryPw\)/);
    assert.equal(redact('Inv3ntoryPw S3condRunPw'), 'Inv3ntoryPw S3condRunPw');
  });
});
