import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { errorMessage, TenantError } from '../../core/errors.js';
import type { Tenant } from '../../core/tenant.js';
import type { ArchiveInfo, BackupContext, FingerprintLevel, Scratch } from '../backup-types.js';
import { hashOf } from '../fingerprint-hash.js';
import type { TenantSession } from '../types.js';
import { archiveListing, writeUseList } from './archive-list.js';
import { checkArchiveRoles } from './archive-roles.js';
import { fingerprintPostgresDb } from './fingerprint.js';
import { readOutputSettings } from './output-settings.js';
import { appName, checkRestoreTool, classifyToolFailure, dbnameArg } from './pg-args.js';
import { runPgTool } from './pg-tools.js';
import { scratchIntegrityProblems } from './scratch-integrity.js';
import { createOwnExtensions, ownSchemaExtensions } from './scratch-own-extensions.js';
import { prepareSharedObjects } from './scratch-shared.js';
import { openPostgresSession } from './session.js';
import { listWithoutSchemaEntry } from './toc-list.js';
import { matviewDataBeforeEventTriggers } from './toc-matview-order.js';

/**
 * Scratch databases for deep verification: `dbfleet_verify_<tenant>_<hash>_<n>`, on the tenant's server.
 * Ownership is a session-level advisory lock on the scratch name, held on the tenant's pinned connection
 * from before CREATE DATABASE until after DROP: a killed run's lock dies with its connection, so the
 * next run can tell an abandoned scratch database (lock free) from one another run is using (lock held).
 */
const SCRATCH_LOCK = 0x64626676; // 'dbfv'
const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * A tenant's scratch names: the id (lowercased, cut) for whoever reads `\l`, and a hash of the id, the
 * database and the schema, which says whose they are. An advisory lock exists only in the database its
 * session is connected to: two fleets on one server (staging and production) each with a tenant `acme`
 * in its own database named their scratch databases alike, and production's sweep, whose lock attempt
 * could never see the lock staging's run held in staging's database, dropped staging's scratch database
 * under its verification. With the database in the name, only sessions of the tenant's own database —
 * where the owner's lock is — ever sweep it. At most 15 + 24 + 1 + 8 + 1 bytes, and a suffix of at most
 * 10 digits: within PostgreSQL's 63 (see identifier-limits.ts).
 */
export function scratchPrefix(tenant: Pick<Tenant, 'id' | 'database' | 'schema'>): string {
  const slug = tenant.id
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .slice(0, 24);
  return `dbfleet_verify_${slug}_${hashOf([tenant.id, tenant.database, tenant.schema ?? null], 8)}_`;
}

export function isScratchOf(tenant: Pick<Tenant, 'id' | 'database' | 'schema'>, datname: string): boolean {
  const prefix = scratchPrefix(tenant);
  return datname.startsWith(prefix) && /^\d+$/.test(datname.slice(prefix.length));
}

/** Scratch databases this process created and has not dropped yet: never swept by itself. */
const mine = new Set<string>();

async function dropDatabase(knex: Knex, name: string): Promise<void> {
  await knex.raw(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = ? and pid <> pg_backend_pid()',
    [name],
  );
  await knex.raw(`drop database if exists ${q(name)}`);
}

export async function sweepPostgresScratch(ctx: BackupContext): Promise<string[]> {
  const { knex } = await ctx.session();
  const prefix = scratchPrefix(ctx.tenant);
  const res = await knex.raw('select datname from pg_database where left(datname, ?) = ? order by datname', [
    prefix.length,
    prefix,
  ]);
  const dropped: string[] = [];
  for (const { datname } of res.rows as { datname: string }[]) {
    if (!isScratchOf(ctx.tenant, datname) || mine.has(datname)) continue;
    const got = await knex.raw('select pg_try_advisory_lock(?, hashtext(?)) as ok', [SCRATCH_LOCK, datname]);
    if (got.rows[0].ok !== true) continue; // a live run owns it
    try {
      await dropDatabase(knex, datname);
      dropped.push(datname);
    } finally {
      await knex.raw('select pg_advisory_unlock(?, hashtext(?))', [SCRATCH_LOCK, datname]);
    }
  }
  return dropped;
}

/** The scratch database gets the source's encoding and locale, so text sorts and compares the same. */
async function createSql(knex: Knex, name: string): Promise<string> {
  const res = await knex.raw(`select pg_encoding_to_char(encoding) as enc, datcollate, datctype,
      to_jsonb(d) ->> 'datlocprovider' as provider, to_jsonb(d) ->> 'daticulocale' as icu
    from pg_database d where datname = current_database()`);
  const d = res.rows[0] as {
    enc: string;
    datcollate: string;
    datctype: string;
    provider: string | null;
    icu: string | null;
  };
  let sql = `create database ${q(name)} template template0 encoding ${lit(d.enc)} lc_collate ${lit(d.datcollate)} lc_ctype ${lit(d.datctype)}`;
  if (d.provider === 'i' && d.icu) sql += ` locale_provider icu icu_locale ${lit(d.icu)}`;
  return sql;
}

export async function createPostgresScratch(ctx: BackupContext): Promise<Scratch> {
  const { knex } = await ctx.session();
  const name = `${scratchPrefix(ctx.tenant)}${randomInt(1, 2 ** 31 - 1)}`;
  mine.add(name);
  await knex.raw('select pg_advisory_lock(?, hashtext(?))', [SCRATCH_LOCK, name]);
  const release = async () => {
    await knex.raw('select pg_advisory_unlock(?, hashtext(?))', [SCRATCH_LOCK, name]).catch(() => {});
    mine.delete(name);
  };
  try {
    await knex.raw(await createSql(knex, name));
  } catch (err) {
    await release();
    throw new TenantError(
      'SCRATCH_FAILED',
      `cannot create the scratch database ${name} for deep verification (the tenant's user needs CREATEDB): ${errorMessage(err)}`,
    );
  }

  const target = {
    ...ctx.tenant,
    schema: undefined,
    database: name,
    connection: { ...ctx.tenant.connection, database: name },
  };
  let scratchSession: Promise<TenantSession> | undefined;
  const open = () => {
    scratchSession ??= openPostgresSession(target, ctx.sessionOptions);
    return scratchSession;
  };
  let dropped = false;
  let prepared: string | undefined;

  return {
    name,
    get detail() {
      return prepared;
    },
    async restore(path: string, info: ArchiveInfo) {
      const tooOld = await checkRestoreTool(ctx, info);
      if (tooOld) throw new TenantError('TOOL_TOO_OLD', tooOld);
      // A schema tenant's archive may use extensions of its own schema and objects of other schemas
      // (public's types, functions, extensions, the tables its foreign keys reference, with their keys)
      // that only the tenant's own database has: the scratch database gets them first.
      const schema = ctx.tenant.schema;
      const own = schema ? await ownSchemaExtensions(knex, schema) : [];
      if (schema && own.length) await createOwnExtensions((await open()).knex, schema, own, name);
      const shared = await prepareSharedObjects(ctx, name, async () => (await open()).knex);
      const ownDetail = own.length
        ? `extension${own.length === 1 ? '' : 's'} ${own.map((e) => e.name).join(', ')} of schema ${schema} created first`
        : undefined;
      prepared = [ownDetail, shared].filter(Boolean).join('; ') || undefined;
      // The schema exists now: the archive's own SCHEMA entry is left out (it would fail to create it).
      // Materialized views are refreshed before the event triggers exist (see toc-matview-order.ts).
      const listing = await archiveListing(ctx, path);
      // The copy gets no owners or grants, so the roles they name are checked on the server instead.
      await checkArchiveRoles(ctx, knex, path, listing);
      const kept = schema && own.length ? listWithoutSchemaEntry(listing, schema) : listing;
      const ordered = matviewDataBeforeEventTriggers(kept);
      const useList = ordered !== listing ? await writeUseList(ordered) : undefined;
      // No owners, privileges, tablespaces or subscriptions: the copy is for checking data, and a restored
      // subscription would start replicating from the production publisher.
      const args = [
        '--no-password',
        dbnameArg(name),
        '--no-owner',
        '--no-acl',
        '--no-tablespaces',
        '--no-publications',
      ];
      args.push('--no-subscriptions', '--single-transaction', '--exit-on-error');
      if (useList) args.push(`--use-list=${useList.file}`);
      args.push(resolve(path));
      const run = await runPgTool('pg_restore', args, {
        conn: target.connection,
        appName: appName('pg_restore', ctx.tenant.id),
        signal: ctx.signal,
        tools: ctx.tools,
      }).finally(() => useList?.remove());
      if (run.code !== 0) {
        // A lost connection, a full disk or a permission is no verdict on the archive: keep its code.
        const err = classifyToolFailure('pg_restore', run);
        const code = err.code === 'BACKUP_TOOL_FAILED' ? 'RESTORE_FAILED' : err.code;
        throw new TenantError(code, `restoring into scratch database ${name}: ${err.message}`);
      }
    },
    async integrityCheck() {
      return scratchIntegrityProblems((await open()).knex);
    },
    async fingerprint(level: FingerprintLevel, version?: number) {
      // The scratch database has none of the tenant database's own settings (ALTER DATABASE … SET
      // timezone, DateStyle): pg_dump does not dump them. The backup's fingerprint was read under them —
      // a timestamptz row in Tokyo time, a date partition bound in DMY — so the copy is read under the
      // source's, or a good backup would never match.
      const settings = await readOutputSettings((await ctx.session()).knex);
      const { knex: s } = await open();
      return fingerprintPostgresDb(s, level, ctx.tenant.schema ?? null, { settings, version });
    },
    async drop() {
      if (dropped) return;
      if (scratchSession) await (await scratchSession.catch(() => undefined))?.close().catch(() => {});
      try {
        await dropDatabase(knex, name);
        dropped = true;
      } finally {
        // Without the lock a later run sweeps what a failed drop left behind.
        await release();
      }
    },
  };
}
