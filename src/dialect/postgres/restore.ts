import { resolve } from 'node:path';
import { TenantError } from '../../core/errors.js';
import type { ArchiveInfo, BackupContext, RestoreOptions } from '../backup-types.js';
import { archiveListing, writeUseList } from './archive-list.js';
import { checkArchiveRoles } from './archive-roles.js';
import { appName, checkRestoreTool, classifyToolFailure } from './pg-args.js';
import { publicationMemberships, restorePublicationMemberships } from './publication-membership.js';
import { defaultPrivilegesReset } from './restore-default-privileges.js';
import { liveObjects, objectsMissingFromToc } from './restore-extras.js';
import { largeObjectsMissingFromToc } from './restore-large-objects.js';
import { watchRestoreLocks } from './restore-lock-watch.js';
import { dependentsOutsideSchema } from './restore-outside-dependents.js';
import { ownersNotSettable } from './restore-owners.js';
import { restoreInOneTransaction } from './restore-script.js';
import { listWithoutSchemaEntry } from './toc-list.js';
import { matviewDataBeforeEventTriggers } from './toc-matview-order.js';
import { attachedIndexesFirst } from './toc-partition-order.js';

/**
 * `pg_restore --clean --if-exists` drops and recreates what the archive holds. What it cannot do is remove
 * what was created after the backup (the migration being rolled back made it): tables and views, but also
 * types, sequences, functions, schemas. Those are dropped first, in the same transaction as the restore,
 * when the caller allows it; otherwise the restore refuses before touching anything. Either way a failure
 * leaves the tenant as it was.
 */
export async function restorePostgres(
  ctx: BackupContext,
  path: string,
  info: ArchiveInfo,
  options: RestoreOptions,
): Promise<void> {
  const tooOld = await checkRestoreTool(ctx, info);
  if (tooOld) throw new TenantError('TOOL_TOO_OLD', tooOld);
  const session = await ctx.session();
  const { knex } = session;
  const schema = ctx.tenant.schema ?? null;
  const list = await archiveListing(ctx, path);
  // psql's own error (`role "x" does not exist` at a script line) named no object: said here, before any change.
  await checkArchiveRoles(ctx, knex, path, list, '; nothing was changed');
  const foreignOwners = await ownersNotSettable(knex, list);
  if (foreignOwners.length > 0) {
    throw new TenantError(
      'PERMISSION_DENIED',
      `the backup holds objects of other owners that the tenant's user cannot give back to them: ${foreignOwners.join(', ')}; pg_restore would fail on them; nothing was changed — restore as a superuser, or grant the tenant's user those roles and them CREATE on those schemas`,
    );
  }
  const live = await liveObjects(knex, schema);
  const extra = [
    ...objectsMissingFromToc(list, live),
    ...(schema === null ? await largeObjectsMissingFromToc(knex, list) : []),
  ].sort((a, b) => a.order - b.order);
  const named = extra.map((r) => r.key).sort();
  if (schema !== null) {
    // pg_restore --clean drops and recreates the schema's objects without CASCADE: another schema's view,
    // key or column that depends on one of them makes it fail, after the drops below had committed.
    const kept = live.filter((o) => !extra.includes(o));
    const outside = await dependentsOutsideSchema(knex, schema, kept);
    if (outside.length > 0) {
      throw new TenantError(
        'RESTORE_FAILED',
        `objects outside schema ${schema} depend on its objects, which pg_restore drops and recreates: ${outside.join(', ')}; nothing was changed — remove those dependencies first`,
      );
    }
  }
  if (extra.length > 0 && !options.dropUnexpected) {
    throw new TenantError(
      'RESTORE_UNEXPECTED_OBJECTS',
      `the database holds objects the backup does not (created after it): ${named.join(', ')}; nothing was changed — allow dropping them to restore (\`restore --drop-unexpected\`; \`dropUnexpected: true\` in the library)`,
    );
  }
  if (extra.length > 0 && schema !== null) {
    // CASCADE inside the tenant's schema only: another tenant's view, column or key must not go with them.
    const outside = await dependentsOutsideSchema(knex, schema, extra);
    if (outside.length > 0) {
      throw new TenantError(
        'RESTORE_UNEXPECTED_OBJECTS',
        `the schema holds objects the backup does not (created after it): ${named.join(', ')}; objects outside schema ${schema} depend on them and would be dropped with them: ${outside.join(', ')}; nothing was changed — remove those dependencies first`,
      );
    }
  }
  // A schema tenant's schema that exists is kept (see listWithoutSchemaEntry); one that is gone is created.
  const kept =
    schema !== null && (await session.schemaExists()) ? listWithoutSchemaEntry(list, schema) : list;
  // Partitioned tables' keys dropped before their partitions' (see toc-partition-order.ts).
  // … and the materialized views refreshed before the event triggers exist (see toc-matview-order.ts).
  const ordered = matviewDataBeforeEventTriggers(attachedIndexesFirst(kept));
  const useList = ordered !== list ? await writeUseList(ordered) : undefined;
  // A schema tenant's tables leave their publications with pg_restore's drops: put back after it (see
  // publication-membership.ts). A table dropped below as created after the backup stays out.
  const memberships = schema !== null ? await publicationMemberships(knex, schema) : [];
  // The database's default privileges would apply to every object the script re-creates: reset to the
  // built-in ones first, the archive's DEFAULT ACL entries give back the backup's at its end (see
  // restore-default-privileges.ts).
  const defaultsReset = await defaultPrivilegesReset(knex, schema);
  const lockWait = ctx.sessionOptions.timeouts.lockTimeoutMs;
  const app = appName('pg_restore', ctx.tenant.id);
  // The archive's own `SET lock_timeout = 0` overrides the start-up setting below: see restore-lock-watch.ts.
  const watch = lockWait > 0 ? watchRestoreLocks(knex, app, lockWait) : undefined;
  let heldBy: string | undefined;
  // The drops of what the backup lacks run first, in the restore's own transaction (see restore-script.ts).
  // Views before tables before sequences, functions, types, extensions, schemas. CASCADE: a dependent the
  // backup lacks goes too; one it holds is recreated by pg_restore (it drops and recreates them all).
  const run = await restoreInOneTransaction({
    conn: ctx.tenant.connection,
    database: ctx.tenant.database,
    appName: app,
    signal: ctx.signal,
    tools: ctx.tools,
    // A restore that cannot get its locks (the application is still connected) fails instead of hanging.
    settings: lockWait > 0 ? { lock_timeout: Math.floor(lockWait) } : {},
    prelude: [...extra.map((r) => r.drop), ...defaultsReset],
    restoreArgs: [
      '--clean',
      '--if-exists',
      ...(useList ? [`--use-list=${useList.file}`] : []),
      resolve(path),
    ],
  }).finally(async () => {
    heldBy = await watch?.stop();
    await useList?.remove();
  });
  if (!run.ok) {
    const err = classifyToolFailure(run.tool, run.run);
    const keptObjects = extra.length
      ? ` (the objects created after the backup were kept: ${named.join(', ')})`
      : '';
    if (heldBy !== undefined)
      throw new TenantError(
        'LOCK_TIMEOUT',
        `the restore waited longer than the lock timeout (${lockWait} ms) for a lock held by ${heldBy}, and was cancelled; nothing was changed${keptObjects}`,
      );
    const unreadable = run.tool === 'pg_restore' ? 'the backup cannot be read whole: ' : '';
    throw new TenantError(
      err.code === 'BACKUP_TOOL_FAILED' ? 'RESTORE_FAILED' : err.code,
      `${unreadable}${err.message}; nothing was changed, the restore's one transaction rolled back${keptObjects}`,
    );
  }
  if (schema !== null) await restorePublicationMemberships(knex, schema, memberships);
}
