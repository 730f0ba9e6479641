import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { TenantError } from '../../core/errors.js';
import type { ArchiveInfo, BackupContext, RestoreOptions } from '../backup-types.js';
import { appName, checkRestoreTool, classifyToolFailure, dbnameArg } from './pg-args.js';
import { runPgTool } from './pg-tools.js';
import { watchRestoreLocks } from './restore-lock-watch.js';

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

interface Relation {
  schema: string;
  name: string;
  kind: string;
  /** The key the fingerprint uses for it: `schema.table`, `view schema.v`, `materialized view schema.m`. */
  key: string;
}

async function liveRelations(knex: Knex, schema: string | null): Promise<Relation[]> {
  const res = await knex.raw(
    `select n.nspname as schema, c.relname as name, c.relkind as kind from pg_class c
     join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm') and n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
       and (?::text is null or n.nspname = ?)
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`,
    [schema, schema],
  );
  return (res.rows as Omit<Relation, 'key'>[]).map((r) => ({
    ...r,
    key:
      r.kind === 'v'
        ? `view ${r.schema}.${r.name}`
        : r.kind === 'm'
          ? `materialized view ${r.schema}.${r.name}`
          : `${r.schema}.${r.name}`,
  }));
}

/**
 * `pg_restore --clean --if-exists` drops and recreates what the archive holds, in one transaction: a failure
 * leaves the tenant as it was. What it cannot do is remove tables or views created after the backup (the
 * migration being rolled back made them); those are dropped first when the caller allows it, otherwise the
 * restore refuses before touching anything.
 */
export async function restorePostgres(
  ctx: BackupContext,
  path: string,
  info: ArchiveInfo,
  options: RestoreOptions,
): Promise<void> {
  const tooOld = await checkRestoreTool(ctx, info);
  if (tooOld) throw new TenantError('TOOL_TOO_OLD', tooOld);
  const { knex } = await ctx.session();
  const schema = ctx.tenant.schema ?? null;
  const expected = new Set([
    ...Object.keys(info.fingerprint.tables),
    ...Object.keys(info.fingerprint.objects),
  ]);
  const extra = (await liveRelations(knex, schema)).filter((r) => !expected.has(r.key));
  if (extra.length > 0 && !options.dropUnexpected) {
    throw new TenantError(
      'RESTORE_UNEXPECTED_OBJECTS',
      `the database holds objects the backup does not (created after it): ${extra.map((r) => r.key).join(', ')}; nothing was changed — allow dropping them to restore`,
    );
  }
  if (extra.length > 0) {
    // The drops commit before pg_restore's own transaction starts: an archive whose data cannot be read
    // would leave the tenant without those objects and without its restored data. Read the whole archive
    // first (pg_restore writing its script nowhere decompresses and checks every block).
    await readWholeArchive(ctx, path);
    await knex.transaction(async (trx) => {
      // Views first: they may depend on the tables. CASCADE: a dependent the backup lacks goes too.
      for (const r of [...extra].sort(
        (a, b) => (a.kind === 'r' || a.kind === 'p' ? 1 : 0) - (b.kind === 'r' || b.kind === 'p' ? 1 : 0),
      )) {
        const what = r.kind === 'v' ? 'view' : r.kind === 'm' ? 'materialized view' : 'table';
        await trx.raw(`drop ${what} if exists ${q(r.schema)}.${q(r.name)} cascade`);
      }
    });
  }

  const lockWait = ctx.sessionOptions.timeouts.lockTimeoutMs;
  const app = appName('pg_restore', ctx.tenant.id);
  // The archive's own `SET lock_timeout = 0` overrides the start-up setting below: see restore-lock-watch.ts.
  const watch = lockWait > 0 ? watchRestoreLocks(knex, app, lockWait) : undefined;
  let heldBy: string | undefined;
  const run = await runPgTool(
    'pg_restore',
    [
      '--no-password',
      dbnameArg(ctx.tenant.database),
      '--clean',
      '--if-exists',
      '--single-transaction',
      '--exit-on-error',
      resolve(path),
    ],
    {
      conn: ctx.tenant.connection,
      appName: app,
      signal: ctx.signal,
      tools: ctx.tools,
      // A restore that cannot get its locks (the application is still connected) fails instead of hanging.
      settings: lockWait > 0 ? { lock_timeout: Math.floor(lockWait) } : {},
    },
  ).finally(async () => {
    heldBy = await watch?.stop();
  });
  if (run.code !== 0) {
    const err = classifyToolFailure('pg_restore', run);
    const dropped = extra.length
      ? `, but the objects created after the backup had already been dropped: ${extra.map((r) => r.key).join(', ')}`
      : '';
    if (heldBy !== undefined)
      throw new TenantError(
        'LOCK_TIMEOUT',
        `pg_restore waited longer than the lock timeout (${lockWait} ms) for a lock held by ${heldBy}, and was cancelled; its changes were rolled back${dropped}`,
      );
    throw new TenantError(
      err.code === 'BACKUP_TOOL_FAILED' ? 'RESTORE_FAILED' : err.code,
      `${err.message}; pg_restore's changes were rolled back${dropped}`,
    );
  }
}

async function readWholeArchive(ctx: BackupContext, path: string): Promise<void> {
  const run = await runPgTool('pg_restore', ['--file', '/dev/null', resolve(path)], {
    conn: ctx.tenant.connection,
    appName: appName('pg_restore', ctx.tenant.id),
    signal: ctx.signal,
    tools: ctx.tools,
  });
  if (run.code !== 0) {
    const err = classifyToolFailure('pg_restore', run);
    throw new TenantError(
      'RESTORE_FAILED',
      `the backup cannot be read whole (${err.message}); nothing was changed`,
    );
  }
}
