import { type ErrorInfo, errorMessage } from '../core/errors.js';
import type { TenantContext } from '../fleet/run-fleet.js';
import { setAsideFailedBackup } from './files.js';

/**
 * A backup that failed the verification right after it was taken gives up its final name (see
 * `setAsideFailedBackup`); the error says where it went. If even the rename fails, the manifest's
 * recorded verdict (ok: false) still keeps it from being restored or counted as good.
 */
export async function setAsideFailed(
  ctx: TenantContext,
  path: string,
  manifestPath: string,
  error: ErrorInfo,
): Promise<{ info: ErrorInfo; path?: string }> {
  try {
    const failed = await setAsideFailedBackup(path, manifestPath);
    return {
      info: { ...error, message: `${error.message} (the backup was kept for inspection as ${failed})` },
      path: failed,
    };
  } catch (err) {
    const message = `could not set the failed backup ${path} aside: ${errorMessage(err)}; its manifest records the failure`;
    ctx.emit({ type: 'notice', tenantId: ctx.tenant.id, level: 'warn', message });
    return { info: error };
  }
}
