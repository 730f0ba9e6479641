import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '../core/errors.js';
import { firstMigrationTemplate, knexfileTemplate, type ModuleFormat, starterTenants } from './templates.js';

export interface InitOptions {
  /** The project folder (default: the current directory). */
  dir?: string;
  /** Which starter inventory to write (default `sqlite`: it runs with nothing else installed). */
  dialect?: 'sqlite' | 'postgres';
}

export interface InitResult {
  /** Paths written, relative to `dir`. */
  written: string[];
  /** Paths that already existed and were left as they were. */
  kept: string[];
  /** Starter files not written, and why (`path: reason`). */
  skipped: string[];
  /** The knexfile dbfleet will read (an existing one wins). */
  config: string;
  /**
   * The kept knexfile names no inventory, so dbfleet would find no tenants in it (read from its text, not
   * run: init executes none of the project's code).
   */
  configLacksInventory: boolean;
  format: ModuleFormat;
}

const KNEXFILES = ['knexfile.ts', 'knexfile.js', 'knexfile.mjs', 'knexfile.cjs', 'knexfile.json'];

/** `"type": "module"` makes `.js` files ES modules; anything else is CommonJS, as Node decides. */
function moduleFormatOf(dir: string): ModuleFormat {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return 'esm';
  try {
    return JSON.parse(readFileSync(pkg, 'utf8')).type === 'module' ? 'esm' : 'cjs';
  } catch (err) {
    throw new UsageError(`cannot read ${pkg}: ${(err as Error).message}`);
  }
}

/**
 * Writes a starter configuration, inventory and first migration into a project. Never overwrites: a file
 * that exists is kept and reported, so running it twice, or in a project that already has a knexfile, is
 * safe. SQLite tenant files are created empty because dbfleet does not create a missing tenant file.
 */
export async function initProject(options: InitOptions = {}): Promise<InitResult> {
  const dir = options.dir ?? process.cwd();
  const dialect = options.dialect ?? 'sqlite';
  const format = moduleFormatOf(dir);
  const written: string[] = [];
  const kept: string[] = [];
  const put = async (path: string, content: string | Buffer) => {
    const full = join(dir, path);
    if (existsSync(full)) {
      kept.push(path);
      return;
    }
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, content, { flag: 'wx' });
    written.push(path);
  };

  const existingConfig = KNEXFILES.find((name) => existsSync(join(dir, name)));
  const config = existingConfig ?? 'knexfile.js';
  if (existingConfig) kept.push(existingConfig);
  else await put(config, knexfileTemplate(format));

  const skipped: string[] = [];
  const tenants = starterTenants(dialect);
  // A tenants.json that is already there is a fleet of the project's own (or this starter's, on a second
  // run): the starter's tenant files are not its tenants, and the starter migration would run on it.
  const ownFleet = existsSync(join(dir, 'tenants.json'));
  await put('tenants.json', `${JSON.stringify(tenants, null, 2)}\n`);
  if (dialect === 'sqlite' && !ownFleet) {
    // An empty file is a valid, empty SQLite database.
    for (const t of tenants) await put(t.connection, Buffer.alloc(0));
  }
  const migrationsDir = 'migrations';
  const starterMigration = join(migrationsDir, '20260101000000_create_accounts.js');
  const hasMigrations =
    existsSync(join(dir, migrationsDir)) && readdirSync(join(dir, migrationsDir)).length > 0;
  if (hasMigrations) kept.push(`${migrationsDir}/`);
  else if (ownFleet)
    skipped.push(
      `${starterMigration}: tenants.json exists, and the starter migration would run on that fleet`,
    );
  else await put(starterMigration, firstMigrationTemplate(format));

  const configLacksInventory =
    existingConfig !== undefined && !/\binventory\b/.test(readFileSync(join(dir, existingConfig), 'utf8'));
  return {
    written,
    kept,
    skipped,
    config: relative(dir, join(dir, config)) || config,
    configLacksInventory,
    format,
  };
}
