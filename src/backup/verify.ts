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
import { entryDir, writeManifest } from './manifest.js';
import { type BackupSelector, selectBackup } from './select.js';
import { setAsideFailed } from './set-aside.js';
import { isBackupVerdict } from './verdict.js';

export interface VerifyTenantOptions extends BackupRunSettings {
  deep: boolean;
  backup: BackupSelector;
  /**
   * The backup was just taken (the upgrade's own): if it fails, it gives up its final name (see
   * `setAsideFailedBackup`). An older backup that fails a later `verify` keeps its name and the verdict.
   */
  setAsideOnFailure?: boolean;
  /**
   * This process wrote the backup and hashed the fsync'd file moments ago (an upgrade's own backup, not
   * one a killed run journaled). Its sha256 is not read back — the re-read would come from the page
   * cache and prove nothing more; for a large tenant it was a second full read and hash inside the
   * maintenance window — and a light check sweeps no scratch copies (it makes none): what
   * `backup --verify` does. A deep check still sweeps before it restores.
   */
  justTaken?: boolean;
}

/**
 * `verify` for one tenant: sweeps scratch copies of killed runs, checks the chosen backup (light or
 * deep), and records the verdict in its manifest — retention and `restore … latest` rely on it.
 */
export async function verifyTenantBackup(
  ctx: TenantContext,
  options: VerifyTenantOptions,
): Promise<TaskOutcome<BackupDetails>> {
  const driver = driverOf(ctx);
  const details: BackupDetails = { backup: null };
  const done = startStep(ctx, options.deep ? 'verify:deep' : 'verify:light');
  try {
    const entry = await selectBackup(ctx, options.backupDir, options.backup, { verifiedOnly: false });
    const bctx = backupContextOf(ctx, options, entryDir(entry));
    const justTaken = options.justTaken === true;
    const swept = options.deep || !justTaken ? await sweepStale(ctx, bctx, driver) : [];
    if (swept.length) details.swept = swept;
    const check = await checkBackup(ctx, bctx, driver, entry, {
      deep: options.deep,
      checksum: !justTaken,
    });
    details.checks = check.checks;
    if (check.differences.length) details.differences = check.differences;
    if (entry.manifest) details.backup = summaryOf(entry.path, entry.manifest, check.verified);
    // Only a verdict on the backup is recorded (see isBackupVerdict): an interrupt, a missing CREATEDB or
    // another tenant's file leaves the manifest's last verdict, and the file, as they were.
    const verdict = !check.error || isBackupVerdict(check.error.code);
    if (entry.manifest && verdict) {
      const manifest = {
        ...entry.manifest,
        verification: {
          level: options.deep ? ('deep' as const) : ('light' as const),
          ok: check.verified !== false,
          at: new Date().toISOString(),
          ...(check.error ? { problems: [check.error.message] } : {}),
        },
      };
      // A read-only backup volume can still be verified; only the record of it is lost.
      await writeManifest(entry.manifestPath, manifest).catch((err: unknown) => {
        const message = `could not record the verification in ${entry.manifestPath}: ${describeFailure(err).message}`;
        ctx.emit({ type: 'notice', tenantId: ctx.tenant.id, level: 'warn', message });
      });
    }
    let error = check.error;
    if (error && verdict && options.setAsideOnFailure && entry.manifest) {
      const setAside = await setAsideFailed(ctx, entry.path, entry.manifestPath, error);
      error = setAside.info;
      if (setAside.path) details.backup = summaryOf(setAside.path, entry.manifest, false);
    }
    done(error ? 'failed' : 'succeeded', error ? { error } : { data: { verified: check.verified } });
    return { ...(error ? { error } : {}), details };
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    done('failed', { error });
    return { error, details };
  }
}
