import { rename, rm, stat } from 'node:fs/promises';
import { type ErrorInfo, errorMessage, TenantError } from '../core/errors.js';
import type { FingerprintLevel } from '../dialect/backup-types.js';
import { type StructurePrint, structurePrint } from '../dialect/structure-print.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { checkBackup, sweepStale } from './checks.js';
import {
  type BackupDetails,
  type BackupRunSettings,
  backupContextOf,
  driverOf,
  startStep,
  summaryOf,
} from './context.js';
import { ensurePrivateDir, fsyncDir, fsyncFile, reserveBackupPaths, sha256File, tenantDir } from './files.js';
import { databaseOf } from './identity.js';
import { type BackupManifest, writeManifest } from './manifest.js';
import { applyRetention } from './retention.js';
import { setAsideFailed } from './set-aside.js';
import { isBackupVerdict } from './verdict.js';

export interface BackupTenantOptions extends BackupRunSettings {
  fingerprintLevel: FingerprintLevel;
  /** Verification right after the backup (Ola Hallengren's `@Verify`); default light. */
  verify: 'none' | 'light' | 'deep';
  /** Retention: keep the newest n verified backups (see `planRetention`); unset = delete nothing. */
  keep?: number;
  /** An upgrade run's own backup: recorded in the manifest, so retention can keep the one it needs. */
  upgrade?: { run: string; stage: 'pre' | 'post' };
}

/**
 * The tenant's structure as drift reads it, for the report's Drift section (the journal keeps it, the
 * manifest does not: its fingerprint stays what verify and restore compare). Read right after the dump:
 * an upgrade's tenant is closed then, and a backup is no moment for DDL. Without it (a read that fails)
 * the report falls back to the manifests' fingerprints; the backup does not fail for it.
 */
async function readStructure(ctx: TenantContext): Promise<StructurePrint | undefined> {
  // Only a schema tenant needs it: database tenants' manifests name everything alike (`public.…`) and
  // compare as they are, and a second catalog read per backup is a cold backend's most expensive query.
  if (ctx.tenant.schema === undefined) return undefined;
  try {
    return structurePrint(await (await ctx.session()).schemaShape());
  } catch {
    return undefined;
  }
}

/**
 * One tenant's backup: dump into a private temporary file, fsync, refuse an empty result, hash, rename
 * to `<timestamp>.<ext>`, write the manifest, verify, record the verification (a backup that fails it
 * gives up its final name: see `setAsideFailedBackup`), then apply retention.
 * Retention runs only after this backup verified (or, with verify 'none', was written): a failed or
 * empty backup never costs the tenant an older good one.
 */
export async function backupTenant(
  ctx: TenantContext,
  options: BackupTenantOptions,
): Promise<TaskOutcome<BackupDetails>> {
  const driver = driverOf(ctx);
  const dir = tenantDir(options.backupDir, ctx.tenant.id);
  const bctx = backupContextOf(ctx, options, dir);
  const details: BackupDetails = { backup: null };

  let done = startStep(ctx, 'backup');
  let manifest: BackupManifest;
  let path: string;
  let manifestPath: string;
  try {
    await ensurePrivateDir(dir).catch((err: unknown) => {
      throw new TenantError('BACKUP_DIR', `cannot create ${dir}: ${errorMessage(err)}`);
    });
    await schemaMustExist(ctx);
    const paths = await reserveBackupPaths(dir, driver.extension);
    ({ path, manifestPath } = paths);
    const started = new Date();
    try {
      const result = await driver.backup(bctx, paths.tmpPath, options.fingerprintLevel);
      await fsyncFile(paths.tmpPath);
      const { size } = await stat(paths.tmpPath);
      if (size === 0) {
        throw new TenantError(
          'BACKUP_EMPTY',
          `${result.tool} reported success but wrote 0 bytes; nothing was kept`,
        );
      }
      const sha256 = await sha256File(paths.tmpPath);
      await rename(paths.tmpPath, path);
      await fsyncDir(dir);
      manifest = {
        format: 'dbfleet-backup',
        version: 1,
        tenant: ctx.tenant.id,
        dialect: ctx.tenant.dialect,
        database: databaseOf(ctx.tenant),
        server: ctx.tenant.host,
        file: path.slice(dir.length + 1),
        server_version: result.serverVersion,
        tool: result.tool,
        tool_version: result.toolVersion,
        bytes: size,
        sha256,
        created_at: started.toISOString(),
        duration_ms: Date.now() - started.getTime(),
        fingerprint: result.fingerprint,
        verification: null,
        ...(options.upgrade ? { upgrade: options.upgrade } : {}),
        ...(result.databaseSettings ? { database_settings: result.databaseSettings } : {}),
      };
      // Without its manifest a backup cannot be verified or restored: keep both or neither.
      await writeManifest(manifestPath, manifest).catch(async (err: unknown) => {
        await rm(path, { force: true });
        throw err;
      });
    } finally {
      await rm(paths.tmpPath, { force: true });
    }
    details.backup = summaryOf(path, manifest, false);
    details.fingerprint = {
      level: manifest.fingerprint.level,
      tables: Object.keys(manifest.fingerprint.tables).length,
    };
    const structure = await readStructure(ctx);
    done('succeeded', {
      data: { path, bytes: manifest.bytes, sha256: manifest.sha256, ...(structure ? { structure } : {}) },
    });
  } catch (err) {
    const error = diskFull(err) ?? describeFailure(err, ctx.adapter);
    done('failed', { error });
    return { error, details };
  }

  if (options.verify !== 'none') {
    const deep = options.verify === 'deep';
    if (deep) {
      const swept = await sweepStale(ctx, bctx, driver);
      if (swept.length) details.swept = swept;
    }
    done = startStep(ctx, deep ? 'verify:deep' : 'verify:light');
    // The hash was just taken from the fsync'd file: re-reading it proves nothing more.
    const check = await checkBackup(
      ctx,
      bctx,
      driver,
      { path, manifestPath, manifest },
      { deep, checksum: false },
    );
    // A failure that is no verdict on the backup (an interrupt, no CREATEDB for the scratch copy: see
    // isBackupVerdict) fails the tenant with its cause; the backup keeps its name, unverified.
    if (check.error && !isBackupVerdict(check.error.code)) {
      details.backup = summaryOf(path, manifest, false);
      details.checks = check.checks;
      done('failed', { error: check.error });
      return { error: check.error, details };
    }
    manifest.verification = {
      level: deep ? 'deep' : 'light',
      ok: check.verified !== false,
      at: new Date().toISOString(),
      ...(check.error ? { problems: [check.error.message] } : {}),
    };
    // A full volume can refuse this second write too (the first manifest fitted): the backup stays with
    // its manifest as written before — unverified, so no restore picks it — and the tenant says why.
    const notRecorded = await writeManifest(manifestPath, manifest).then(
      () => undefined,
      (err: unknown) => diskFull(err, 'kept') ?? describeFailure(err, ctx.adapter),
    );
    details.backup = summaryOf(path, manifest, notRecorded ? false : check.verified);
    details.checks = check.checks;
    if (check.differences.length) details.differences = check.differences;
    if (notRecorded && !check.error) {
      const error = {
        code: notRecorded.code,
        message: `the backup passed its ${deep ? 'deep' : 'light'} verify, but its manifest could not record that, so it stays unverified: ${notRecorded.message}`,
      };
      done('failed', { error });
      return { error, details };
    }
    if (check.error) {
      const error = await setAsideFailed(ctx, path, manifestPath, check.error);
      if (error.path) details.backup = summaryOf(error.path, manifest, false);
      done('failed', { error: error.info });
      return { error: error.info, details };
    }
    done('succeeded');
  }

  if (options.keep !== undefined) {
    done = startStep(ctx, 'retention');
    try {
      details.retention = await applyRetention(dir, options.keep, { owner: ctx.tenant, written: path });
      const held = details.retention.heldForRollback;
      // One backup more than --keep asked for stays: say which and why, in the run's log too.
      if (held)
        ctx.emit({
          type: 'notice',
          tenantId: ctx.tenant.id,
          level: 'info',
          message: `kept ${held.path} beyond --keep ${options.keep}: the pre-upgrade backup of upgrade run ${held.run}, which its rollback restores`,
        });
      done('succeeded', { data: { ...details.retention } });
    } catch (err) {
      // The new backup is good; failing to delete old ones is worth a failed status, not a lost backup.
      const error = describeFailure(err, ctx.adapter);
      done('failed', { error });
      return { error: { code: 'RETENTION_FAILED', message: error.message }, details };
    }
  }
  return { details };
}

/**
 * A schema tenant whose schema is gone (dropped by mistake, a typo in the inventory) has nothing to back
 * up: an empty backup would be reported good, and retention would delete the last one with data.
 */
async function schemaMustExist(ctx: TenantContext): Promise<void> {
  if (!ctx.tenant.schema || (await (await ctx.session()).schemaExists())) return;
  throw new TenantError(
    'DATABASE_NOT_FOUND',
    `schema ${ctx.tenant.schema} does not exist in ${ctx.tenant.database}: nothing to back up (only a migrate creates a tenant's schema)`,
  );
}

/** A full backup volume, whoever hit it (the tool, the hash, the manifest): one code a DBA can act on. */
function diskFull(err: unknown, backup: 'removed' | 'kept' = 'removed'): ErrorInfo | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'ENOSPC' && code !== 'SQLITE_FULL') return undefined;
  return {
    code: 'DISK_FULL',
    message: `the backup volume is full (${errorMessage(err)})${backup === 'removed' ? '; nothing was kept' : ''}`,
  };
}
