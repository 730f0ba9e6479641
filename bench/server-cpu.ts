import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PG_BENCH_URL } from './fleet.js';

/**
 * CPU seconds the PostgreSQL server spent, read from its postmaster's /proc entry: its own time plus that
 * of the children it has reaped (cutime, cstime) — every backend that ended, so every tenant connection of
 * a run once its client has gone. Long-lived helpers (checkpointer, WAL writer, autovacuum launcher) count
 * only when they exit: the figure is the backends' work, which is what grows with a fleet's catalogs.
 * Only where the server runs on this machine and its data directory is readable (the bench's set-up);
 * otherwise undefined.
 */
export async function serverCpuReader(): Promise<(() => number | undefined) | undefined> {
  const client = new pg.Client({ connectionString: PG_BENCH_URL, application_name: 'dbfleet-bench-cpu' });
  try {
    await client.connect();
    const { rows } = await client.query<{ dir: string }>('select current_setting($1) as dir', [
      'data_directory',
    ]);
    const pid = Number(readFileSync(join(rows[0]!.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const read = (): number | undefined => {
      try {
        // Fields 14–17 (utime, stime, cutime, cstime) after the command name, which may hold spaces.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
      } catch {
        return undefined;
      }
    };
    return read() === undefined ? undefined : read;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}
