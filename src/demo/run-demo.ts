import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventListener } from '../core/events.js';
import type { FleetReport } from '../fleet/report.js';
import { Journal } from '../journal/journal.js';
import { buildFleetReport, renderReportHtml } from '../report/index.js';
import { prepareUpgrade } from '../upgrade/prepare.js';
import type { UpgradeDetails } from '../upgrade/types.js';
import { upgrade } from '../upgrade/upgrade.js';
import { createDemoFleet } from './create-fleet.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
/** The demo fleet starts on release 1 (the first six migrations); release 2 is the upgrade. */
export const DEMO_BASELINE = '20240105000000_create_app_settings.ts';

export interface DemoOptions {
  dir: string;
  tenants: number;
  withFailure?: boolean;
  concurrency?: number;
  onEvent?: EventListener;
  signal?: AbortSignal;
}

export interface DemoResult {
  report: FleetReport<UpgradeDetails>;
  inventoryFile: string;
  journal: string;
  backupDir: string;
  reportFile: string;
  /** A configuration for the demo fleet, so that every other command works on it from any folder. */
  configFile: string;
}

/**
 * `dbfleet demo`: a SQLite fleet on release 1, upgraded to release 2 with the whole runbook — the
 * maintenance flag as hooks, backups verified before and after, the example optimizations and smoke
 * checks — journaled under the demo folder.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const dir = resolve(options.dir);
  const migrations = join(REPO, 'migrations');
  const { tenants, inventoryFile } = await createDemoFleet({
    dir,
    count: options.tenants,
    migrationsDir: migrations,
    baseline: DEMO_BASELINE,
    withFailure: options.withFailure,
  });
  const journal = join(dir, 'journal.db');
  const backupDir = join(dir, 'backups');
  const hooks = {
    beforeTenant: "UPDATE app_settings SET value = 'on' WHERE key = 'maintenance'",
    afterTenant: "UPDATE app_settings SET value = 'off' WHERE key = 'maintenance'",
  };
  const optimizations = join(REPO, 'optimizations');
  const checksDir = join(REPO, 'checks');
  const configFile = writeDemoConfig(dir, { migrations, optimizations, checks: checksDir, hooks });
  const prepared = await prepareUpgrade({
    tenants,
    migrations,
    optimizations,
    checksDir,
    backupDir,
    journal,
    hooks,
  });
  const report = await upgrade({
    ...prepared,
    tenants,
    concurrency: options.concurrency,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    canary: 'canary',
    // A failing tenant must not stop the demo's other tenants: it is rolled back and reported.
    maxFailures: '100%',
  });
  // The runbook's "documentation" step: the fleet report, one self-contained HTML file.
  const reportFile = join(dir, 'report.html');
  const reader = await Journal.open(journal);
  try {
    const doc = await buildFleetReport(reader.knex, report.runId ? { runId: report.runId } : {});
    writeFileSync(reportFile, renderReportHtml(doc));
  } finally {
    await reader.close();
  }
  return { report, inventoryFile, journal, backupDir, reportFile, configFile };
}

/**
 * The demo's own configuration file, beside its fleet. The demo runs dbfleet's example migrations, which
 * live in the package, not in the folder it is run from: a later `dbfleet status` there would read that
 * folder's migrations (none, or a project's own) and report the demo tenants' history as unknown files.
 * Paths inside the fleet folder are relative (a config's paths are read from its own folder).
 */
function writeDemoConfig(
  dir: string,
  settings: { migrations: string; optimizations: string; checks: string; hooks: Record<string, string> },
): string {
  const file = join(dir, 'dbfleet.json');
  const config = {
    inventory: { file: './tenants.json' },
    migrations: { directory: settings.migrations },
    optimizations: { directory: settings.optimizations },
    checks: settings.checks,
    backups: { directory: './backups', keep: 3 },
    journal: './journal.db',
    hooks: settings.hooks,
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
