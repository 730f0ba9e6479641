import { join } from 'node:path';
import { runEach } from './run-parallel.js';

/**
 * The upgrade floor: the raw tools a script would chain per tenant — backup + light verify, the
 * migration SQL, backup + light verify again — `concurrency` tenants at a time. No optimizations or
 * smoke checks: the bench's upgrade runs with none, so dbfleet does not run any either. `bin`: each
 * tool's path.
 */
export async function rawUpgradeFloor(
  dbs: readonly { name: string; url: string }[],
  sqlFile: string,
  dir: string,
  concurrency: number,
  bin: (tool: string) => string = (tool) => tool,
): Promise<void> {
  await runEach(dbs, concurrency, (db) => {
    const pre = join(dir, `${db.name}.pre.dump`);
    const post = join(dir, `${db.name}.post.dump`);
    return [
      [bin('pg_dump'), ['-Fc', '-f', pre, '-d', db.url]],
      [bin('pg_restore'), ['--list', pre]],
      [bin('psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', sqlFile, '-d', db.url]],
      [bin('pg_dump'), ['-Fc', '-f', post, '-d', db.url]],
      [bin('pg_restore'), ['--list', post]],
    ];
  });
}
