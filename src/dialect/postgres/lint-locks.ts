import type { Node } from 'libpg-query';
import type { StatementContext } from './lint-alter.js';

/** pg's lock modes by number (lockdefs.h): SHARE (5) and above block the app's writes, 8 its reads too. */
const LOCK_MODES: Record<number, string> = {
  5: 'SHARE',
  6: 'SHARE ROW EXCLUSIVE',
  7: 'EXCLUSIVE',
  8: 'ACCESS EXCLUSIVE',
};

function hitUnlessNew(ctx: StatementContext, table: string | undefined, detail: string): void {
  if (table === undefined || !ctx.schema.isNew(table, ctx.migration))
    ctx.hit('exclusiveLockStatement', detail);
}

const relname = (node: Node): string | undefined => ('RangeVar' in node ? node.RangeVar.relname : undefined);

/**
 * Statements that hold a lock blocking the app for as long as they work through a table that already has
 * rows: VACUUM FULL and CLUSTER rewrite it, a plain REFRESH MATERIALIZED VIEW recomputes it, LOCK TABLE
 * and TRUNCATE wait for every open transaction on it while everyone queues behind them. Returns whether
 * `node` was one of them (SET TABLESPACE / LOGGED / UNLOGGED are ALTER TABLE commands: lint-alter.ts).
 */
export function lintLockingStatement(node: Node, ctx: StatementContext): boolean {
  if ('VacuumStmt' in node) {
    const vacuum = node.VacuumStmt;
    const full = (vacuum.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full');
    if (!vacuum.is_vacuumcmd || !full) return true;
    const tables = (vacuum.rels ?? []).flatMap((r) =>
      'VacuumRelation' in r && r.VacuumRelation.relation?.relname ? [r.VacuumRelation.relation.relname] : [],
    );
    if (tables.length === 0)
      ctx.hit('exclusiveLockStatement', 'VACUUM FULL rewrites every table of the database');
    for (const t of tables) hitUnlessNew(ctx, t, `VACUUM FULL rewrites ${t} under ACCESS EXCLUSIVE`);
    return true;
  }
  if ('ClusterStmt' in node) {
    const table = node.ClusterStmt.relation?.relname;
    hitUnlessNew(ctx, table, `CLUSTER rewrites ${table ?? 'every clustered table'} under ACCESS EXCLUSIVE`);
    return true;
  }
  if ('RefreshMatViewStmt' in node) {
    const { concurrent, relation } = node.RefreshMatViewStmt;
    if (!concurrent)
      hitUnlessNew(
        ctx,
        relation?.relname,
        `REFRESH MATERIALIZED VIEW ${relation?.relname} blocks its readers while it recomputes`,
      );
    return true;
  }
  if ('LockStmt' in node) {
    const mode = LOCK_MODES[node.LockStmt.mode ?? 8];
    if (mode)
      for (const r of node.LockStmt.relations ?? [])
        hitUnlessNew(ctx, relname(r), `LOCK TABLE ${relname(r)} IN ${mode} MODE`);
    return true;
  }
  if ('TruncateStmt' in node) {
    for (const r of node.TruncateStmt.relations ?? [])
      hitUnlessNew(ctx, relname(r), `TRUNCATE ${relname(r)} takes ACCESS EXCLUSIVE`);
    return true;
  }
  return false;
}
