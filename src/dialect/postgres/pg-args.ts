import { type ErrorCode, TenantError } from '../../core/errors.js';
import type { ArchiveInfo, BackupContext } from '../backup-types.js';
import {
  parseToolVersion,
  quoteConninfoValue,
  type ToolRun,
  toolErrorText,
  toolVersion,
} from './pg-tools.js';

/** A name as a pg_dump pattern that matches only itself (`*`, `?`, `.` are literal inside quotes). */
export function literalPattern(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `--dbname=dbname='…'`: the database as a quoted conninfo value, never an option or a connection URL. */
export function dbnameArg(database: string): string {
  return `--dbname=dbname=${quoteConninfoValue(database)}`;
}

export function appName(tool: string, tenantId: string): string {
  return `dbfleet ${tool} ${tenantId}`;
}

/** Maps a failed tool run to a code a DBA can act on. */
export function classifyToolFailure(tool: string, run: ToolRun): TenantError {
  const text = run.stderr;
  let code: ErrorCode = 'BACKUP_TOOL_FAILED';
  if (
    /terminating connection|server closed the connection|connection to server .* lost|could not receive data/i.test(
      text,
    )
  ) {
    code = 'CONNECTION_LOST';
  } else if (/lock timeout|could not obtain lock|canceling statement due to lock timeout/i.test(text))
    code = 'LOCK_TIMEOUT';
  else if (/permission denied|must be owner/i.test(text)) code = 'PERMISSION_DENIED';
  else if (/server version mismatch|aborting because of server version mismatch/i.test(text))
    code = 'TOOL_TOO_OLD';
  else if (/No space left on device/i.test(text)) code = 'DISK_FULL';
  return new TenantError(code, `${tool} failed (${toolErrorText(run)})`);
}

/** pg_restore must be at least as new as the pg_dump that wrote the archive. */
export async function checkRestoreTool(ctx: BackupContext, info: ArchiveInfo): Promise<string | undefined> {
  const restore = await toolVersion('pg_restore', ctx.tools, ctx.signal);
  const made = parseToolVersion(`(PostgreSQL) ${info.toolVersion}`);
  if (made && restore.major < made.major) {
    return `pg_restore ${restore.version} cannot read an archive made by pg_dump ${info.toolVersion}: install pg_restore ${made.major} or newer`;
  }
  return undefined;
}
