import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TenantError } from '../../core/errors.js';
import type { BackupContext } from '../backup-types.js';
import { appName } from './pg-args.js';
import { runPgTool, type ToolRun, toolErrorText } from './pg-tools.js';

/** `pg_restore --list` of the archive: no server needed. */
export function listArchive(ctx: BackupContext, path: string): Promise<ToolRun> {
  return runPgTool('pg_restore', ['--list', resolve(path)], {
    conn: {},
    appName: appName('pg_restore', ctx.tenant.id),
    signal: ctx.signal,
    tools: ctx.tools,
  });
}

/** The archive's table of contents (`pg_restore --list`): what a restore of it creates. */
export async function archiveListing(ctx: BackupContext, path: string): Promise<string> {
  const run = await listArchive(ctx, path);
  if (run.code !== 0)
    throw new TenantError(
      'RESTORE_FAILED',
      `pg_restore --list cannot read the archive (${toolErrorText(run)}); nothing was changed`,
    );
  return run.stdout;
}

/** A listing for `--use-list`, in a private temporary folder (the backup folder may be read-only). */
export async function writeUseList(list: string): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'dbfleet-restore-'));
  const file = join(dir, 'list');
  await writeFile(file, list, { mode: 0o600 });
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
