import { type ErrorInfo, errorMessage, TenantError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { DialectAdapter } from '../dialect/types.js';

/** Turns anything a tenant's work threw into the report's `{ code, message }`, credentials removed. */
export function describeFailure(err: unknown, adapter?: Pick<DialectAdapter, 'classifyError'>): ErrorInfo {
  if (err instanceof TenantError) return { code: err.code, message: err.message };
  const classified = adapter?.classifyError(err);
  if (classified) return { code: classified.code, message: redact(classified.message) };
  return { code: 'FAILED', message: errorMessage(err) };
}
