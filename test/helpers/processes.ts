import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Alive and not a zombie (an orphan's zombie lingers where nothing reaps it, as in some containers). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The running pg_dump (Linux /proc) that dumps this database, if there is one. */
export function findPgDump(database: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (
        basename(argv[0] ?? '') === 'pg_dump' &&
        argv.some((a) => a.includes(`dbname='${database}'`)) &&
        isRunning(Number(entry))
      )
        return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}
