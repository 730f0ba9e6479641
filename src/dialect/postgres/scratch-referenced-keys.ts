import type { Knex } from 'knex';
import { errorMessage, TenantError } from '../../core/errors.js';
import type { BackupContext } from '../backup-types.js';
import { classifyPostgresError } from './errors.js';
import type { ReferencedTable } from './outside-foreign-keys.js';

/**
 * A schema tenant's foreign keys to tables outside its schema (`public.plans`): the archive holds the
 * keys, not the tables they reference. Before the archive is restored, the scratch database gets each
 * referenced table — its structure from the source's schema-only dump (scratch-shared.ts), with the
 * unique key the foreign key uses and, for a partitioned one, its partitions — and then exactly the key
 * columns of the source's rows, read now. The archive is restored whole as before: its own
 * `ADD CONSTRAINT … FOREIGN KEY` runs and validates every restored row against those keys, which is what
 * a real restore into the tenant's database meets.
 *
 * Why this and not the alternatives: with the tables' structure alone the keys cannot be created (every
 * row would violate them), and restoring without the keys — or adding them NOT VALID — would change the
 * restored schema the fingerprint compares, or stop checking it. This way nothing of the tenant's schema
 * is left out or altered: an archive missing a key or a table (or a row, at the fingerprint's level)
 * still differs from its manifest. A row whose key was deleted from the shared table since the backup
 * fails the restore, naming the key: the tenant's own database could not take it back either. Only the
 * key columns are copied (other columns stay null, their NOT NULL and CHECK constraints dropped in the
 * copy: they are not the tenant's, and the fingerprint reads only the tenant's schema), and the scratch
 * database is dropped after the check. What cannot be given its keys (a NOT NULL domain column) fails
 * SCRATCH_FAILED naming the tenant, the table and the keys.
 */

/** A name inlined into knex.raw's text: a `?` in it would be taken for a binding. */
const sqlName = (name: string) => name.replace(/\?/g, '\\?');
const q = (name: string) => sqlName(`"${name.replace(/"/g, '""')}"`);
/** Rows per round trip. */
const BATCH = 5000;

export interface ReferencedKeysOutcome {
  /** `public.plans (id; code): 3 rows`, for the restore check's detail. */
  copied: string[];
}

export async function fillReferencedTables(
  ctx: BackupContext,
  scratch: Knex,
  scratchName: string,
  referenced: readonly ReferencedTable[],
): Promise<ReferencedKeysOutcome> {
  const copied: string[] = [];
  for (const t of referenced) {
    try {
      await relax(scratch, t);
      if (t.partitioned) await createPartitions(ctx, scratch, t);
      const rows = await copyKeys(ctx, scratch, t);
      copied.push(
        `${t.name} (${t.keys.map((k) => k.join(', ')).join('; ')}): ${rows} row${rows === 1 ? '' : 's'}`,
      );
    } catch (err) {
      if (err instanceof TenantError) throw err;
      // A lost connection or a lock wait keeps its code; anything else is the scratch database's.
      const known = classifyPostgresError(err);
      throw new TenantError(
        known?.code ?? 'SCRATCH_FAILED',
        `tenant ${ctx.tenant.id}: cannot give scratch database ${scratchName} the keys of ${t.name}, which ${t.foreignKeys.join(', ')} reference${t.foreignKeys.length === 1 ? 's' : ''}: ${serverMessage(err)}`,
      );
    }
  }
  return { copied };
}

/**
 * The server's own words: knex puts the statement (its text with placeholders, not the values) in front
 * of them, `<statement> - <message>`; the statements here hold no ` - ` of their own but in a name.
 */
function serverMessage(err: unknown): string {
  const message = errorMessage(err);
  const cut = message.indexOf(' - ');
  return cut > 0 && /^\s*(select|insert|alter|create|declare|fetch|set)\b/i.test(message)
    ? message.slice(cut + 3)
    : message;
}

/** The columns the foreign keys reference, each once. */
const keyColumns = (t: ReferencedTable) => [...new Set(t.keys.flat())];

/**
 * Only key columns get values: every other column's NOT NULL (an identity column keeps its own, it fills
 * itself) and the table's CHECK constraints go, in this copy only. Before the partitions are made, which
 * then take the relaxed shape.
 */
async function relax(scratch: Knex, t: ReferencedTable): Promise<void> {
  const keys = keyColumns(t);
  const table = sqlName(t.name);
  const notNull = await scratch.raw(
    `select attname::text as name from pg_attribute where attrelid = ?::regclass and attnum > 0
       and not attisdropped and attnotnull and attidentity = '' and attname::text not in (select jsonb_array_elements_text(?::jsonb))
     order by attnum`,
    [t.name, JSON.stringify(keys)],
  );
  for (const { name } of notNull.rows as { name: string }[])
    await scratch.raw(`alter table ${table} alter column ${q(name)} drop not null`);
  const checks = await scratch.raw(
    `select conname::text as name from pg_constraint where conrelid = ?::regclass and contype = 'c' and conislocal
     order by conname`,
    [t.name],
  );
  for (const { name } of checks.rows as { name: string }[])
    await scratch.raw(`alter table ${table} drop constraint ${q(name)}`);
}

/**
 * A partitioned table's rows live in its partitions: they are made as the source has them (bounds, sub-
 * partitioning), parents first. The copies of the foreign key PostgreSQL derives for each partition are
 * part of the tenant table's fingerprint, so the partitions keep their names. Read with search_path =
 * pg_catalog, so every deparsed name is qualified.
 */
const PARTITIONS_SQL = `
with recursive tree(relid, depth) as (
  select ?::oid, 0
  union all select i.inhrelid, t.depth + 1 from pg_inherits i join tree t on i.inhparent = t.relid)
select format('%I.%I', n.nspname, c.relname) as name, quote_ident(n.nspname) as schema,
  format('%I.%I', pn.nspname, p.relname) as parent, pg_get_expr(c.relpartbound, c.oid) as bound,
  case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partkey
from tree t join pg_class c on c.oid = t.relid join pg_namespace n on n.oid = c.relnamespace
  join pg_inherits i on i.inhrelid = c.oid join pg_class p on p.oid = i.inhparent
  join pg_namespace pn on pn.oid = p.relnamespace
where t.depth > 0 order by t.depth, c.oid`;

interface PartitionRow {
  name: string;
  schema: string;
  parent: string;
  bound: string;
  partkey: string | null;
}

async function createPartitions(ctx: BackupContext, scratch: Knex, t: ReferencedTable): Promise<void> {
  const { knex } = await ctx.session();
  const partitions = await knex.transaction(async (trx) => {
    await trx.raw('set local search_path = pg_catalog');
    return (await trx.raw(PARTITIONS_SQL, [t.oid])).rows as PartitionRow[];
  });
  for (const p of partitions) {
    await scratch.raw(`create schema if not exists ${p.schema}`);
    const by = p.partkey ? ` partition by ${p.partkey}` : '';
    await scratch.raw(
      `create table ${p.name} partition of ${p.parent} ${p.bound}${by}`.replace(/\?/g, '\\?'),
    );
  }
}

/**
 * The key columns of the source's rows, through a cursor in one read-only snapshot, as JSON (dates, time
 * zones and numbers come back exact, whatever either database's DateStyle). ONLY for a plain table: a
 * foreign key to an inheritance parent checks the parent's own rows alone.
 */
async function copyKeys(ctx: BackupContext, scratch: Knex, t: ReferencedTable): Promise<number> {
  const cols = keyColumns(t).map(q).join(', ');
  const table = sqlName(t.name);
  const from = t.partitioned ? table : `only ${table}`;
  const { knex } = await ctx.session();
  let total = 0;
  await knex.transaction(async (trx) => {
    await trx.raw('set transaction isolation level repeatable read, read only');
    await trx.raw(
      // `key_row.*`: the whole row, even when a key column has the alias's name.
      `declare dbfleet_keys no scroll cursor for select to_jsonb(key_row.*)::text as r from (select ${cols} from ${from}) key_row`,
    );
    for (;;) {
      if (ctx.signal.aborted)
        throw new TenantError('INTERRUPTED', `copying the keys of ${t.name}: the run was interrupted`);
      const res = await trx.raw(`fetch ${BATCH} from dbfleet_keys`);
      const rows = (res.rows as { r: string }[]).map((row) => row.r);
      if (rows.length === 0) break;
      await scratch.raw(
        `insert into ${table} (${cols}) overriding system value
         select ${cols} from jsonb_populate_recordset(null::${table}, ?::jsonb)`,
        [`[${rows.join(',')}]`],
      );
      total += rows.length;
    }
  });
  return total;
}
