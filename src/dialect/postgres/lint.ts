import type { DoStmt, Node, ParseResult } from 'libpg-query';
import type { DialectLinter, LintHit, LintMigrationInput, StillNew } from '../lint-types.js';
import { lintAlterTable, type StatementContext, typeOfColumn } from './lint-alter.js';
import {
  calls,
  endsTransaction,
  isZeroSetting,
  statementText,
  stringConstant,
  strings,
  transactionBlockAfter,
} from './lint-ast.js';
import { doBlockStatements } from './lint-do-block.js';
import { lintLockingStatement } from './lint-locks.js';
import { POSTGRES_RULES } from './lint-rules.js';
import { LintSchema } from './lint-schema.js';

function isConcurrentReindex(params: readonly Node[] | undefined): boolean {
  return (params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
}

/** `SELECT set_config('lock_timeout', '0', …)`: the same as SET, written as a call. */
function setsLockTimeoutToZero(node: Node): boolean {
  return calls(node).some(
    (c) =>
      c.name === 'set_config' && stringConstant(c.args[0]) === 'lock_timeout' && isZeroSetting(c.args[1]),
  );
}

/**
 * `CREATE TABLE IF NOT EXISTS` of a table the linted migrations already know does nothing on the server:
 * the table stays the busy one it was (knex's createTableIfNotExists writes it, indexes and all).
 */
function existsAlready(ifNotExists: boolean | undefined, table: string, ctx: StatementContext): boolean {
  return Boolean(ifNotExists) && ctx.schema.knows(table);
}

function createTable(node: Node, ctx: StatementContext): void {
  if ('CreateStmt' in node) {
    const table = node.CreateStmt.relation?.relname;
    if (!table || existsAlready(node.CreateStmt.if_not_exists, table, ctx)) return;
    ctx.schema.created(table, ctx.migration);
    for (const element of node.CreateStmt.tableElts ?? [])
      if ('ColumnDef' in element)
        ctx.schema.setColumn(table, element.ColumnDef.colname ?? '', typeOfColumn(element.ColumnDef));
  } else if ('CreateTableAsStmt' in node) {
    const table = node.CreateTableAsStmt.into?.rel?.relname;
    if (table && !existsAlready(node.CreateTableAsStmt.if_not_exists, table, ctx))
      ctx.schema.created(table, ctx.migration);
  }
}

/**
 * Statements PostgreSQL refuses in a transaction block (`PreventInTransactionBlock`) other than the
 * CONCURRENTLY ones: the migration fails on every tenant at run time. VACUUM without FULL locks nothing
 * heavy, so only this rule speaks of it (VACUUM FULL is also lint-locks.ts's); ANALYZE alone is allowed.
 */
function refusedInTransaction(node: Node): string | undefined {
  if ('VacuumStmt' in node) return node.VacuumStmt.is_vacuumcmd ? 'VACUUM' : undefined;
  if ('CreatedbStmt' in node) return 'CREATE DATABASE';
  if ('DropdbStmt' in node) return 'DROP DATABASE';
  if ('CreateTableSpaceStmt' in node) return 'CREATE TABLESPACE';
  if ('DropTableSpaceStmt' in node) return 'DROP TABLESPACE';
  if ('AlterSystemStmt' in node) return 'ALTER SYSTEM';
  if ('ReindexStmt' in node) {
    const kind = node.ReindexStmt.kind;
    if (kind === 'REINDEX_OBJECT_DATABASE') return 'REINDEX DATABASE';
    if (kind === 'REINDEX_OBJECT_SYSTEM') return 'REINDEX SYSTEM';
  }
  return undefined;
}

/**
 * CONCURRENTLY (and the statements above) refuse a transaction block: the migration's (dbfleet's, or one
 * it opens with its own BEGIN), or the implicit one PostgreSQL wraps around a query string of several
 * statements (a `.sql` file is sent whole, so is a `knex.raw` of many).
 */
function outsideTransactionOnly(
  ctx: StatementContext,
  rule: 'concurrentlyInTransaction' | 'noTransactionBlock',
  what?: string,
): void {
  if (ctx.transactional) ctx.hit(rule, what);
  else if (ctx.statementsInString > 1)
    ctx.hit(
      rule,
      `${what ? `${what}: ` : ''}it is one of ${ctx.statementsInString} statements sent as one query string, which PostgreSQL runs as one transaction block: send it alone`,
    );
}

const concurrently = (ctx: StatementContext) => outsideTransactionOnly(ctx, 'concurrentlyInTransaction');

function lintStatement(node: Node, ctx: StatementContext): void {
  const { schema, migration } = ctx;
  const refused = refusedInTransaction(node);
  if (refused) outsideTransactionOnly(ctx, 'noTransactionBlock', refused);
  if ('CreateStmt' in node || 'CreateTableAsStmt' in node) createTable(node, ctx);
  else if ('AlterTableStmt' in node) lintAlterTable(node.AlterTableStmt, ctx);
  else if ('IndexStmt' in node) {
    const { concurrent, relation } = node.IndexStmt;
    if (concurrent) concurrently(ctx);
    if (!concurrent && !schema.isNew(relation?.relname ?? '', migration)) ctx.hit('indexNotConcurrent');
  } else if ('DropStmt' in node) {
    const drop = node.DropStmt;
    if (drop.concurrent) concurrently(ctx);
    if (drop.removeType !== 'OBJECT_TABLE') return;
    for (const object of drop.objects ?? []) {
      const table = 'List' in object ? strings(object.List.items).at(-1) : undefined;
      if (!table) continue;
      if (!schema.isNew(table, migration)) ctx.hit('dropOrRename', `drops table ${table}`);
      schema.dropped(table);
    }
  } else if ('ReindexStmt' in node) {
    if (isConcurrentReindex(node.ReindexStmt.params)) concurrently(ctx);
  } else if ('RenameStmt' in node) {
    const { renameType, relationType, relation, subname, newname } = node.RenameStmt;
    const table = relation?.relname ?? '';
    if (renameType === 'OBJECT_TABLE') {
      if (!schema.isNew(table, migration)) ctx.hit('dropOrRename', `renames table ${table} to ${newname}`);
      schema.renamed(table, newname ?? '');
    } else if (renameType === 'OBJECT_COLUMN' && relationType === 'OBJECT_TABLE') {
      if (!schema.isNew(table, migration))
        ctx.hit('dropOrRename', `renames column ${table}.${subname} to ${newname}`);
      schema.renameColumn(table, subname ?? '', newname ?? '');
    }
  } else if (lintLockingStatement(node, ctx)) {
    // VACUUM FULL, CLUSTER, REFRESH MATERIALIZED VIEW, LOCK TABLE, TRUNCATE: lint-locks.ts.
  } else if ('VariableSetStmt' in node) {
    const set = node.VariableSetStmt;
    if (set.name === 'lock_timeout' && set.kind === 'VAR_SET_VALUE' && isZeroSetting(set.args?.[0]))
      ctx.hit('lockTimeoutDisabled');
  } else if (setsLockTimeoutToZero(node)) ctx.hit('lockTimeoutDisabled');
}

/**
 * Lints PostgreSQL migrations with the server's own grammar (libpg-query: PostgreSQL's parser compiled to
 * WebAssembly), loaded on first use.
 */
export async function createPostgresLinter(stillNew: StillNew): Promise<DialectLinter> {
  const { loadModule, parseSync, parsePlPgSQLSync } = await import('libpg-query');
  await loadModule();
  const schema = new LintSchema(stillNew);
  /**
   * The statements a DO block runs now, linted as if written out — inside the block's own transaction
   * (a DO block is one statement: CONCURRENTLY and VACUUM fail in it whatever the migration's setting).
   * Findings name the inner statement; the detail says where it was.
   */
  const lintDoBlock = (block: DoStmt, text: string, migration: string, hits: LintHit[]) => {
    for (const inner of doBlockStatements(block, text, parsePlPgSQLSync)) {
      let nodes: Node[];
      try {
        nodes = (parseSync(inner).stmts ?? []).flatMap((raw) => (raw.stmt ? [raw.stmt] : []));
      } catch {
        continue;
      }
      for (const node of nodes)
        lintStatement(node, {
          schema,
          migration,
          transactional: true,
          statementsInString: 1,
          hit: (rule, detail) =>
            hits.push({
              rule: POSTGRES_RULES[rule].id,
              statement: inner.trim(),
              detail: `inside a DO block${detail ? `: ${detail}` : ''}`,
            }),
        });
    }
  };
  return {
    lintMigration(migration: LintMigrationInput): LintHit[] {
      const hits: LintHit[] = [];
      // A block the migration opens itself (`knex.raw('begin')` in a migration without a transaction).
      let ownBlock = false;
      let openedBy = '';
      for (const sql of migration.statements) {
        let parsed: ParseResult;
        try {
          parsed = parseSync(sql);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          hits.push({ rule: POSTGRES_RULES.parseError.id, statement: sql.trim(), detail: message });
          continue;
        }
        const bytes = Buffer.from(sql, 'utf8');
        const raws = (parsed.stmts ?? []).filter((raw) => raw.stmt);
        for (const raw of raws) {
          const statement = statementText(bytes, raw);
          const node = raw.stmt!;
          // A migration's own COMMIT ends the transaction dbfleet runs it in (its BEGIN, there, is a warning).
          if (migration.transactional && endsTransaction(node))
            hits.push({ rule: POSTGRES_RULES.commitInTransaction.id, statement });
          const wasOpen = ownBlock;
          ownBlock = transactionBlockAfter(node, ownBlock);
          if (ownBlock && !wasOpen) openedBy = statement;
          if ('DoStmt' in node) {
            lintDoBlock(node.DoStmt, statement, migration.name, hits);
            continue;
          }
          lintStatement(node, {
            schema,
            migration: migration.name,
            transactional: migration.transactional || ownBlock,
            statementsInString: raws.length,
            hit: (rule, detail) =>
              hits.push({ rule: POSTGRES_RULES[rule].id, statement, ...(detail ? { detail } : {}) }),
          });
        }
      }
      // Never committed: dbfleet rolls it back and fails the migration (TRANSACTION_LEFT_OPEN) on every tenant.
      if (ownBlock && !migration.transactional)
        hits.push({ rule: POSTGRES_RULES.beginWithoutCommit.id, statement: openedBy });
      return hits;
    },
  };
}
