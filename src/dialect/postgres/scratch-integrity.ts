import type { Knex } from 'knex';
import { errorMessage } from '../../core/errors.js';

/**
 * What a restored scratch copy can still have wrong: the restore rebuilt every index and re-validated every
 * constraint on the data, so an index left invalid, or (with amcheck) a B-tree that disagrees with its table.
 */
export async function scratchIntegrityProblems(s: Knex): Promise<string[]> {
  const problems: string[] = [];
  const invalid = await s.raw(
    'select indexrelid::regclass::text as name from pg_index where not indisvalid order by 1',
  );
  for (const r of invalid.rows as { name: string }[])
    problems.push(`index ${r.name} is invalid after restore`);
  const hasAmcheck = await s.raw("select 1 from pg_available_extensions where name = 'amcheck'");
  if (hasAmcheck.rows.length > 0) {
    // CREATE EXTENSION fires the copy's event triggers, once per command of the extension's script: a
    // DDL-audit trigger wrote a dozen rows into its log in the copy, whose fingerprint (taken next) then
    // differed from the backup's. They are switched off in this throwaway copy (the fingerprint does not
    // cover them), which also keeps one that forbids DDL from failing the check.
    await disableEventTriggers(s);
    const created = await s.raw('create extension if not exists amcheck').then(
      () => true,
      () => false,
    );
    if (created) {
      const idx = await s.raw(`select c.oid::int8 as oid, c.oid::regclass::text as name from pg_index i
        join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
        join pg_namespace n on n.oid = c.relnamespace
        where am.amname = 'btree' and c.relkind = 'i' and i.indisvalid and n.nspname !~ '^pg_' and n.nspname <> 'information_schema'`);
      for (const r of idx.rows as { oid: string; name: string }[]) {
        await s.raw('select bt_index_check(?::oid, true)', [r.oid]).catch((err: unknown) => {
          problems.push(`index ${r.name}: ${errorMessage(err)}`);
        });
      }
    }
  }
  return problems;
}

async function disableEventTriggers(s: Knex): Promise<void> {
  const res = await s.raw(
    "select pg_catalog.quote_ident(evtname) as name from pg_catalog.pg_event_trigger where evtenabled <> 'D'",
  );
  for (const { name } of res.rows as { name: string }[]) await s.raw(`alter event trigger ${name} disable`);
}
