import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage, UsageError } from '../core/errors.js';
import { importUserModule } from '../util/load-module.js';
import { readUserFolder } from '../util/read-folder.js';
import type { LoadedOptimization } from './types.js';
import { type DefinitionSource, validateOptimizations } from './validate.js';

const MODULE = /\.(ts|js|mjs)$/i;

function isOptimizationFile(name: string): boolean {
  return MODULE.test(name) && !name.endsWith('.d.ts') && !name.startsWith('.') && !name.startsWith('_');
}

/**
 * Loads every optimization module of a directory once for the whole run (never once per tenant), in
 * file-name order — which is the order they run in, so `010-indexes.ts` comes before `090-analyze.ts`.
 * A module default-exports one definition or an array. Every problem of every file is reported at once,
 * before anything runs. Files starting with `_` are helpers, not optimizations.
 */
export async function loadOptimizations(directory: string): Promise<LoadedOptimization[]> {
  const dir = resolve(directory);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`optimizations directory ${dir} does not exist or is not a directory`);
  }
  const problems: string[] = [];
  const sources: DefinitionSource[] = [];
  for (const name of readUserFolder(dir, 'optimizations').filter(isOptimizationFile).sort()) {
    let exported: unknown;
    try {
      exported = (await importUserModule(join(dir, name))).default;
    } catch (err) {
      problems.push(`${name}: cannot be loaded: ${errorMessage(err)}`);
      continue;
    }
    if (exported === undefined) {
      problems.push(`${name}: has no default export (export default { kind, name, … } or an array of them)`);
      continue;
    }
    const values = Array.isArray(exported) ? exported : [exported];
    if (values.length === 0) problems.push(`${name}: exports an empty array`);
    for (const value of values) sources.push({ value, file: name });
  }
  let loaded: LoadedOptimization[] = [];
  try {
    loaded = validateOptimizations(sources);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length) throw new UsageError(`invalid optimizations in ${dir}:`, problems);
  return loaded;
}
