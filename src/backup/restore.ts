import { type ErrorInfo, TenantError } from '../core/errors.js';
import type { HistoryOptions } from '../core/history-options.js';
import { fingerprintVersion } from '../dialect/fingerprint-hash.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import type { UpgradeRollback } from '../journal/rollbacks.js';
import { checkBackup } from './checks.js';
import { compareFingerprints } from './compare.js';
import {
  archiveInfoOf,
  type BackupDetails,
  type BackupRunSettings,
  backupContextOf,
  driverOf,
  startStep,
  summaryOf,
} from './context.js';
import { heldVersion } from './held-version.js';
import { type BackupEntry, entryDir } from './manifest.js';
import { restoredButDiffers } from './restore-mismatch.js';
import { type BackupSelector, describeSkipped, selectBackup } from './select.js';

export interface RestoreTenantOptions extends BackupRunSettings {
  backup: BackupSelector;
  /**
   * Drop tables/views that exist now but not in the backup (what the rolled-back migration created).
   * Without it such a restore refuses before changing anything.
   */
  dropUnexpected?: boolean;
  /** How long to wait for the tenant's migration lock (default 0: a tenant another runner holds is skipped). */
  lockWaitMs?: number;
  /**
   * The upgrade runs rolled back for this tenant since, by run id (from the journal): `latest` does not
   * take their post-upgrade backups (see `selectBackup`).
   */
  rolledBack?: ReadonlyMap<string, UpgradeRollback>;
  /** knex's tableName/schemaName: where the restored history says which version came back. */
  history?: HistoryOptions;
}

/**
 * Restores one tenant from a backup into its own database — the rollback of the upgrade pipeline, so it
 * takes the tenant's context and can run inside any fleet task. The backup is light-verified first
 * (checksum included) and refused if that fails; afterwards the tenant's fingerprint must equal the
 * manifest's, otherwise the tenant is reported failed with what differs.
 */
export async function restoreFromBackup(
  ctx: TenantContext,
  options: RestoreTenantOptions,
): Promise<TaskOutcome<BackupDetails>> {
  const details: BackupDetails = { backup: null, restored: false };
  let done = startStep(ctx, 'restore:check');
  try {
    const driver = driverOf(ctx);
    const entry = await selectBackup(ctx, options.backupDir, options.backup, {
      verifiedOnly: options.backup === 'latest',
      ...(options.rolledBack ? { rolledBack: options.rolledBack } : {}),
    });
    if (entry.passedOver) details.passedOver = entry.passedOver;
    if (entry.skipped?.length) {
      // Restoring it would bring back what the rollback undid; a --backup naming it still does.
      details.notes = entry.skipped.map(
        (s) => `skipped ${describeSkipped(s)} — name it with --backup to restore it anyway`,
      );
      for (const message of details.notes)
        ctx.emit({ type: 'notice', tenantId: ctx.tenant.id, level: 'warn', message });
    }
    const bctx = backupContextOf(ctx, options, entryDir(entry));
    const check = await checkBackup(ctx, bctx, driver, entry, { deep: false, checksum: true });
    details.checks = check.checks;
    if (entry.manifest) details.backup = summaryOf(entry.path, entry.manifest, check.verified);
    // What the light check finds now comes first; a pass cannot outweigh a recorded failed verdict.
    const refused: ErrorInfo | undefined =
      check.error || !entry.manifest
        ? {
            code: 'RESTORE_REFUSED',
            message: `refusing to restore ${ctx.tenant.id} from ${entry.path}: ${check.error?.message ?? 'no manifest'} [${check.error?.code ?? 'MANIFEST_INVALID'}]`,
          }
        : failedVerdictOf(ctx, entry);
    if (refused || !entry.manifest) {
      done('failed', { error: refused });
      return { error: refused, details };
    }
    done('succeeded');
    const manifest = entry.manifest;

    done = startStep(ctx, 'restore');
    // A tenant file that is gone (deleted, moved away) is what a restore is for, but it cannot be opened,
    // so neither locked: the driver writes the backup to its place as a new file, never a half one.
    const recreated = (await driver.recreate?.(bctx, entry.path, archiveInfoOf(manifest))) === true;
    // Otherwise under the tenant's migration lock: a restore must not replace a tenant another runner is
    // migrating.
    const wait = { waitMs: options.lockWaitMs ?? 0, signal: ctx.signal };
    if (!recreated)
      await withTenantLock(await ctx.session(), wait, () =>
        driver.restore(bctx, entry.path, archiveInfoOf(manifest), {
          dropUnexpected: options.dropUnexpected === true,
        }),
      );
    details.restored = true;
    details.restoredFrom = {
      path: entry.path,
      takenAt: manifest.created_at,
      run: manifest.upgrade?.run ?? null,
      stage: manifest.upgrade?.stage ?? null,
    };
    const version = await heldVersion(ctx, options.history);
    if (version !== undefined) details.restoredFrom.migration = version;
    done('succeeded', { data: { path: entry.path, ...(recreated ? { recreated: true } : {}) } });

    done = startStep(ctx, 'restore:fingerprint');
    const { level } = manifest.fingerprint;
    const found = await driver.fingerprint(bctx, level, fingerprintVersion(manifest.fingerprint));
    const differences = compareFingerprints(manifest.fingerprint, found);
    if (differences.length > 0) {
      details.differences = differences;
      throw new TenantError(
        'RESTORE_MISMATCH',
        restoredButDiffers(ctx.tenant.id, entry.path, manifest, differences),
      );
    }
    details.checks.push({
      check: 'fingerprint',
      ok: true,
      detail: `${manifest.fingerprint.level}, ${Object.keys(found.tables).length} tables`,
    });
    done('succeeded');
    return { details };
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    done('failed', { error });
    return {
      ...(err instanceof TenantError && err.skipped ? { status: 'skipped' as const } : {}),
      error,
      details,
    };
  }
}

/**
 * A backup whose last verification failed (`--backup <path>` names it; `latest` never picks one) is not
 * restored: the light check before a restore cannot see what a deep one found (a fingerprint mismatch),
 * and the tenant's data would be replaced by it. A `verify` of it that passes records a new verdict.
 */
function failedVerdictOf(ctx: TenantContext, entry: BackupEntry): ErrorInfo | undefined {
  const verdict = entry.manifest?.verification;
  if (verdict?.ok !== false) return undefined;
  const problems = verdict.problems?.join('; ') || 'no problem recorded';
  return {
    code: 'RESTORE_REFUSED',
    message: `refusing to restore ${ctx.tenant.id} from ${entry.path}: its ${verdict.level} verification at ${verdict.at} failed: ${problems} (verify it again: a passing verify records a new verdict)`,
  };
}
