import { isErrorCode } from '../core/error-codes.js';
import { type ErrorInfo, errorMessage, TenantError, UsageError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { DialectAdapter } from '../dialect/types.js';

/** The driver's own code (SQLSTATE, errno name, SQLite result code), when it has one. */
function driverCodeOf(err: unknown): string | undefined {
  // dbfleet's own setup error carries a dbfleet code (USAGE_ERROR), not a driver's.
  if (err instanceof UsageError) return undefined;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

/**
 * Turns anything a tenant's work threw into the report's `{ code, message }`, credentials removed. The
 * code is always one of ERROR_CODES: a driver's own code never becomes it, it goes to `driverCode`.
 */
export function describeFailure(err: unknown, adapter?: Pick<DialectAdapter, 'classifyError'>): ErrorInfo {
  // A JavaScript caller (a hook, a custom optimization) can build a TenantError with any string.
  if (err instanceof TenantError && isErrorCode(err.code))
    return {
      code: err.code,
      message: err.message,
      ...(err.driverCode && err.driverCode !== err.code ? { driverCode: err.driverCode } : {}),
    };
  const driverCode = driverCodeOf(err);
  const classified = adapter?.classifyError(err);
  const info: ErrorInfo =
    classified && isErrorCode(classified.code)
      ? { code: classified.code, message: redact(classified.message) }
      : { code: 'FAILED', message: errorMessage(err) };
  return driverCode && driverCode !== info.code ? { ...info, driverCode } : info;
}
