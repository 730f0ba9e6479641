import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorMessage, UsageError } from '../core/errors.js';
import type { TenantDefaults } from '../inventory/load.js';
import { parseJsonText } from '../util/json-syntax.js';
import { importUserModule, moduleExports } from '../util/load-module.js';
import { isPlainObject, selectEnvironment } from './environment.js';
import { problemsOf } from './issues.js';
import { configSchema } from './schema.js';
import { tenantDefaultsOf } from './tenant-defaults.js';
import type { ValidConfig } from './types.js';

export const DEFAULT_CONFIG_FILES = ['knexfile.ts', 'knexfile.js', 'knexfile.mjs', 'knexfile.json'];

export interface LoadedConfig {
  config: ValidConfig;
  /** Folder that relative paths in the config resolve against. */
  baseDir: string;
  /** The file it came from, or undefined when none exists and defaults apply. */
  file?: string;
  /** The environment section used, when the file is environment-keyed like a knexfile. */
  environment?: string;
  /** The knexfile's `client` / `connection`, for inventory entries that leave theirs out. */
  tenantDefaults?: TenantDefaults;
}

export interface LoadConfigOptions {
  /** knex's `--env`: which section of an environment-keyed file (default NODE_ENV, then `development`). */
  env?: string;
}

/**
 * Validates a configuration object: picks the environment of an environment-keyed file, refuses
 * unknown keys (with a suggestion) and malformed values, every problem at once.
 */
export function validateConfig(raw: unknown, source: string, options: LoadConfigOptions = {}): ValidConfig {
  return validateSelected(raw, source, options).config;
}

function validateSelected(
  raw: unknown,
  source: string,
  options: LoadConfigOptions,
): { config: ValidConfig; environment?: string } {
  if (!isPlainObject(raw)) {
    throw new UsageError(
      `${source}: the configuration must be an object (export default defineConfig({ … }) or module.exports = { … })`,
    );
  }
  const { config, environment } = selectEnvironment(raw, source, options.env);
  const result = configSchema.safeParse(config);
  if (!result.success) {
    throw new UsageError(`${source}: invalid configuration:`, problemsOf(configSchema, result.error.issues));
  }
  return { config: result.data, ...(environment ? { environment } : {}) };
}

/** What the module exports: `export default`, `module.exports`, or a function returning either. */
async function readConfigModule(file: string): Promise<unknown> {
  if (file.endsWith('.json')) return parseJsonText(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  const exported = moduleExports(await importUserModule(file));
  return typeof exported.default === 'function' ? await (exported.default as () => unknown)() : exported;
}

/**
 * Loads the configuration module. With no `--config`, the first of knexfile.ts/.js/.mjs/.json in the
 * working directory is used; if there is none, an empty configuration (everything from the command line).
 * A file that exists but cannot be loaded is an error (exit 2), never silently skipped.
 */
export async function loadConfig(
  path?: string,
  cwd = process.cwd(),
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
  let file: string | undefined;
  if (path) {
    file = resolve(cwd, path);
    if (!existsSync(file)) throw new UsageError(`configuration file ${file} does not exist`);
  } else {
    file = DEFAULT_CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f));
    if (!file) return { config: {}, baseDir: cwd };
  }
  let raw: unknown;
  try {
    raw = await readConfigModule(file);
  } catch (err) {
    throw new UsageError(`cannot load the configuration ${file}: ${errorMessage(err)}`);
  }
  const baseDir = dirname(file);
  const { config, environment } = validateSelected(raw, file, options);
  const tenantDefaults = await tenantDefaultsOf(config, baseDir, file);
  return {
    config,
    baseDir,
    file,
    ...(environment ? { environment } : {}),
    ...(tenantDefaults ? { tenantDefaults } : {}),
  };
}
