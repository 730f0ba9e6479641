import type { TaskOutcome, TenantContext } from '../fleet/run-fleet.js';
import { describeFailure } from '../util/describe-failure.js';
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

export interface VerifyTenantOptions extends BackupRunSettings {
  deep: boolean;
  backup: BackupSelector;
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
    const swept = await sweepStale(ctx, bctx, driver);
    if (swept.length) details.swept = swept;
    const check = await checkBackup(ctx, bctx, driver, entry, { deep: options.deep, checksum: true });
    details.checks = check.checks;
    if (check.differences.length) details.differences = check.differences;
    if (entry.manifest) {
      details.backup = summaryOf(entry.path, entry.manifest, check.verified);
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
    done(
      check.error ? 'failed' : 'succeeded',
      check.error ? { error: check.error } : { data: { verified: check.verified } },
    );
    return { ...(check.error ? { error: check.error } : {}), details };
  } catch (err) {
    const error = describeFailure(err, ctx.adapter);
    done('failed', { error });
    return { error, details };
  }
}
