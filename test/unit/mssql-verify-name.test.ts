// Light verify: the backup must be of the tenant's database, named as SQL Server compares names.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ArchiveInfo, BackupContext } from '../../src/dialect/backup-types.js';
import { mssqlBackupDriver } from '../../src/dialect/mssql/backup.js';
import { scriptedKnex } from '../helpers/mssql-scripted-knex.js';

/** Answers RESTORE HEADERONLY with `header`, anything else with nothing. */
const fakeKnex = (header: Record<string, unknown>) =>
  scriptedKnex((sql) => ({ rows: /HEADERONLY/.test(sql) ? [header] : [] })).knex;

let dir = '';
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function problemsOf(inventoryName: string, backupOf: string): Promise<string[]> {
  dir ||= await mkdtemp(join(tmpdir(), 'dbfleet-mssql-verify-'));
  const path = join(dir, 'acme.bak');
  await writeFile(path, 'TAPE…');
  const knex = fakeKnex({ DatabaseName: backupOf, BackupType: 1 });
  const ctx = {
    tenant: { id: 'acme', database: inventoryName, connection: {} },
    session: async () => ({ knex }),
  } as unknown as BackupContext;
  return (await mssqlBackupDriver.inspect(ctx, path, {} as ArchiveInfo)).problems;
}

test('a backup of the tenant’s database passes whatever case the inventory spells its name in', async () => {
  assert.deepEqual(await problemsOf('acme', 'Acme'), []);
  assert.deepEqual(await problemsOf('ACME', 'acme'), []);
  assert.deepEqual(await problemsOf('acme', 'other'), ['the file is a backup of database other, not acme']);
});
