import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { errorMessage, UsageError } from '../util/errors.js';
import { importUserModule, moduleExports } from '../util/load-module.js';
import type { FleetConfig } from './types.js';

export const DEFAULT_CONFIG_FILES = ['knexfile.ts', 'knexfile.js', 'knexfile.mjs', 'knexfile.json'];

export interface LoadedConfig {
  config: FleetConfig;
  /** Folder that relative paths in the config resolve against. */
  baseDir: string;
  /** The file it came from, or undefined when none exists and defaults apply. */
  file?: string;
}

const duration = z.union([
  z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|min|h)?\s*$/i, 'a duration like 5s or 500ms'),
  z.number().nonnegative(),
]);
const dirOption = z.union([z.string(), z.object({ directory: z.string().optional() }).passthrough()]);

/** Shape checks for the fields dbfleet reads; unknown keys pass through (knex's own, later features'). */
const configSchema = z
  .object({
    inventory: z.unknown().optional(),
    migrations: z
      .union([
        z.string(),
        z.object({ directory: z.string().optional(), allowOutOfOrder: z.boolean().optional() }).passthrough(),
      ])
      .optional(),
    optimizations: dirOption.optional(),
    backups: z
      .union([
        z.string(),
        z
          .object({ directory: z.string().optional(), keep: z.number().int().positive().optional() })
          .passthrough(),
      ])
      .optional(),
    journal: z.string().optional(),
    concurrency: z.number().int().positive().optional(),
    perHost: z.number().int().positive().optional(),
    timeouts: z
      .object({
        lock: duration.optional(),
        statement: duration.optional(),
        lockWait: duration.optional(),
        request: duration.optional(),
      })
      .strict()
      .optional(),
  })
  .passthrough();

export function validateConfig(raw: unknown, source: string): FleetConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data as FleetConfig;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
  );
  throw new UsageError(`${source}: invalid configuration:`, problems);
}

/**
 * Loads the configuration module. With no `--config`, the first of knexfile.ts/.js/.mjs/.json in the
 * working directory is used; if there is none, an empty configuration (everything from the command line).
 */
export async function loadConfig(path?: string, cwd = process.cwd()): Promise<LoadedConfig> {
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
    if (file.endsWith('.json')) raw = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
    else {
      const mod = await importUserModule(file);
      raw = typeof mod.default === 'function' ? await (mod.default as () => unknown)() : moduleExports(mod);
    }
  } catch (err) {
    throw new UsageError(`cannot load the configuration ${file}: ${errorMessage(err)}`);
  }
  return { config: validateConfig(raw, file), baseDir: dirname(file), file };
}
