// Sweeping scratch databases a killed deep verify left: one in RESTORING is dropped too, and one that
// cannot be dropped does not keep the sweep from the others.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupContext } from '../../src/dialect/backup-types.js';
import { mssqlBackupDriver } from '../../src/dialect/mssql/backup.js';
import { scratchPrefix } from '../../src/dialect/mssql/sql/backup.js';
import { scriptedKnex, serverError } from '../helpers/mssql-scripted-knex.js';

type State = 'ONLINE' | 'RESTORING' | 'IN_USE';

const acme = { id: 'acme', database: 'acme' };
const own = scratchPrefix(acme);

/**
 * The server, as far as a sweep goes: application locks are free (their runs were killed); ALTER DATABASE
 * on a RESTORING database fails (5052) and, under XACT_ABORT ON, ends the batch before its DROP; a database
 * someone is using cannot be dropped (3702).
 */
function fakeKnex(databases: Map<string, State>) {
  const reply = (sql: string): { rows?: Record<string, unknown>[]; error?: Error } => {
    if (/FROM sys\.databases WHERE name LIKE/.test(sql))
      return { rows: [...databases.keys()].map((name) => ({ name })) };
    if (/sp_getapplock|sp_releaseapplock/.test(sql)) return { rows: [{ result: 0 }] };
    const name = /DROP DATABASE \[(\w+)\]/.exec(sql)?.[1];
    if (!name) return {};
    const state = databases.get(name);
    const altersBlindly = /SET SINGLE_USER/.test(sql) && !/state_desc\s*=\s*N?'ONLINE'/.test(sql);
    if (state === 'RESTORING' && altersBlindly)
      return {
        error: serverError(
          5052,
          'ALTER DATABASE is not permitted while a database is in the Restoring state.',
        ),
      };
    if (state === 'IN_USE')
      return { error: serverError(3702, `Cannot drop database "${name}" because it is currently in use.`) };
    databases.delete(name);
    return {};
  };
  return scriptedKnex(reply);
}

test('a RESTORING leftover is dropped; one in use is reported, after the others were swept', async () => {
  const databases = new Map<string, State>([
    [`${own}1`, 'RESTORING'],
    [`${own}2`, 'IN_USE'],
    [`${own}3`, 'ONLINE'],
  ]);
  const { knex } = fakeKnex(databases);
  const ctx = { tenant: acme, session: async () => ({ knex }) } as unknown as BackupContext;
  await assert.rejects(mssqlBackupDriver.sweepScratch(ctx), (err: Error) => {
    assert.match(
      err.message,
      new RegExp(
        `could not drop ${own}2 \\(Cannot drop database "${own}2" because it is currently in use\\.\\)`,
      ),
    );
    assert.match(err.message, new RegExp(`dropped ${own}1, ${own}3`));
    return true;
  });
  assert.deepEqual([...databases.keys()], [`${own}2`]);
});

test('all dropped: the names, as before', async () => {
  const databases = new Map<string, State>([[`${own}1`, 'RESTORING']]);
  const { knex } = fakeKnex(databases);
  const ctx = { tenant: acme, session: async () => ({ knex }) } as unknown as BackupContext;
  assert.deepEqual(await mssqlBackupDriver.sweepScratch(ctx), [`${own}1`]);
});
