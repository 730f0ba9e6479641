import { join } from 'node:path';
import { runEach } from './run-parallel.js';

/**
 * The backup + light verify floor: what a script would do per tenant — `pg_dump -Fc` to a file, then
 * `pg_restore --list` to prove the archive's table of contents is complete and readable — with no
 * checksum, manifest or report around it; `concurrency` tenants at a time. `bin`: each tool's path.
 */
export async function pgDumpFloor(
  dbs: readonly { name: string; url: string }[],
  dir: string,
  concurrency: number,
  bin: (tool: string) => string = (tool) => tool,
): Promise<void> {
  await runEach(dbs, concurrency, (db) => {
    const file = join(dir, `${db.name}.dump`);
    return [
      [bin('pg_dump'), ['-Fc', '-f', file, '-d', db.url]],
      [bin('pg_restore'), ['--list', file]],
    ];
  });
}
