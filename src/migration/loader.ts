import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { errorMessage, UsageError } from '../core/errors.js';
import { parseDuration } from '../util/duration.js';
import { commonJsExports, importUserModule, isCommonJs } from '../util/load-module.js';
import { readUserFolder } from '../util/read-folder.js';
import { migrationChecksum } from './checksum.js';
import { downSqlFileFor, isDownSqlFile, parseSqlSettings } from './sql-file.js';
import type { Migration, MigrationConfig } from './types.js';

/**
 * knex 3.3's default `loadExtensions` (knex/lib/migrations/common/MigrationsLoader.js): no `.mjs`, `.mts`
 * or `.cts` — knex's CLI would not see such a file, so dbfleet does not either unless the knexfile lists it.
 */
const KNEX_DEFAULT_EXTENSIONS: readonly string[] = [
  '.co',
  '.coffee',
  '.eg',
  '.iced',
  '.js',
  '.cjs',
  '.litcoffee',
  '.ls',
  '.ts',
];

/** knex compares `path.extname` with the list exactly (`X.JS` is not `.js`); `.sql` files are dbfleet's own. */
function isMigrationFile(name: string, extensions: readonly string[]): boolean {
  if (name.endsWith('.d.ts') || name.startsWith('.')) return false;
  if (name.endsWith('.sql')) return !isDownSqlFile(name);
  return extensions.includes(extname(name));
}

function moduleConfig(raw: unknown, file: string): MigrationConfig {
  const config: MigrationConfig = { transaction: true };
  if (raw === undefined) return config;
  if (typeof raw !== 'object' || raw === null) throw new Error(`${file}: config must be an object`);
  const c = raw as Record<string, unknown>;
  if (c.transaction !== undefined) config.transaction = c.transaction !== false;
  if (c.lockTimeout !== undefined) config.lockTimeoutMs = parseDuration(c.lockTimeout as string | number);
  if (c.statementTimeout !== undefined)
    config.statementTimeoutMs = parseDuration(c.statementTimeout as string | number);
  if (c.allow !== undefined) config.allow = allowOf(c.allow, file);
  return config;
}

/** `config.allow`: rule id → reason. Which ids exist is lint's to check; here only the shape. */
function allowOf(raw: unknown, file: string): Record<string, string> {
  const shapeError = new Error(
    `${file}: config.allow must map lint rule ids to reasons, e.g. { 'drop-or-rename': 'the app stopped using it in 4.2' }`,
  );
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw shapeError;
  const allow: Record<string, string> = {};
  for (const [rule, reason] of Object.entries(raw)) {
    if (typeof reason !== 'string') throw shapeError;
    allow[rule] = reason;
  }
  return allow;
}

/**
 * A module that does not load (it requires a helper deleted since it was applied, say): knex loads only
 * the files it is about to run, so such a file stops knex only when it is pending or rolled back. It
 * loads marked invalid with the load error (the planner refuses it when pending); running it — a
 * rollback — fails with that error. Its checksum is still its text's.
 */
function unloadableMigration(name: string, file: string, source: string, err: unknown): Migration {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return {
    name,
    file,
    kind: 'module',
    checksum: migrationChecksum(source),
    config: { transaction: true },
    invalid: `cannot be loaded: ${errorMessage(err)}`,
    up: fail,
    down: fail,
  };
}

async function loadModuleMigration(name: string, file: string): Promise<Migration> {
  const source = readFileSync(file, 'utf8');
  let mod: Record<string, unknown>;
  try {
    mod = await migrationExports(file);
  } catch (err) {
    return unloadableMigration(name, file, source, err);
  }
  const up = mod.up;
  const down = mod.down;
  const valid = typeof up === 'function' && typeof down === 'function';
  return {
    name,
    file,
    kind: 'module',
    checksum: migrationChecksum(source),
    config: moduleConfig(mod.config, file),
    // knex's own words; it refuses such a file when it would run it (planner.ts), not when it is applied.
    ...(valid ? {} : { invalid: 'must have both an up and down function' }),
    up: async (knex) => {
      if (typeof up !== 'function') throw new Error(`${file}: exports no up(knex) function`);
      await up(knex);
    },
    ...(typeof down === 'function'
      ? { down: async (knex) => void (await (down as (k: unknown) => unknown)(knex)) }
      : {}),
  };
}

/**
 * What knex finds in a migration module: `module.exports` of a CommonJS file (a TypeScript one compiled
 * to CommonJS too), the module namespace of an ES module — in neither does knex look into an
 * `export default { up, down }`.
 */
function migrationExports(file: string): Promise<Record<string, unknown>> {
  return isCommonJs(file) ? commonJsExports(file) : importUserModule(file);
}

function loadSqlMigration(name: string, file: string): Migration {
  // A UTF-8 BOM is not SQL (the server rejects it); the checksum ignores it already.
  const upSql = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const downFile = downSqlFileFor(file);
  const downSql = existsSync(downFile) ? readFileSync(downFile, 'utf8').replace(/^\uFEFF/, '') : undefined;
  return {
    name,
    file,
    kind: 'sql',
    checksum: migrationChecksum(upSql),
    config: parseSqlSettings(upSql, file),
    sql: { up: upSql, ...(downSql !== undefined ? { down: downSql } : {}) },
    up: (knex, ctx) => ctx.runScript(upSql, knex),
    ...(downSql !== undefined ? { down: (knex, ctx) => ctx.runScript(downSql, knex) } : {}),
  };
}

/**
 * Loads every migration of a directory once for the whole run (never once per tenant), sorted by file
 * name as knex sorts them. Every broken file is reported at once.
 */
export async function loadMigrations(
  directory: string,
  options: { loadExtensions?: readonly string[] } = {},
): Promise<Migration[]> {
  const dir = resolve(directory);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`migrations directory ${dir} does not exist or is not a directory`);
  }
  // knex's `loadExtensions` picks the module files (e.g. only the compiled `.js` beside `.ts` sources).
  const extensions = options.loadExtensions ?? KNEX_DEFAULT_EXTENSIONS;
  const names = readUserFolder(dir, 'migrations')
    .filter((name) => isMigrationFile(name, extensions))
    .sort();
  const problems: string[] = [];
  const migrations: Migration[] = [];
  const seen = new Map<string, string>();
  for (const name of names) {
    const stem = name.replace(/\.[^.]+$/, '');
    const twin = seen.get(stem);
    if (twin) problems.push(`${name} and ${twin} are the same migration in two formats`);
    seen.set(stem, name);
    const file = join(dir, name);
    try {
      migrations.push(
        name.endsWith('.sql') ? loadSqlMigration(name, file) : await loadModuleMigration(name, file),
      );
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (problems.length) throw new UsageError(`cannot load the migrations in ${dir}:`, problems);
  return migrations;
}
