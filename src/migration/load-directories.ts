import { dirname } from 'node:path';
import { UsageError } from '../core/errors.js';
import { loadMigrations } from './loader.js';
import type { Migration } from './types.js';

/** knex's `migrations.directory` (one folder or several) with its `loadExtensions` and `sortDirsSeparately`. */
export interface MigrationDirectories {
  directories: readonly string[];
  loadExtensions?: readonly string[];
  sortDirsSeparately?: boolean;
}

/**
 * Loads several migration folders as knex reads them: every file sorted together by name, or folder
 * after folder with `sortDirsSeparately`. History records a migration by file name only, so one name in
 * two folders would be one history row for two files: refused.
 */
export async function loadMigrationDirectories(spec: MigrationDirectories): Promise<Migration[]> {
  const options = spec.loadExtensions ? { loadExtensions: spec.loadExtensions } : {};
  const perFolder: Migration[][] = [];
  for (const directory of spec.directories) {
    const loaded = await loadMigrations(directory, options);
    // Folder after folder, each its own sequence: the out-of-order check looks within the folder only.
    perFolder.push(spec.sortDirsSeparately ? loaded.map((m) => ({ ...m, folder: directory })) : loaded);
  }
  const all = perFolder.flat();
  const folderOf = new Map<string, string>();
  const problems: string[] = [];
  for (const m of all) {
    const other = folderOf.get(m.name);
    if (other !== undefined) problems.push(`${m.name} is in both ${other} and ${dirname(m.file)}`);
    folderOf.set(m.name, dirname(m.file));
  }
  if (problems.length) throw new UsageError('two migration folders hold the same migration:', problems);
  if (spec.sortDirsSeparately) return all;
  return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
