import { readFile } from 'node:fs/promises';
import { backupContextOf, driverOf } from '../backup/context.js';
import { manifestPathFor, prepareBackupDir } from '../backup/files.js';
import { parseManifest } from '../backup/manifest.js';
import { backupAbsence } from '../backup/presence.js';
import { restoreFromBackup } from '../backup/restore.js';
import { backupTenant } from '../backup/take.js';
import { tenantFolderProblems } from '../backup/tenant-folder.js';
import { verifyTenantBackup } from '../backup/verify.js';
import { TenantError } from '../core/errors.js';
import type { FingerprintLevel, ToolOptions } from '../dialect/backup-types.js';
import { withTenantLock } from '../dialect/tenant-lock.js';
import type { SessionOptions, Timeouts } from '../dialect/types.js';
import { optimizationEntries } from '../fleet/definition-set.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { assertDownsRunnable } from '../migration/down-guard.js';
import { historyExists, readApplied } from '../migration/history.js';
import { type HistoryOptions, historyLocation, historyTables } from '../migration/history-location.js';
import { migrateTenant, runMigration } from '../migration/migrator.js';
import type { Migration } from '../migration/types.js';
import { optimizeTenant } from '../optimization/runner.js';
import type { LoadedOptimization } from '../optimization/types.js';
import { checkAfterDowns } from './after-downs.js';
import type { BackupTaken, UpgradeOperations } from './types.js';

export interface OperationSettings {
  migrations: readonly Migration[];
  migrationsDir?: string;
  optimizations: readonly LoadedOptimization[];
  backupDir: string;
  sessionOptions: SessionOptions;
  timeouts: Timeouts;
  lockWaitMs: number;
  allowOutOfOrder?: boolean;
  fingerprintLevel?: FingerprintLevel;
  tools?: ToolOptions;
  /** knex's tableName/schemaName (default knex_migrations). */
  history?: HistoryOptions;
}

/** Binds the upgrade pipeline to the real backups, migrator and optimizer. */
export function createUpgradeOperations(settings: OperationSettings): UpgradeOperations {
  const backupSettings = {
    backupDir: settings.backupDir,
    sessionOptions: settings.sessionOptions,
    tools: settings.tools ?? {},
  };
  const byName = new Map(settings.migrations.map((m) => [m.name, m]));
  /** The tenant's applied migrations in the order they were applied (none before its history exists). */
  const historyRows = async (ctx: TenantContext) => {
    const session = await ctx.session();
    const where = historyLocation(session.tenant, settings.history);
    if (!(await historyExists(session.knex, where))) return [];
    return readApplied(session.knex, where);
  };

  return {
    definitions: {
      migrations: settings.migrations,
      optimizations: optimizationEntries(settings.optimizations),
    },
    async backup(ctx, label, runId) {
      const outcome = await backupTenant(ctx, {
        ...backupSettings,
        fingerprintLevel: settings.fingerprintLevel ?? 'counts',
        verify: 'none',
        // Marked as this run's, so a `backup --keep` meanwhile or later keeps what its rollback restores.
        upgrade: { run: runId, stage: label },
      });
      if (outcome.error || !outcome.details.backup)
        throw new TenantError(
          outcome.error?.code ?? 'BACKUP_FAILED',
          outcome.error?.message ?? 'no backup was written',
        );
      const { path, bytes, sha256 } = outcome.details.backup;
      const manifest = parseManifest(await readFile(manifestPathFor(path), 'utf8'));
      const taken: BackupTaken = { path, bytes, sha256, fingerprint: manifest.fingerprint };
      if (label === 'pre') taken.historyRows = (await historyRows(ctx)).length;
      return taken;
    },
    async appliedSince(ctx, rows) {
      const since = (await historyRows(ctx)).slice(rows);
      // An upgrade run applies its migrations as one batch (a resume continues it): a later batch is
      // someone else's (a plain `migrate` since the kill) — never counted, journaled or downed as the run's.
      return since.filter((a) => a.batch === since[0]?.batch).map((a) => a.name);
    },
    async verify(ctx, backup, deep, justTaken) {
      // A backup of this upgrade: if it fails, it must not stay under a backup's final name.
      const outcome = await verifyTenantBackup(ctx, {
        ...backupSettings,
        deep,
        backup: backup.path,
        setAsideOnFailure: true,
        justTaken,
      });
      if (outcome.error) throw new TenantError(outcome.error.code, outcome.error.message);
      return { verified: deep ? 'deep' : 'light' };
    },
    async backupFolderProblems(tenantIds) {
      // Checked by prepareUpgrade already; not by a library caller who built these operations itself.
      await prepareBackupDir(settings.backupDir, { create: true, writable: true });
      return tenantFolderProblems(settings.backupDir, tenantIds);
    },
    async probeLock(ctx) {
      await withTenantLock(
        await ctx.session(),
        { waitMs: settings.lockWaitMs, signal: ctx.signal },
        async () => {},
      );
    },
    async migrate(ctx, appliedBefore = []) {
      const session = await ctx.session();
      let result: Awaited<ReturnType<typeof migrateTenant>>;
      try {
        result = await migrateTenant({
          session,
          closeSession: ctx.releaseSession,
          adapter: ctx.adapter,
          migrations: settings.migrations,
          directory: settings.migrationsDir,
          timeouts: settings.timeouts,
          lockWaitMs: settings.lockWaitMs,
          allowOutOfOrder: settings.allowOutOfOrder,
          emit: ctx.emit,
          signal: ctx.signal,
          history: settings.history,
          continueBatchOf: appliedBefore,
        });
      } catch (err) {
        // Thrown before any migration ran (lock, history read, plan refused): nothing to roll back.
        if (err instanceof Error) Object.assign(err, { unchanged: true });
        throw err;
      }
      // A first migration that failed in its own transaction changed nothing — unless it committed that
      // transaction itself (TRANSACTION_ENDED): then the backup is restored like after any change.
      const failedFirst =
        result.error && result.error.code !== 'TRANSACTION_ENDED' && result.details.applied.length === 0;
      const failed = failedFirst ? byName.get(result.details.pending[0] ?? '') : undefined;
      return {
        applied: result.details.applied,
        current: result.details.current,
        ...(result.error ? { error: result.error } : {}),
        ...(failed?.config.transaction ? { unchanged: true } : {}),
      };
    },
    async optimize(ctx) {
      const session = await ctx.session();
      const result = await optimizeTenant({
        session,
        adapter: ctx.adapter,
        optimizations: settings.optimizations,
        timeouts: settings.timeouts,
        lockWaitMs: settings.lockWaitMs,
        emit: ctx.emit,
        signal: ctx.signal,
      });
      return {
        optimizations: result.details.optimizations,
        ...(result.error ? { error: result.error } : {}),
      };
    },
    databaseGone: (ctx) => driverOf(ctx).databaseGone?.(ctx.tenant) === true,
    backupAbsence: (backup) => backupAbsence(backup.path),
    async restore(ctx, backup) {
      // Tables the failed upgrade created are not in the backup: the rollback drops them.
      const outcome = await restoreFromBackup(ctx, {
        ...backupSettings,
        backup: backup.path,
        dropUnexpected: true,
        lockWaitMs: settings.lockWaitMs,
      });
      // Held by another runner, the restore did not start: skipped, as a restore says (not a failed one).
      if (outcome.error)
        throw new TenantError(outcome.error.code, outcome.error.message, {
          skipped: outcome.status === 'skipped',
        });
    },
    async down(ctx, applied, expected, onReverted, onKept) {
      const session = await ctx.session();
      const where = historyLocation(session.tenant, settings.history);
      const reverted = await withTenantLock(session, settings.lockWaitMs, async () => {
        // Only what the tenant has applied now, read under the lock: the down of a migration that is not
        // (reverted by an earlier rollback, one that stopped half-way included) undoes what is there.
        const now = (await historyExists(session.knex, where)) ? await readApplied(session.knex, where) : [];
        const todo = applied.filter((name) => now.some((a) => a.name === name)).reverse();
        // Migrations applied after these (a later upgrade's) were written against the schema these downs
        // would undo: rolled back first, or not at all — knex's rollback also only takes the last batch.
        const first = now.findIndex((a) => todo.includes(a.name));
        const newer = first < 0 ? [] : now.slice(first).filter((a) => !todo.includes(a.name));
        if (newer.length)
          throw new TenantError(
            'NEWER_MIGRATIONS_APPLIED',
            `cannot run these downs: ${newer.map((a) => a.name).join(', ')} ${newer.length === 1 ? 'was' : 'were'} applied after them (a later upgrade); roll that back first. Nothing was rolled back`,
          );
        await assertDownsRunnable(session, where, todo, byName);
        const opts = {
          session,
          closeSession: ctx.releaseSession,
          adapter: ctx.adapter,
          migrations: settings.migrations,
          timeouts: settings.timeouts,
          lockWaitMs: 0,
          emit: ctx.emit,
          history: settings.history,
        };
        for (const name of todo) {
          await runMigration(opts, byName.get(name)!, 'down', 0);
          onReverted?.(name);
          ctx.emit({
            type: 'migration:applied',
            tenantId: ctx.tenant.id,
            name,
            direction: 'down',
            durationMs: 0,
          });
        }
        return todo;
      });
      if (!expected) return reverted;
      // The history tables are the migrator's bookkeeping, not what the downs undo: a tenant without them
      // before the upgrade has them, emptied, after its downs (its every rollback was a ROLLBACK_MISMATCH).
      const kept = await checkAfterDowns({
        driver: driverOf(ctx),
        bctx: backupContextOf(ctx, backupSettings),
        session,
        expected,
        bookkeeping: historyTables(historyLocation(session.tenant, settings.history)),
        optimizations: settings.optimizations,
      });
      for (const note of kept) {
        ctx.emit({
          type: 'notice',
          tenantId: ctx.tenant.id,
          level: 'info',
          message: `${ctx.tenant.id}: ${note}`,
        });
        onKept?.(note);
      }
      return reverted;
    },
  };
}
