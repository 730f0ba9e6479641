import { once } from 'node:events';
import { redactDeep } from '../../core/redact.js';
import { type FleetReport, toJsonReport, toJsonTenant } from '../../fleet/report.js';

/** Pieces are joined up to about this size before each write: few syscalls, no whole-report string. */
const CHUNK_CHARS = 64 * 1024;
const TENANT_INDENT = '\n    ';

/**
 * The `--json` report as text pieces, byte for byte `JSON.stringify(redactDeep({ ...toJsonReport(report),
 * ...after }), null, 2) + '\n'`, but built one tenant at a time. Why: at 10,000 tenants the one-shot form
 * held a redacted copy of every tenant entry, the whole 2 MB string and its flattened concatenation at
 * once — the run's memory peak came from printing its report. Here only one tenant's entry is copied at
 * a time. `after`: keys a command adds after `tenants` (drift's `drift`), each printed in one piece.
 */
export function* jsonReportPieces(
  report: FleetReport<object>,
  after: Record<string, unknown> = {},
): Generator<string> {
  const head = JSON.stringify(redactDeep(toJsonReport({ ...report, tenants: [] })), null, 2);
  // `tenants` is the report's last key, so the head ends in `"tenants": []\n}`: open the array there.
  const empty = '[]\n}';
  if (!head.endsWith(empty)) throw new Error('the JSON report must end with its tenants');
  const tail = `${trailingKeys(after)}\n}\n`;
  if (report.tenants.length === 0) {
    yield `${head.slice(0, -'\n}'.length)}${tail}`;
    return;
  }
  yield `${head.slice(0, -empty.length)}[`;
  let first = true;
  for (const tenant of report.tenants) {
    const entry = JSON.stringify(redactDeep(toJsonTenant(tenant)), null, 2);
    // JSON text holds no raw newline inside a string, so every newline is a line break to re-indent.
    yield `${first ? '' : ','}${TENANT_INDENT}${entry.replaceAll('\n', TENANT_INDENT)}`;
    first = false;
  }
  yield `\n  ]${tail}`;
}

/** `,\n  "key": value` for each key, as JSON.stringify indents a top-level key; undefined ones left out. */
function trailingKeys(after: Record<string, unknown>): string {
  let text = '';
  for (const [key, value] of Object.entries(after)) {
    if (value === undefined) continue;
    const json = JSON.stringify(redactDeep(value), null, 2).replaceAll('\n', '\n  ');
    text += `,\n  ${JSON.stringify(key)}: ${json}`;
  }
  return text;
}

/**
 * Writes the `--json` report to `out` in chunks of about 64 KiB, waiting for `drain` whenever the stream
 * says its buffer is full: into a pipe that a slower reader empties, writing everything at once would
 * only move the whole report into the stream's queue.
 * A reader that went away (`dbfleet status --json | head`: EPIPE) ends the writing quietly; the exit code
 * stays the run's. The error listener stays on the stream, so an error of the last write, reported after
 * this returns, does not crash the process either.
 */
export async function writeJsonReport(
  report: FleetReport<object>,
  out: NodeJS.WritableStream,
  after: Record<string, unknown> = {},
): Promise<void> {
  let failed: NodeJS.ErrnoException | undefined;
  out.on('error', (err: NodeJS.ErrnoException) => {
    failed ??= err;
  });
  let buffered = '';
  const flush = async () => {
    const room = out.write(buffered);
    buffered = '';
    if (!room && !failed) await once(out, 'drain').catch(() => {}); // the error listener above records it
  };
  for (const piece of jsonReportPieces(report, after)) {
    if (failed) break;
    buffered += piece;
    if (buffered.length >= CHUNK_CHARS) await flush();
  }
  if (buffered && !failed) await flush();
  if (failed && failed.code !== 'EPIPE') throw failed;
}
