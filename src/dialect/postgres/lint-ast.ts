import type { A_Const, Node, RawStmt, TypeName } from 'libpg-query';

/**
 * A column type as far as lint needs it: the type's own name (`varchar`, `int4`, `text`; `text[]` for an
 * array of it: another type, whose values are converted one by one) and its modifiers.
 */
export interface ColumnType {
  name: string;
  mods: number[];
}

/** The `sval`s of a list of String nodes (qualified names, column lists). */
export function strings(nodes: readonly Node[] | undefined): string[] {
  return (nodes ?? []).flatMap((n) => ('String' in n && n.String.sval !== undefined ? [n.String.sval] : []));
}

export function columnType(typeName: TypeName | undefined): ColumnType | undefined {
  const name = strings(typeName?.names).at(-1);
  if (!name) return undefined;
  const mods = (typeName?.typmods ?? []).map((m) => ('A_Const' in m ? (m.A_Const.ival?.ival ?? 0) : -1));
  const array = (typeName?.arrayBounds ?? []).length > 0 ? '[]' : '';
  return { name: `${name.toLowerCase()}${array}`, mods };
}

export interface Call {
  /** Lower-cased, without its schema. */
  name: string;
  args: readonly Node[];
}

/**
 * Every function a node calls, at any depth. The AST is walked as plain data: which node kinds can hold
 * a call is PostgreSQL's business, not something to enumerate here.
 */
export function calls(node: unknown, found: Call[] = []): Call[] {
  if (Array.isArray(node)) {
    for (const item of node) calls(item, found);
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'FuncCall') {
        const call = value as { funcname?: Node[]; args?: Node[] };
        const name = strings(call.funcname).at(-1);
        if (name) found.push({ name: name.toLowerCase(), args: call.args ?? [] });
      }
      calls(value, found);
    }
  }
  return found;
}

export function stringConstant(node: Node | undefined): string | undefined {
  return node && 'A_Const' in node ? node.A_Const.sval?.sval : undefined;
}

/** The constant `NULL` (also cast: `NULL::int`). */
export function isNullConstant(node: Node | undefined): boolean {
  if (node && 'TypeCast' in node) return isNullConstant(node.TypeCast.arg);
  return Boolean(node && 'A_Const' in node && node.A_Const.isnull);
}

/** `0`, `'0'`, `'0s'`, `'0 ms'`…: every way of writing a zero duration for a GUC. */
export function isZeroSetting(node: Node | undefined): boolean {
  if (!node || !('A_Const' in node)) return false;
  const c: A_Const = node.A_Const;
  if (c.sval) return /^\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*$/i.test(c.sval.sval ?? '');
  if (c.fval) return Number(c.fval.fval) === 0;
  if (c.isnull || c.boolval) return false;
  // The parser leaves a zero integer out: `ival: {}`.
  return (c.ival?.ival ?? 0) === 0;
}

/**
 * The text of one parsed statement, without the comments and blank lines before it (the parser counts
 * them as part of the statement that follows). The parser's offsets count UTF-8 bytes, not characters.
 */
export function statementText(sql: Buffer, raw: RawStmt): string {
  const start = raw.stmt_location ?? 0;
  const bytes = raw.stmt_len ? sql.subarray(start, start + raw.stmt_len) : sql.subarray(start);
  return bytes
    .toString('utf8')
    .replace(/^(\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/)+/, '')
    .trim();
}

/**
 * Whether a transaction block is open after `node`, given whether one was before it: a migration's own
 * BEGIN / START TRANSACTION opens one, COMMIT / END / ROLLBACK / ABORT (unless AND CHAIN) and PREPARE
 * TRANSACTION end it; savepoints change nothing.
 */
export function transactionBlockAfter(node: Node, open: boolean): boolean {
  if (!('TransactionStmt' in node)) return open;
  const { kind, chain } = node.TransactionStmt;
  if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') return true;
  if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') return open && Boolean(chain);
  return kind === 'TRANS_STMT_PREPARE' ? false : open;
}

/**
 * COMMIT / END / ROLLBACK / ABORT (not to a savepoint) and PREPARE TRANSACTION: statements that end the
 * transaction they run in — in a transactional migration, the one dbfleet (like knex) runs it in.
 */
export function endsTransaction(node: Node): boolean {
  if (!('TransactionStmt' in node)) return false;
  const { kind } = node.TransactionStmt;
  return kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK' || kind === 'TRANS_STMT_PREPARE';
}
