import { resolve } from 'node:path';
import { prepareBackupDir } from '../backup/files.js';
import type { FingerprintLevel } from '../dialect/backup-types.js';
import { type FleetOptions, resolveTimeouts, sessionOptionsOf } from '../fleet/options.js';
import { checkVerbOptions, FOLDER, JOURNAL, MIGRATIONS } from '../fleet/verb-options.js';
import { resolveMigrations } from '../migration/migrate-fleet.js';
import type { Migration } from '../migration/types.js';
import { resolveOptimizations } from '../optimization/fleet.js';
import type { LoadedOptimization, Optimization } from '../optimization/types.js';
import { type CheckDefinition, type HookDefinition, loadChecks, validateHook } from './checks.js';
import { createUpgradeOperations } from './operations.js';
import type { PreflightOptions } from './preflight.js';
import type { UpgradeOptions } from './upgrade.js';

export interface UpgradeSetup extends FleetOptions {
  migrations: string | readonly Migration[];
  optimizations?: string | readonly LoadedOptimization[] | readonly Optimization[];
  backupDir: string;
  journal: string;
  hooks?: { beforeTenant?: unknown; afterTenant?: unknown };
  checks?: unknown;
  checksDir?: string;
  fingerprintLevel?: FingerprintLevel;
}

/**
 * Everything an upgrade loads once per run — migrations, optimizations, checks, hooks, the backup
 * folder — checked before any tenant is touched (every problem is a usage error, exit 2).
 */
export async function prepareUpgrade(
  setup: UpgradeSetup,
): Promise<
  Pick<UpgradeOptions, 'operations' | 'hooks' | 'checks' | 'journal'> & { preflight: PreflightOptions }
> {
  checkVerbOptions('prepareUpgrade', setup, { migrations: MIGRATIONS, backupDir: FOLDER, journal: JOURNAL });
  const { migrations, directory } = await resolveMigrations({ ...setup, migrations: setup.migrations });
  const optimizations =
    setup.optimizations === undefined
      ? []
      : await resolveOptimizations({ optimizations: setup.optimizations });
  const checks: CheckDefinition[] = await loadChecks(setup.checks, setup.checksDir);
  const hooks: { beforeTenant?: HookDefinition; afterTenant?: HookDefinition } = {};
  const before = validateHook(setup.hooks?.beforeTenant, 'beforeTenant');
  const after = validateHook(setup.hooks?.afterTenant, 'afterTenant');
  if (before) hooks.beforeTenant = before;
  if (after) hooks.afterTenant = after;
  const backupDir = await prepareBackupDir(resolve(setup.backupDir), { create: true, writable: true });
  const operations = createUpgradeOperations({
    migrations,
    migrationsDir: directory,
    optimizations,
    backupDir,
    sessionOptions: sessionOptionsOf(setup),
    timeouts: resolveTimeouts(setup.timeouts),
    lockWaitMs: setup.lockWaitMs ?? 0,
    fingerprintLevel: setup.fingerprintLevel,
    history: setup.history,
  });
  return { operations, hooks, checks, journal: setup.journal, preflight: { migrations } };
}
