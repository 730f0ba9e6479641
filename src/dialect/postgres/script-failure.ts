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
 * How PostgreSQL ran the script, by the server's grammar: `single` (one statement, run on its own — a CREATE
 * INDEX CONCURRENTLY commits as it goes), `implicit` (several, none beginning or ending a transaction: one
 * implicit transaction), `own` (several, with transaction statements of their own), or `unknown`.
 */
type Shape = 'single' | 'implicit' | 'own' | 'unknown';

async function scriptShape(script: string): Promise<Shape> {
  try {
    const { loadModule, parseSync } = await import('libpg-query');
    await loadModule();
    const stmts = parseSync(script).stmts ?? [];
    if (stmts.length <= 1) return 'single';
    return stmts.some((s) => s.stmt !== undefined && 'TransactionStmt' in s.stmt) ? 'own' : 'implicit';
  } catch {
    return 'unknown';
  }
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
  if (err.code === '42601') {
    markScriptOutcome(err, 'PostgreSQL parses the whole file before running it, so none of it ran');
    return err;
  }
  const shape = await scriptShape(script);
  if (shape === 'implicit')
    markScriptOutcome(
      err,
      'PostgreSQL ran the file as one implicit transaction, so nothing of it was applied',
    );
  else if (shape === 'own')
    markScriptOutcome(
      err,
      'only what a COMMIT of its own committed before the failure stays applied; the rest was rolled back',
    );
  return err;
}
