// Rollback restore over the tenant's own database when the RESTORE fails: the server's own error is the one
// reported, and getting the database back to MULTI_USER never replaces it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TenantError } from '../../src/core/errors.js';
import type { ArchiveInfo, BackupContext } from '../../src/dialect/backup-types.js';
import { mssqlBackupDriver } from '../../src/dialect/mssql/backup.js';
import { assembleFingerprint } from '../../src/dialect/mssql/fingerprint.js';
import { scriptedKnex, serverError } from '../helpers/mssql-scripted-knex.js';

/** A failed RESTORE raises its reason, then 3013; tedious hands both over. */
const restoreFailed = (number: number, message: string) =>
  Object.assign(
    new AggregateError([
      serverError(number, message),
      serverError(3013, 'RESTORE DATABASE is terminating abnormally.'),
    ]),
    { message: '' },
  );

interface Server {
  state: 'ONLINE' | 'RESTORING';
  /** Another connection got into the database between SINGLE_USER and the RESTORE. */
  slotTaken: boolean;
  restoreError: Error;
}

/**
 * The server, as far as these batches go: ALTER DATABASE fails on a RESTORING database (5052) and while
 * another connection holds the single-user slot (5064). A RESTORE batch whose CATCH runs such an ALTER
 * returns the ALTER's error: the CATCH's own failure is what reaches the client.
 */
function answer(server: Server, sql: string): Error | undefined {
  const alterFails = () =>
    server.state === 'RESTORING'
      ? serverError(5052, 'ALTER DATABASE is not permitted while a database is in the Restoring state.')
      : server.slotTaken
        ? serverError(5064, 'Changes to the state or options of database cannot be made at this time.')
        : undefined;
  const checksState = /state_desc\s*=\s*N?'ONLINE'/.test(sql);
  if (/RESTORE DATABASE/.test(sql)) {
    const catchAlters = /BEGIN CATCH[\s\S]*SET MULTI_USER/.test(sql) && !checksState;
    return (catchAlters && alterFails()) || server.restoreError;
  }
  if (/SET MULTI_USER/.test(sql) && (!checksState || server.state === 'ONLINE')) return alterFails();
  return undefined;
}

function fakeKnex(server: Server) {
  return scriptedKnex((sql) => {
    const error = answer(server, sql);
    return error ? { error } : {};
  });
}

const emptyInfo: ArchiveInfo = {
  fingerprint: assembleFingerprint('schema', {
    tables: [],
    columns: [],
    indexes: [],
    constraints: [],
    objects: [],
  }),
  tool: 'sqlserver',
  toolVersion: '16',
  serverVersion: '16',
};

async function restore(server: Server) {
  const { knex, sent } = fakeKnex(server);
  const session = { knex, unlock: async () => {}, tryLock: async () => true };
  const ctx = {
    tenant: { id: 'acme', database: 'acme', connection: {} },
    session: async () => session,
    sessionOptions: { timeouts: { lockTimeoutMs: 5000, statementTimeoutMs: 0 } },
  } as unknown as BackupContext;
  const error = await mssqlBackupDriver.restore(ctx, '/b/acme.bak', emptyInfo, { dropUnexpected: true }).then(
    () => undefined,
    (err: TenantError) => err,
  );
  return { error, sent };
}

describe('rollback restore over the tenant, when the RESTORE fails', () => {
  test('another connection took the single-user slot: 3101 is reported, then that MULTI_USER failed too', async () => {
    const { error, sent } = await restore({
      state: 'ONLINE',
      slotTaken: true,
      restoreError: restoreFailed(
        3101,
        'Exclusive access could not be obtained because the database is in use.',
      ),
    });
    assert.equal(error?.code, 'RESTORE_FAILED');
    assert.match(error?.message ?? '', /Exclusive access could not be obtained/);
    assert.match(
      error?.message ?? '',
      /may still be SINGLE_USER: setting it back to MULTI_USER failed: Changes to the state/,
    );
    assert.ok(
      sent.some((sql) => /SET MULTI_USER/.test(sql) && !/RESTORE/.test(sql)),
      'MULTI_USER is asked for after the failed restore',
    );
  });

  test('a restore that failed part-way (RESTORING): its own error, and no ALTER the server refuses', async () => {
    const { error } = await restore({
      state: 'RESTORING',
      slotTaken: false,
      restoreError: restoreFailed(3203, 'Read on "/b/acme.bak" failed: 38(Reached the end of the file.)'),
    });
    assert.equal(error?.code, 'RESTORE_FAILED');
    assert.match(error?.message ?? '', /Read on "\/b\/acme\.bak" failed/);
    assert.doesNotMatch(error?.message ?? '', /Restoring state|SINGLE_USER/);
  });

  test('a restore that went through: back to MULTI_USER, in a batch of its own', async () => {
    const { error, sent } = await restore({
      state: 'ONLINE',
      slotTaken: false,
      restoreError: undefined as never,
    });
    assert.equal(error, undefined);
    const at = sent.findIndex((sql) => /RESTORE DATABASE/.test(sql));
    assert.ok(/SET MULTI_USER/.test(sent[at + 1] ?? ''), 'MULTI_USER follows the restore');
    assert.equal(sent.at(-1), 'USE [acme];');
  });
});
