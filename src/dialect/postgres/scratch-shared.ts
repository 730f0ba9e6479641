import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Knex } from 'knex';
import { TenantError } from '../../core/errors.js';
import type { BackupContext } from '../backup-types.js';
import type { ReferencedTable } from './outside-foreign-keys.js';
import { appName, classifyToolFailure, dbnameArg, literalPattern } from './pg-args.js';
import { runPgTool, toolErrorText } from './pg-tools.js';
import { fillReferencedTables } from './scratch-referenced-keys.js';
import { type SharedObject, sharedDependencies } from './shared-dependencies.js';

/**
 * A schema tenant's archive (`pg_dump --schema=<tenant>`) may use objects of other schemas — an enum or
 * domain of `public`, a function a default calls, an extension, a table its foreign keys reference —
 * which the tenant's own database has and an empty scratch database does not. Before the archive is
 * restored, exactly those objects (and what they use in turn) are created in the scratch database from a
 * schema-only dump of the source, taken now: the definitions a real restore into the tenant's database
 * would meet. A referenced table then gets the key columns of its current rows, and nothing else of any
 * other schema's rows (see scratch-referenced-keys.ts). The archive itself is restored whole as before,
 * so the check still proves that the tenant's schema and data restore. Returns what it created, for the
 * restore check's detail; undefined if nothing.
 */
export async function prepareSharedObjects(
  ctx: BackupContext,
  scratch: string,
  scratchKnex: () => Promise<Knex>,
): Promise<string | undefined> {
  const schema = ctx.tenant.schema;
  if (!schema) return undefined;
  const { knex } = await ctx.session();
  const deps = await sharedDependencies(knex, schema);
  refuseExtensionTables(ctx, deps.referenced);
  // Extensions installed in the tenant's own schema are created with it (scratch-own-extensions.ts).
  deps.objects = deps.objects.filter((o) => !(o.extension && o.schema === schema));
  if (deps.objects.length === 0) return undefined;

  const tag = `${randomBytes(4).toString('hex')}`;
  // Dot-names a later run sweeps after a day if this process is killed (see removeStalePartials).
  const dumpPath = join(ctx.workDir, `.shared-${scratch}.dump.partial-${tag}`);
  const listPath = join(ctx.workDir, `.shared-${scratch}.list.partial-${tag}`);
  try {
    await dumpShared(ctx, dumpPath, deps.objects);
    await restoreShared(ctx, scratch, dumpPath, listPath, deps.objects);
  } finally {
    await rm(dumpPath, { force: true });
    await rm(listPath, { force: true });
  }
  const created = describeCreated(deps.objects.filter((o) => !o.part));
  if (deps.referenced.length === 0) return created;
  const keys = await fillReferencedTables(ctx, await scratchKnex(), scratch, deps.referenced);
  return `${created}; the keys its foreign keys reference copied from the source: ${keys.copied.join(', ')}`;
}

/**
 * A table an extension owns is made by CREATE EXTENSION with the extension's own rows, not by pg_dump:
 * the scratch database cannot be given that table as the source has it, so the tenant is refused by name
 * rather than failing with pg_restore's text (not a verdict: the backup stays a restore point).
 */
function refuseExtensionTables(ctx: BackupContext, referenced: readonly ReferencedTable[]): void {
  const owned = referenced.filter((t) => t.extension);
  if (owned.length === 0) return;
  const which = owned.map(
    (t) => `${t.foreignKeys.join(', ')} → ${t.name} (a table of extension ${t.extension})`,
  );
  throw new TenantError(
    'SCRATCH_FAILED',
    `tenant ${ctx.tenant.id}: foreign keys to a table an extension owns cannot be checked in a scratch database, which gets no such table from pg_dump: ${which.join('; ')}; verify this tenant without --deep`,
  );
}

function describeCreated(objects: SharedObject[]): string {
  const names = objects.map((o) => o.what);
  const shown = names.length > 12 ? [...names.slice(0, 11), `${names.length - 11} more`] : names;
  return `with ${objects.length} shared object${objects.length === 1 ? '' : 's'} the schema uses created first from the source's current definitions: ${shown.join(', ')}`;
}

/** A failed tool run: a lost connection, a lock or a full disk keeps its code; anything else is the scratch's. */
function failure(tool: string, what: string, run: Parameters<typeof classifyToolFailure>[1]): TenantError {
  const err = classifyToolFailure(tool, run);
  const code = err.code === 'BACKUP_TOOL_FAILED' ? 'SCRATCH_FAILED' : err.code;
  return new TenantError(code, `${what}: ${tool} failed (${toolErrorText(run)})`);
}

/** Schema only, of just the schemas and extensions involved: catalogs are read, no rows. */
async function dumpShared(ctx: BackupContext, path: string, objects: SharedObject[]): Promise<void> {
  const schemas = [...new Set(objects.map((o) => o.schema))];
  const extensions = objects.flatMap((o) => (o.extension ? [o.extension] : []));
  const lockWait = ctx.sessionOptions.timeouts.lockTimeoutMs;
  const args = [
    '--format=custom',
    `--file=${resolve(path)}`,
    '--no-password',
    '--schema-only',
    ...(lockWait > 0 ? [`--lock-wait-timeout=${Math.floor(lockWait)}`] : []),
    ...schemas.map((s) => `--schema=${literalPattern(s)}`),
    ...extensions.map((e) => `--extension=${literalPattern(e)}`),
    dbnameArg(ctx.tenant.database),
  ];
  // Created private before pg_dump writes into it: the tool keeps the mode.
  await writeFile(path, '', { flag: 'wx', mode: 0o600 });
  const run = await ctx.secondConnection(() =>
    runPgTool('pg_dump', args, {
      conn: ctx.tenant.connection,
      appName: appName('pg_dump', ctx.tenant.id),
      signal: ctx.signal,
      tools: ctx.tools,
    }),
  );
  if (run.code !== 0)
    throw failure('pg_dump', `dumping the shared objects schema ${ctx.tenant.schema} uses`, run);
}

/**
 * Only the entries of the needed objects (and of their schemas other than `public`, which every new
 * database has) are restored: the rest of those schemas is not the tenant's and stays out.
 */
async function restoreShared(
  ctx: BackupContext,
  scratch: string,
  dumpPath: string,
  listPath: string,
  objects: SharedObject[],
): Promise<void> {
  const tool = {
    conn: {},
    appName: appName('pg_restore', ctx.tenant.id),
    signal: ctx.signal,
    tools: ctx.tools,
  };
  const listed = await runPgTool('pg_restore', ['--list', resolve(dumpPath)], tool);
  if (listed.code !== 0) throw failure('pg_restore', 'reading the dump of the shared objects', listed);
  const keys = new Set(objects.map((o) => o.key));
  for (const o of objects) if (o.schema !== 'public') keys.add(o.schemaKey);
  await writeFile(listPath, selectEntries(listed.stdout, keys), { flag: 'wx', mode: 0o600 });
  const args = [
    '--no-password',
    dbnameArg(scratch),
    '--no-owner',
    '--no-acl',
    '--single-transaction',
    '--exit-on-error',
    `--use-list=${resolve(listPath)}`,
    resolve(dumpPath),
  ];
  const run = await runPgTool('pg_restore', args, {
    ...tool,
    conn: { ...ctx.tenant.connection, database: scratch },
  });
  if (run.code !== 0)
    throw failure(
      'pg_restore',
      `creating ${objects
        .filter((o) => !o.part)
        .map((o) => o.what)
        .join(', ')} in scratch database ${scratch}`,
      run,
    );
}

/** The listing's lines whose `<tableoid> <oid>` is one of `keys` (`tableoid:oid`), in the dump's order. */
export function selectEntries(list: string, keys: ReadonlySet<string>): string {
  const kept = list.split('\n').filter((line) => {
    const m = /^\d+; (\d+) (\d+) /.exec(line);
    return m !== null && keys.has(`${m[1]}:${m[2]}`);
  });
  return `${kept.join('\n')}\n`;
}
