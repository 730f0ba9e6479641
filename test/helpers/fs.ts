import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function canWrite(dir: string): boolean {
  const probe = join(dir, '.probe');
  try {
    writeFileSync(probe, '');
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes a directory unwritable for this process. chmod is enough for a normal user; root ignores modes,
 * so as root the directory is made immutable (chattr +i). Returns an undo function, or undefined when
 * neither works here (the caller skips its test).
 */
export function makeUnwritable(dir: string): (() => void) | undefined {
  chmodSync(dir, 0o500);
  if (!canWrite(dir)) return () => chmodSync(dir, 0o700);
  if (spawnSync('chattr', ['+i', dir]).status === 0 && !canWrite(dir)) {
    return () => {
      spawnSync('chattr', ['-i', dir]);
      chmodSync(dir, 0o700);
    };
  }
  spawnSync('chattr', ['-i', dir]);
  chmodSync(dir, 0o700);
  return undefined;
}
