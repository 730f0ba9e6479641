import { isAbsolute, normalize, resolve } from 'node:path';
import type { ConnectionObject } from '../../core/tenant.js';
import type { ParsedConnection } from '../types.js';

/** A SQLite tenant is a file: a path string, or `{ filename }`. Relative paths resolve against `baseDir`. */
export function parseSqliteConnection(
  input: string | ConnectionObject,
  baseDir = process.cwd(),
): ParsedConnection {
  const filename = typeof input === 'string' ? input : input.filename;
  if (typeof filename !== 'string' || filename.trim() === '') {
    throw new Error('a SQLite connection needs a file path (a string or { filename })');
  }
  if (filename === ':memory:') throw new Error(':memory: databases cannot be part of a fleet');
  const bare = filename.replace(/^sqlite:(\/\/)?/i, '');
  // An absolute, already normal path is kept as given: resolve() would rebuild it as a chain of
  // concatenated pieces, which every tenant of a 10,000-file fleet then holds for the whole run.
  const path =
    isAbsolute(bare) && !bare.endsWith('/') && normalize(bare) === bare ? bare : resolve(baseDir, bare);
  const connection: ConnectionObject =
    typeof input === 'string' ? { filename: path } : { ...input, filename: path };
  return { connection, host: 'sqlite://localhost', database: path };
}
