import { resolve } from 'node:path';
import { TenantError } from '../../core/errors.js';
import type {
  ArchiveInfo,
  ArchiveInspection,
  BackupContext,
  BackupDriver,
  BackupResult,
  Fingerprint,
  FingerprintLevel,
} from '../backup-types.js';
import { listArchive } from './archive-list.js';
import { fingerprintPostgres, fingerprintPostgresDb, viaConnection, viaKnex } from './fingerprint.js';
import { appName, checkRestoreTool, classifyToolFailure, dbnameArg, literalPattern } from './pg-args.js';
import { runPgTool, serverMajor, type ToolRun, toolErrorText, toolVersion } from './pg-tools.js';
import { restorePostgres } from './restore.js';
import { createPostgresScratch, sweepPostgresScratch } from './scratch.js';
import { pinnedConnectionOf } from './session.js';
import { tablesMissingFromToc } from './toc-list.js';

async function backupPostgres(
  ctx: BackupContext,
  path: string,
  level: FingerprintLevel,
): Promise<BackupResult> {
  const session = await ctx.session();
  // A handful of statements, straight on the session's connection: no knex instance is built for them.
  const connection = pinnedConnectionOf(session);
  const run = connection ? viaConnection(connection) : viaKnex(session.knex);
  const [server] = await run(
    "select current_setting('server_version_num') as num, current_setting('server_version') as version",
  );
  const versionNum = Number(server?.num);
  const serverVersion = String(server?.version);
  const dump = await toolVersion('pg_dump', ctx.tools, ctx.signal);
  const needed = serverMajor(versionNum);
  if (dump.major < needed) {
    throw new TenantError(
      'TOOL_TOO_OLD',
      `pg_dump ${dump.version} is older than the server (PostgreSQL ${serverVersion}): a dump needs pg_dump ${needed} or newer — install it or point the pg_dump tool path at it`,
    );
  }
  const schema = ctx.tenant.schema ?? null;
  const lockWait = ctx.sessionOptions.timeouts.lockTimeoutMs;
  const args = (snapshot: string) => [
    '--format=custom',
    `--file=${resolve(path)}`,
    '--no-password',
    `--snapshot=${snapshot}`,
    // Its first line tells when the snapshot is imported (below); the lines are not kept.
    '--verbose',
    ...(lockWait > 0 ? [`--lock-wait-timeout=${Math.floor(lockWait)}`] : []),
    ...(schema ? [`--schema=${literalPattern(schema)}`] : []),
    dbnameArg(ctx.tenant.database),
  ];
  const stop = new AbortController();
  let dumping: Promise<ToolRun> | undefined;

  try {
    // One snapshot for the fingerprint and the dump: the manifest describes exactly what the file holds,
    // even while the application keeps writing. The fingerprint is taken in the exporting transaction;
    // pg_dump imports the snapshot, and the transaction — and the session's connection — end as soon
    // as it has: the tenant holds two connections only for pg_dump's start-up, and the run lets only a
    // few tenants of a server do so at once (ctx.secondConnection).
    let fingerprint: Fingerprint;
    try {
      // In the try: a failure after BEGIN (the export, a SET) must not leave the session in an aborted
      // transaction for the steps that follow on it.
      const [exported] = await run(
        'begin isolation level repeatable read, read only; set local idle_in_transaction_session_timeout = 0; ' +
          'set local statement_timeout = 0; select pg_export_snapshot() as s',
      );
      const snapshot = String(exported?.s);
      // A full fingerprint (a hash of every row) may take long: it is taken before pg_dump starts, so
      // the tenant holds one connection meanwhile. A light one is taken while pg_dump starts up (tens
      // of milliseconds: its exec, its connection), in the same snapshot, off the tenant's time.
      const early = level === 'full' ? await fingerprintPostgres(run, level, schema) : undefined;
      fingerprint = await ctx.secondConnection(async () => {
        let imported!: () => void;
        const started = new Promise<void>((done) => {
          imported = done;
        });
        // pg_dump writes nothing before it has imported the snapshot (its first verbose line comes
        // after `SET TRANSACTION SNAPSHOT`); an error before that ends the process.
        dumping = runPgTool('pg_dump', args(snapshot), {
          conn: ctx.tenant.connection,
          appName: appName('pg_dump', ctx.tenant.id),
          signal: AbortSignal.any([ctx.signal, stop.signal]),
          tools: ctx.tools,
          onStderr: imported,
        });
        dumping.then(imported, imported);
        const taken = early ?? (await fingerprintPostgres(run, level, schema));
        await started;
        return taken;
      });
      await run('commit');
    } catch (err) {
      await run('rollback').catch(() => {});
      throw err;
    }
    await ctx.releaseSession();
    const result = withoutProgress(await dumping!);
    if (result.code !== 0) throw classifyToolFailure('pg_dump', result);
    return { serverVersion, tool: 'pg_dump', toolVersion: dump.version, fingerprint };
  } catch (err) {
    stop.abort();
    await dumping?.catch(() => {});
    throw err;
  }
}

/** pg_dump's --verbose progress lines dropped: only errors, warnings and their details stay. */
function withoutProgress(run: ToolRun): ToolRun {
  const kept = run.stderr
    .split('\n')
    .filter((line) => !/^pg_dump: (?!error:|warning:|detail:|hint:)/.test(line))
    .join('\n');
  return { ...run, stderr: kept };
}

/** Light check: the archive's table of contents is readable and lists every table of the fingerprint. */
async function inspectPostgresArchive(
  ctx: BackupContext,
  path: string,
  info: ArchiveInfo,
): Promise<ArchiveInspection> {
  const tooOld = await checkRestoreTool(ctx, info);
  if (tooOld) return { problems: [tooOld], missingTables: [] };
  const run = await listArchive(ctx, path);
  if (run.code !== 0)
    return {
      problems: [`pg_restore --list cannot read the archive (${toolErrorText(run)})`],
      missingTables: [],
    };
  return {
    problems: [],
    missingTables: tablesMissingFromToc(run.stdout, Object.keys(info.fingerprint.tables)),
  };
}

export const postgresBackupDriver: BackupDriver = {
  extension: 'dump',
  backup: backupPostgres,
  inspect: inspectPostgresArchive,
  createScratch: createPostgresScratch,
  sweepScratch: sweepPostgresScratch,
  restore: restorePostgres,
  async fingerprint(ctx, level, version, options) {
    const session = await ctx.session();
    return fingerprintPostgresDb(session.knex, level, ctx.tenant.schema ?? null, {
      version,
      withoutIndexes: options?.withoutIndexes,
    });
  },
};
