import { spawnSync } from 'node:child_process';
import { mkdirSync, rmdirSync } from 'node:fs';

/**
 * A real full disk for backup tests: a tmpfs of `size` mounted at `dir`. Needs root (or CAP_SYS_ADMIN);
 * returns an unmount function, or undefined where mounting is not allowed (the caller skips its test).
 */
export function mountTinyDisk(dir: string, size = '1m'): (() => void) | undefined {
  mkdirSync(dir, { recursive: true });
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  if (mounted.status !== 0) {
    rmdirSync(dir);
    return undefined;
  }
  return () => {
    spawnSync('umount', [dir]);
    rmdirSync(dir);
  };
}
