import { redact } from './redact.js';

/**
 * A setup problem (bad config, unreadable inventory, unknown tenant): the run never starts, exit code 2.
 * Per-tenant problems are never thrown as this: they become that tenant's failed result.
 */
export class UsageError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[] = []) {
    super(redact(problems.length ? `${message}\n${problems.map((p) => `  - ${p}`).join('\n')}` : message));
    this.name = 'UsageError';
    this.problems = problems.map(redact);
  }
}

/** A failure with a stable machine-readable code, for the report's `error: { code, message }`. */
export class TenantError extends Error {
  readonly code: string;
  /** The tenant is reported `skipped` rather than `failed` (e.g. another runner holds its lock). */
  readonly skipped: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; skipped?: boolean }) {
    super(redact(message), options);
    this.name = 'TenantError';
    this.code = code;
    this.skipped = options?.skipped ?? false;
  }
}

export interface ErrorInfo {
  code: string;
  message: string;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return redact(err.message || String(err));
  return redact(String(err));
}
