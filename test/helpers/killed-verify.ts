import { spawn } from 'node:child_process';
import type { Tenant } from '../../src/core/tenant.js';

/**
 * Runs test/helpers/verify-child.ts, a deep verification that SIGKILLs itself once its scratch copy
 * exists, and waits for it: how the backup tests make "a killed run" leave a scratch behind.
 */
export async function runKilledDeepVerify(
  tenant: Tenant,
  backupDir: string,
): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/helpers/verify-child.ts', JSON.stringify({ tenant, backupDir })],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  return { code, signal, stderr };
}
