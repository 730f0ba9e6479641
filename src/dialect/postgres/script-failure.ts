import { markScriptOutcome } from '../script-outcome.js';

/** pg's server error: a SQLSTATE, and `position` (1-based, in characters) when the parser knows where. */
interface ServerError {
  message: string;
  code?: unknown;
  severity?: unknown;
  position?: unknown;
}

const isServerError = (err: unknown): err is ServerError =>
  err instanceof Error &&
  typeof (err as ServerError).code === 'string' &&
  (err as ServerError).severity !== undefined;

/** Where `position` points: the line's number and its text, short (a file can be pages long). */
function locate(script: string, position: unknown): string | undefined {
  const at = Number(position);
  if (!Number.isInteger(at) || at < 1) return undefined;
  const before = Array.from(script)
    .slice(0, at - 1)
    .join('');
  const line = before.split('\n').length;
  const text = (script.split('\n')[line - 1] ?? '').trim();
  return `line ${line}: ${text.length > 60 ? `${text.slice(0, 59)}…` : text}`;
}

/**
 * How PostgreSQL ran the script, by the server's grammar: `unparsable` (it does not parse: the server ran
 * none of it), `atomic` (one statement that cannot commit part of its work: INSERT, UPDATE, DELETE, MERGE,
 * SELECT), `single` (one statement of another kind, run on its own — a CREATE INDEX CONCURRENTLY commits as
 * it goes, a CALL or DO may COMMIT), `implicit` (several, none beginning or ending a transaction: one
 * implicit transaction), `own` (several, with transaction statements of their own), or `unknown`.
 */
type Shape = 'unparsable' | 'atomic' | 'single' | 'implicit' | 'own' | 'unknown';

const ATOMIC = new Set(['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'SelectStmt']);

async function scriptShape(script: string): Promise<Shape> {
  let parseSync: typeof import('libpg-query')['parseSync'];
  try {
    const module = await import('libpg-query');
    await module.loadModule();
    parseSync = module.parseSync;
  } catch {
    return 'unknown';
  }
  let stmts: ReturnType<typeof parseSync>['stmts'];
  try {
    stmts = parseSync(script).stmts ?? [];
  } catch {
    return 'unparsable';
  }
  if (stmts.length <= 1) {
    const kind = stmts[0]?.stmt === undefined ? undefined : Object.keys(stmts[0].stmt)[0];
    return kind !== undefined && ATOMIC.has(kind) ? 'atomic' : 'single';
  }
  return stmts.some((s) => s.stmt !== undefined && 'TransactionStmt' in s.stmt) ? 'own' : 'implicit';
}

/**
 * A script (a `.sql` migration, a hook's SQL) failed on the server. knex puts the whole text before the
 * cause (`<script> - division by zero`): a long file buried the cause, and the report's table cell showed
 * only the file's first line. The text goes, the failing line is named where the server says which, and the
 * error is marked with what stays applied. The script went as one simple query, which PostgreSQL parses
 * whole before running any of it and then runs as one implicit transaction unless the script begins or ends
 * one itself. The error object stays the driver's, so its SQLSTATE still classifies it.
 */
export async function explainScriptFailure(err: unknown, script: string): Promise<unknown> {
  if (!isServerError(err)) return err;
  const prefix = `${script} - `;
  const cause = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const where = locate(script, err.position);
  err.message = where ? `${cause} (${where})` : cause;
  const shape = await scriptShape(script);
  // A syntax error is also raised while running (an EXECUTE of a bad string): only a script that does not
  // parse, or a syntax error the parser placed (a `position`) where the grammar cannot be read, ran none.
  if (
    err.code === '42601' &&
    (shape === 'unparsable' || (shape === 'unknown' && err.position !== undefined))
  ) {
    markScriptOutcome(err, {
      stays: 'nothing',
      sentence: 'PostgreSQL parses the whole script before running it, so none of it ran',
    });
  } else if (shape === 'atomic')
    markScriptOutcome(err, {
      stays: 'nothing',
      sentence: 'PostgreSQL ran its one statement as a transaction of its own, so nothing of it was applied',
    });
  else if (shape === 'implicit')
    markScriptOutcome(err, {
      stays: 'nothing',
      sentence: 'PostgreSQL ran the script as one implicit transaction, so nothing of it was applied',
    });
  else if (shape === 'own')
    markScriptOutcome(err, {
      stays: 'part',
      sentence:
        'only what a COMMIT of its own committed before the failure stays applied; the rest was rolled back',
    });
  return err;
}
