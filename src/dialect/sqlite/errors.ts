import type { ErrorInfo } from '../../core/errors.js';

export function classifySqliteError(err: unknown): ErrorInfo | undefined {
  const e = err as { code?: string; message?: string };
  const message = e?.message ?? String(err);
  if (e?.code === 'SQLITE_BUSY' || e?.code === 'SQLITE_LOCKED') {
    return { code: 'LOCK_TIMEOUT', message: `the database file is locked by another connection: ${message}` };
  }
  if (
    e?.code === 'SQLITE_CANTOPEN' ||
    /unable to open database file|directory does not exist/i.test(message)
  ) {
    return { code: 'UNREACHABLE', message: `cannot open the database file: ${message}` };
  }
  if (e?.code === 'SQLITE_CORRUPT' || e?.code === 'SQLITE_NOTADB') return { code: 'CORRUPT', message };
  return undefined;
}
