import { type ErrorCode, isErrorCode } from './error-codes.js';
import { redact } from './redact.js';

export type { ErrorCode } from './error-codes.js';

/**
 * A setup problem (bad config, unreadable inventory, unknown tenant): the run never starts, exit code 2.
 * Per-tenant problems are never thrown as this: they become that tenant's failed result.
 */
export class UsageError extends Error {
  /** The `--json` document's `error.code` for it, so a library caller branches on the same code. */
  readonly code = 'USAGE_ERROR' satisfies ErrorCode;
  /** Every cause, one a line: those listed under `message`, or the message itself when it is the one cause. */
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(redact(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message));
    this.name = 'UsageError';
    // A caller that shows `problems` showed nothing for a single-cause error (the usual kind).
    this.problems = (problems.length ? problems : [message]).map(redact);
  }
}

/** A failure with a stable machine-readable code, for the report's `error: { code, message }`. */
export class TenantError extends Error {
  readonly code: ErrorCode;
  /** The tenant is reported `skipped` rather than `failed` (e.g. another runner holds its lock). */
  readonly skipped: boolean;
  /** The driver's own code behind `code`, kept for the report when the driver's error is wrapped. */
  readonly driverCode: string | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; skipped?: boolean; driverCode?: string },
  ) {
    super(redact(message), options);
    this.name = 'TenantError';
    this.code = code;
    this.skipped = options?.skipped ?? false;
    this.driverCode = options?.driverCode;
  }
}

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** The driver's own code behind `code` (a SQLSTATE, ECONNREFUSED, SQLITE_CANTOPEN), to look it up. */
  driverCode?: string;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return redact(err.message || String(err));
  return redact(String(err));
}

/**
 * An error read back from the journal. A code this version does not know (a newer dbfleet wrote it)
 * is reported as FAILED, the stored code kept in front of the message.
 */
export function storedError(code: unknown, message: unknown): ErrorInfo {
  const text = String(message ?? '');
  return isErrorCode(code)
    ? { code, message: text }
    : { code: 'FAILED', message: `[${String(code)}] ${text}` };
}
