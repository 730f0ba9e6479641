import { stat } from 'node:fs/promises';
import type { ErrorCode, ErrorInfo } from '../core/errors.js';
import { errorMessage } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { BackupContext, BackupDriver } from '../dialect/backup-types.js';
import { buildFingerprint, fingerprintVersion } from '../dialect/fingerprint-hash.js';
import { describeFailure } from '../fleet/describe-failure.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { compareFingerprints, describeDifferences, type FingerprintDifference } from './compare.js';
import { archiveInfoOf, type CheckRecord, startStep, type VerifiedLevel } from './context.js';
import { sha256File } from './files.js';
import { otherOwner } from './identity.js';
import type { BackupEntry } from './manifest.js';

export interface CheckOutcome {
  verified: VerifiedLevel;
  checks: CheckRecord[];
  differences: FingerprintDifference[];
  error?: ErrorInfo;
}

export interface CheckOptions {
  deep: boolean;
  /** Re-hash the file. Skipped only right after a backup, whose hash was just taken from the fsync'd file. */
  checksum: boolean;
}

/**
 * Light, then (optionally) deep verification of one backup — what `RESTORE VERIFYONLY` and
 * `Test-DbaLastBackup` do for SQL Server. The first failing check ends it and names the reason; every
 * check that ran is in `checks`.
 *
 * Light: the manifest is valid and belongs to this tenant; the file exists, is not empty, has the
 * manifest's size and sha256; the dialect can read it and it holds every table of the fingerprint.
 * Deep: restore into a scratch target, run the dialect's integrity checks, compare the fingerprint, and
 * drop the scratch target — also when a check failed.
 */
export async function checkBackup(
  ctx: TenantContext,
  bctx: BackupContext,
  driver: BackupDriver,
  entry: BackupEntry,
  options: CheckOptions,
): Promise<CheckOutcome> {
  const checks: CheckRecord[] = [];
  const differences: FingerprintDifference[] = [];
  const fail = (check: CheckRecord['check'], code: ErrorCode, message: string): CheckOutcome => {
    checks.push({ check, ok: false, detail: redact(message) });
    return { verified: false, checks, differences, error: { code, message: redact(message) } };
  };
  const m = entry.manifest;
  if (!m)
    return fail('manifest', 'MANIFEST_INVALID', `${entry.manifestPath}: ${entry.problem ?? 'unreadable'}`);
  // Same tenant id is not enough: another environment's tenant of that id may share the folder.
  const other = otherOwner(m, ctx.tenant);
  if (other) return fail('manifest', 'BACKUP_WRONG_TENANT', `${entry.path} ${other}`);
  checks.push({ check: 'manifest', ok: true });
  // The summary hash the report's Drift section groups tenants by must be the one of the tables and objects
  // beside it: an edited or damaged one passed every check. Said last, once nothing more precise was found
  // (a deep verify names the tables that differ from the restored copy).
  const summary = buildFingerprint(
    m.fingerprint.level,
    m.fingerprint.tables,
    m.fingerprint.objects,
  ).schemaHash;
  const summaryProblem = (): CheckOutcome | undefined =>
    summary === m.fingerprint.schemaHash
      ? undefined
      : fail(
          'manifest',
          'MANIFEST_INVALID',
          `${entry.manifestPath}: its fingerprint's schemaHash ${m.fingerprint.schemaHash} is not the hash of its own tables and objects (${summary}): the manifest was edited or damaged`,
        );

  const info = await stat(entry.path).catch(() => undefined);
  if (!info?.isFile()) return fail('file', 'BACKUP_MISSING', `${entry.path} does not exist`);
  if (info.size === 0)
    return fail('file', 'BACKUP_EMPTY', `${entry.path} is empty (0 bytes; the manifest says ${m.bytes})`);
  if (info.size !== m.bytes) {
    const code = info.size < m.bytes ? 'BACKUP_TRUNCATED' : 'BACKUP_SIZE_MISMATCH';
    const how = info.size < m.bytes ? 'is truncated' : 'has the wrong size';
    return fail('file', code, `${entry.path} ${how}: ${info.size} bytes, the manifest says ${m.bytes}`);
  }
  checks.push({ check: 'file', ok: true, detail: `${info.size} bytes` });

  if (options.checksum) {
    const sha = await sha256File(entry.path);
    if (sha !== m.sha256) {
      return fail(
        'sha256',
        'BACKUP_CHECKSUM_MISMATCH',
        `${entry.path}: sha256 ${sha} is not the manifest's ${m.sha256} — the file changed after it was written`,
      );
    }
    checks.push({ check: 'sha256', ok: true });
  }

  const archive = archiveInfoOf(m);
  const inspection = await driver.inspect(bctx, entry.path, archive);
  if (inspection.problems.length > 0)
    return fail('archive', 'BACKUP_UNREADABLE', inspection.problems.join('; '));
  if (inspection.missingTables.length > 0) {
    for (const table of inspection.missingTables)
      differences.push({ table, what: 'missing', expected: 'table', found: null });
    return fail(
      'archive',
      'BACKUP_INCOMPLETE',
      `the archive lacks tables of the fingerprint: ${inspection.missingTables.join(', ')}`,
    );
  }
  checks.push({
    check: 'archive',
    ok: true,
    detail: `readable, ${Object.keys(m.fingerprint.tables).length} tables`,
  });
  if (!options.deep) return summaryProblem() ?? { verified: 'light', checks, differences };

  const scratch = await driver.createScratch(bctx).catch((err: unknown) => err as Error);
  if (scratch instanceof Error)
    return fail(
      'restore',
      describeFailure(scratch, ctx.adapter).code,
      describeFailure(scratch, ctx.adapter).message,
    );
  let outcome: CheckOutcome | undefined;
  const done = startStep(ctx, 'verify:scratch');
  try {
    await scratch.restore(entry.path, archive);
    checks.push({
      check: 'restore',
      ok: true,
      detail: scratch.detail ? `${scratch.name}, ${scratch.detail}` : scratch.name,
    });
    const problems = await scratch.integrityCheck();
    if (problems.length > 0)
      outcome = fail('integrity', 'INTEGRITY_FAILED', problems.slice(0, 10).join('; '));
    else {
      checks.push({ check: 'integrity', ok: true });
      const found = await scratch.fingerprint(m.fingerprint.level, fingerprintVersion(m.fingerprint));
      differences.push(...compareFingerprints(m.fingerprint, found));
      if (differences.length > 0) {
        outcome = fail(
          'fingerprint',
          'FINGERPRINT_MISMATCH',
          `the restored copy differs from the backup's fingerprint: ${describeDifferences(differences)}`,
        );
      } else {
        checks.push({
          check: 'fingerprint',
          ok: true,
          detail: `${m.fingerprint.level}, ${Object.keys(found.tables).length} tables`,
        });
        outcome = summaryProblem();
      }
    }
  } catch (err) {
    const failure = describeFailure(err, ctx.adapter);
    outcome = fail(
      checks.some((c) => c.check === 'restore') ? 'integrity' : 'restore',
      failure.code,
      failure.message,
    );
  } finally {
    try {
      await scratch.drop();
      checks.push({ check: 'cleanup', ok: true, detail: `dropped ${scratch.name}` });
    } catch (err) {
      // The backup's verdict stands; the leftover is dropped by the next run (its owner is gone).
      const message = `could not drop ${scratch.name}: ${errorMessage(err)}`;
      checks.push({ check: 'cleanup', ok: false, detail: message });
      ctx.emit({ type: 'notice', tenantId: ctx.tenant.id, level: 'warn', message });
    }
    done(
      outcome?.error ? 'failed' : 'succeeded',
      outcome?.error ? { error: outcome.error } : { data: { scratch: scratch.name } },
    );
  }
  return outcome ?? { verified: 'deep', checks, differences };
}

/**
 * Drops scratch targets a killed run left behind for this tenant. Best effort: a tenant whose server
 * is unreachable gets a warning here and fails (or not) on its own checks.
 */
export async function sweepStale(
  ctx: TenantContext,
  bctx: BackupContext,
  driver: BackupDriver,
): Promise<string[]> {
  try {
    const swept = await driver.sweepScratch(bctx);
    for (const name of swept) {
      ctx.emit({
        type: 'notice',
        tenantId: ctx.tenant.id,
        level: 'info',
        message: `dropped ${name}, left by an interrupted verification`,
      });
    }
    return swept;
  } catch (err) {
    const message = `could not look for scratch copies left by an interrupted verification: ${describeFailure(err, ctx.adapter).message}`;
    ctx.emit({ type: 'notice', tenantId: ctx.tenant.id, level: 'warn', message });
    return [];
  }
}
