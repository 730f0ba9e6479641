import { randomInt } from 'node:crypto';
import type { Knex } from 'knex';
import { errorMessage, TenantError } from '../../core/errors.js';
import type { ArchiveInfo, BackupContext, FingerprintLevel, Scratch } from '../backup-types.js';
import { getAppLockSql, interpretGetAppLock, releaseAppLockSql } from './applock.js';
import { backupPathMapOf, serverBackupPath } from './backup-path.js';
import { describeMssqlError } from './errors.js';
import { fingerprintMssql } from './fingerprint.js';
import { queryBatch } from './raw-connection.js';
import { serverInfoOf } from './session-registry.js';
import {
  checkDbSql,
  createScratchSql,
  dropScratchSql,
  fileListOnlySql,
  isScratchOf,
  listScratchSql,
  planScratchFiles,
  readFileList,
  restoreAsSql,
  scratchPrefix,
} from './sql/backup.js';

/**
 * Scratch databases for deep verification: `dbfleet_verify_<tenant>_<n>` on the tenant's server,
 * restored from the backup and read through three-part names from the tenant's own connection.
 * Ownership is a session-owned application lock on the scratch name, taken in the tenant's database from
 * before CREATE DATABASE until after DROP: a killed run's lock dies with its connection, so a later sweep
 * tells an abandoned scratch database (lock free) from one another run is using (lock held).
 */
const scratchResource = (name: string) => `dbfleet:scratch:${name}`;

/** Scratch databases this process created and has not dropped yet: never swept by itself. */
const mine = new Set<string>();

async function tryOwn(knex: Knex, name: string): Promise<boolean> {
  const { rows } = await queryBatch(knex, getAppLockSql(scratchResource(name), 0));
  return interpretGetAppLock(rows[0]?.result, scratchResource(name));
}

async function release(knex: Knex, name: string): Promise<void> {
  await queryBatch(knex, releaseAppLockSql(scratchResource(name))).catch(() => {});
}

async function dropDatabase(knex: Knex, name: string): Promise<void> {
  await queryBatch(knex, dropScratchSql(name), { timeoutMs: 0 });
}

export async function sweepMssqlScratch(ctx: BackupContext): Promise<string[]> {
  const { knex } = await ctx.session();
  const { rows } = await queryBatch(knex, listScratchSql(scratchPrefix(ctx.tenant)));
  const dropped: string[] = [];
  const failed: string[] = [];
  for (const name of rows.map((r) => String(r.name))) {
    if (!isScratchOf(ctx.tenant, name) || mine.has(name)) continue;
    if (!(await tryOwn(knex, name))) continue; // a live run owns it
    try {
      await dropDatabase(knex, name);
      dropped.push(name);
    } catch (err) {
      // One leftover that cannot be dropped must not keep the sweep from the others.
      failed.push(`${name} (${describeMssqlError(err)})`);
    } finally {
      await release(knex, name);
    }
  }
  // The contract returns what was dropped; a failure is an error, so it names those dropped too.
  if (failed.length > 0) {
    const also = dropped.length > 0 ? `; dropped ${dropped.join(', ')}` : '';
    throw new Error(`could not drop ${failed.join(', ')}${also}`);
  }
  return dropped;
}

/** DBCC CHECKDB reports corruption as error messages: each one is a problem, not a failure of the check. */
async function checkDb(knex: Knex, name: string): Promise<string[]> {
  try {
    await queryBatch(knex, checkDbSql(name), { timeoutMs: 0 });
    return [];
  } catch (err) {
    return [`DBCC CHECKDB on the restored copy: ${describeMssqlError(err)}`];
  }
}

export async function createMssqlScratch(ctx: BackupContext): Promise<Scratch> {
  const { knex } = await ctx.session();
  const name = `${scratchPrefix(ctx.tenant)}${randomInt(1, 2 ** 31 - 1)}`;
  mine.add(name);
  if (!(await tryOwn(knex, name))) {
    mine.delete(name);
    throw new TenantError('SCRATCH_FAILED', `scratch database name ${name} is in use by another run`);
  }
  try {
    await queryBatch(knex, createScratchSql(name), { timeoutMs: 0 });
  } catch (err) {
    await release(knex, name);
    mine.delete(name);
    throw new TenantError(
      'SCRATCH_FAILED',
      `cannot create the scratch database ${name} for deep verification (the login needs CREATE ANY DATABASE or dbcreator): ${errorMessage(err)}`,
    );
  }
  const scope = { database: name, schema: ctx.tenant.schema };
  let dropped = false;

  return {
    name,
    async restore(path: string, _info: ArchiveInfo) {
      const serverPath = serverBackupPath(path, backupPathMapOf(ctx.tenant.connection));
      const server = await serverInfoOf(knex);
      if (!server.defaultDataPath || !server.defaultLogPath) {
        throw new TenantError(
          'SCRATCH_FAILED',
          'the server reports no default data/log directory to restore the scratch copy into',
        );
      }
      const files = readFileList(
        (await queryBatch(knex, fileListOnlySql(serverPath), { timeoutMs: 0 })).rows,
      );
      const moves = planScratchFiles(files, name, server.defaultDataPath, server.defaultLogPath);
      try {
        await queryBatch(knex, restoreAsSql(name, serverPath, moves, { replace: true }), { timeoutMs: 0 });
      } catch (err) {
        throw new TenantError(
          'RESTORE_FAILED',
          `restoring into scratch database ${name}: ${describeMssqlError(err)}`,
          {
            cause: err,
          },
        );
      }
    },
    integrityCheck: () => checkDb(knex, name),
    fingerprint: (level: FingerprintLevel) => fingerprintMssql(knex, level, scope),
    async drop() {
      if (dropped) return;
      try {
        await dropDatabase(knex, name);
        dropped = true;
      } finally {
        // Without the lock (and out of `mine`) a later sweep removes what a failed drop left behind.
        await release(knex, name);
        mine.delete(name);
      }
    },
  };
}
