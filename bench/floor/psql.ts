import { runEach } from './run-parallel.js';

/** The migrate floor: the derived SQL file applied with psql, one process per database, `concurrency` at once. */
export async function psqlFloor(
  urls: readonly string[],
  sqlFile: string,
  concurrency: number,
): Promise<void> {
  await runEach(urls, concurrency, (url) => [
    ['psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', sqlFile, '-d', url]],
  ]);
}
