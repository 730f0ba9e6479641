import type { ErrorCode } from '../../core/error-codes.js';
import { redact } from '../../core/redact.js';

/** What a command prints when it ends without a report: which command, and whether `--json` was asked for. */
export interface CommandOutput {
  command: string | null;
  json: boolean;
}

/**
 * `--json` promises one JSON document on stdout however the command ends: a script runs
 * `JSON.parse(stdout)` before it looks at the exit code. A command stopped by a usage, configuration,
 * inventory, journal or queue error (exit 2), or by an unexpected one (exit 1), has no report, so this is
 * the report of no tenant with the command's error on top: `ok` false, an empty summary, no tenants.
 * The worker's output is one JSON object a line, so its document is one line too.
 */
export function errorDocument(output: CommandOutput, code: ErrorCode, message: string): string {
  const doc = {
    command: output.command,
    ok: false,
    error: { code, message: redact(message) },
    summary: { total: 0, succeeded: 0, failed: 0, skipped: 0 },
    tenants: [],
  };
  return `${output.command === 'worker' ? JSON.stringify(doc) : JSON.stringify(doc, null, 2)}\n`;
}
