import type { DoStmt } from 'libpg-query';

type ParsePlpgsql = (sql: string) => unknown;

/** The language a DO block is written in: its `LANGUAGE` option, plpgsql when there is none. */
function languageOf(block: DoStmt): string {
  for (const arg of block.args ?? [])
    if ('DefElem' in arg && arg.DefElem.defname === 'language') {
      const name = arg.DefElem.arg && 'String' in arg.DefElem.arg ? arg.DefElem.arg.String.sval : undefined;
      return (name ?? 'plpgsql').toLowerCase();
    }
  return 'plpgsql';
}

/** `'create index …'`: EXECUTE of one string literal is a statement known before it runs. */
function literalText(expression: string): string | undefined {
  const match = /^\s*'((?:[^']|'')*)'\s*$/s.exec(expression);
  return match ? match[1]!.replace(/''/g, "'") : undefined;
}

function collect(node: unknown, into: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) collect(item, into);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  type Expression = { PLpgSQL_expr?: { query?: string } } | undefined;
  // A plain statement, and PERFORM's (its text is the whole SELECT: `PERFORM set_config(…)`).
  const exec = record.PLpgSQL_stmt_execsql as { sqlstmt?: Expression } | undefined;
  const perform = record.PLpgSQL_stmt_perform as { expr?: Expression } | undefined;
  for (const query of [exec?.sqlstmt?.PLpgSQL_expr?.query, perform?.expr?.PLpgSQL_expr?.query])
    if (query) into.push(query);
  const dynamic = record.PLpgSQL_stmt_dynexecute as { query?: Expression } | undefined;
  const text = dynamic?.query?.PLpgSQL_expr?.query;
  const literal = text === undefined ? undefined : literalText(text);
  if (literal) into.push(literal);
  for (const value of Object.values(record)) collect(value, into);
}

/**
 * The SQL statements a PL/pgSQL `DO` block runs, read with PostgreSQL's own PL/pgSQL parser: each plain
 * statement of its body (inside IFs and loops too), each PERFORM, and each `EXECUTE` of a string literal. A DO block
 * runs them now, during the migration — a `CREATE INDEX` on a busy table inside `IF NOT EXISTS` locks it
 * as much as one outside. Statements built at run time (`EXECUTE format(…)`) cannot be known: left out.
 * A block in another language, or one the parser refuses (the server would too), gives none.
 */
export function doBlockStatements(block: DoStmt, text: string, parsePlpgsql: ParsePlpgsql): string[] {
  if (languageOf(block) !== 'plpgsql') return [];
  let tree: unknown;
  try {
    tree = parsePlpgsql(text);
  } catch {
    return [];
  }
  const statements: string[] = [];
  collect(tree, statements);
  return statements;
}
