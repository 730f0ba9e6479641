import { resolve } from 'node:path';
import type { Migration } from '../migration/types.js';
import type { ValidConfig } from './types.js';

/**
 * The migrations a command runs: one folder (which the command loads), or — when the knexfile names
 * several folders or restricts `loadExtensions` — the migrations loaded here, the way knex reads them.
 * `--migrations` replaces the folder(s), as knex's `--migrations-directory` does; `loadExtensions` still applies.
 */
export async function migrationsSourceOf(
  flag: string | undefined,
  config: ValidConfig,
  baseDir: string,
  cwd: string,
): Promise<string | readonly Migration[]> {
  const setting = config.migrations;
  const block = typeof setting === 'object' ? setting : {};
  const configured =
    typeof setting === 'string'
      ? [setting]
      : block.directory === undefined
        ? ['migrations']
        : block.directory;
  const directories = flag
    ? [resolve(cwd, flag)]
    : (typeof configured === 'string' ? [configured] : [...configured]).map((d) => resolve(baseDir, d));
  if (directories.length === 1 && !block.loadExtensions) return directories[0]!;
  const { loadMigrationDirectories } = await import('../migration/load-directories.js');
  return loadMigrationDirectories({
    directories,
    ...(block.loadExtensions ? { loadExtensions: block.loadExtensions } : {}),
    ...(block.sortDirsSeparately ? { sortDirsSeparately: true } : {}),
  });
}
