import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Knex } from 'knex';
import { errorMessage, UsageError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { importUserModule, moduleExports } from '../util/load-module.js';
import { readUserFolder } from '../util/read-folder.js';

export interface HookContext {
  tenant: Pick<Tenant, 'id' | 'dialect' | 'schema' | 'tags' | 'database'>;
  runId: string;
}

/** SQL a hook runs, or a function of (knex, context). */
export type HookDefinition = string | string[] | ((knex: Knex, context: HookContext) => Promise<void> | void);

/** A smoke check: SQL whose first row's first column must be truthy, or a function returning truthy. */
export interface CheckDefinition {
  name: string;
  sql?: string;
  run?: (knex: Knex, context: HookContext) => Promise<unknown> | unknown;
}

/** `true`, 1, 't', 'yes'… are passes; no row, null, 0, false, '0', 'f', 'false' are failures. */
export function isTruthy(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string')
    return !['', '0', 'f', 'false', 'no', 'n'].includes(value.trim().toLowerCase());
  if (typeof value === 'bigint') return value !== 0n;
  return Boolean(value);
}

function validateCheck(raw: unknown, where: string): CheckDefinition {
  const c = raw as Partial<CheckDefinition> | null;
  if (!c || typeof c !== 'object' || typeof c.name !== 'string' || c.name === '')
    throw new UsageError(`${where}: a check needs a name`);
  if ((typeof c.sql === 'string') === (typeof c.run === 'function'))
    throw new UsageError(`${where}: check ${c.name} needs exactly one of sql or run`);
  return c as CheckDefinition;
}

/**
 * Loads smoke checks once per run: from the config (a list) and/or a folder of `.sql` files (one query
 * each, named after the file) and modules (default export: a check, a list of checks, or a function).
 */
export async function loadChecks(fromConfig: unknown, dir: string | undefined): Promise<CheckDefinition[]> {
  const checks: CheckDefinition[] = [];
  if (fromConfig !== undefined) {
    if (!Array.isArray(fromConfig))
      throw new UsageError('config.checks must be a list of { name, sql } or { name, run }');
    for (const [i, c] of fromConfig.entries()) checks.push(validateCheck(c, `config.checks[${i}]`));
  }
  if (dir && existsSync(dir) && statSync(dir).isDirectory()) {
    for (const file of readUserFolder(dir, 'checks').sort()) {
      const path = join(resolve(dir), file);
      const name = basename(file, extname(file));
      if (file.endsWith('.sql')) checks.push({ name, sql: readFileSync(path, 'utf8') });
      else if (/\.(ts|js|mjs|cjs)$/.test(file) && !file.endsWith('.d.ts')) {
        let mod: Record<string, unknown>;
        try {
          mod = await importUserModule(path);
        } catch (err) {
          throw new UsageError(`cannot load check ${path}: ${errorMessage(err)}`);
        }
        const def = mod.default ?? moduleExports(mod);
        const list = Array.isArray(def) ? def : [def];
        for (const [i, c] of list.entries()) {
          const check =
            typeof c === 'function'
              ? { name, run: c as CheckDefinition['run'] }
              : validateCheck(c, `${path}[${i}]`);
          checks.push(check);
        }
      }
    }
  }
  const names = new Set<string>();
  for (const c of checks) {
    if (names.has(c.name)) throw new UsageError(`two smoke checks are named ${c.name}`);
    names.add(c.name);
  }
  return checks;
}

export function validateHook(raw: unknown, name: string): HookDefinition | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' || typeof raw === 'function') return raw as HookDefinition;
  if (Array.isArray(raw) && raw.every((s) => typeof s === 'string')) return raw as string[];
  throw new UsageError(
    `config.hooks.${name} must be SQL, a list of SQL statements, or a function (knex, context)`,
  );
}
