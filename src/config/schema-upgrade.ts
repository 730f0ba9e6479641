// The upgrade's own config keys: hooks around each tenant, smoke checks, the load throttle. Their
// runtime shapes are the upgrade's (HookDefinition, CheckDefinition, ThrottleConfig); here they are
// checked once, at load, so a mistake is exit 2 naming the key before any tenant is touched.
import type { Knex } from 'knex';
import { z } from 'zod';
import type { HookContext } from '../upgrade/checks.js';
import { nonEmpty } from './schema-knex.js';

const isFunction = (value: unknown) => typeof value === 'function';

export const duration = z.union(
  [
    z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|min|h)?\s*$/i, 'a duration like 5s or 500ms'),
    z.number().nonnegative(),
  ],
  { error: 'must be a duration like 5s or 500ms, or milliseconds' },
);

/** A hook function: runs on the tenant's knex, in the upgrade's session. */
export type HookFunction = (knex: Knex, context: HookContext) => Promise<void> | void;

const hook = z.union([z.string(), z.array(z.string()).readonly(), z.custom<HookFunction>(isFunction)], {
  error: 'must be SQL, a list of SQL statements, or a function (knex, context)',
});

export const hooksObject = z.strictObject({
  /** Runs before the pre-upgrade backup (e.g. close the maintenance window). */
  beforeTenant: hook.optional(),
  /** Runs once every step and smoke check passed (a failed tenant never gets it). */
  afterTenant: hook.optional(),
});

/** A smoke check function: truthy is a pass. */
export type CheckFunction = (knex: Knex, context: HookContext) => Promise<unknown> | unknown;

const check = z
  .strictObject({
    name: z.string({ error: 'a check needs a name' }).trim().min(1, 'a check needs a name'),
    /** SQL whose first row's first column must be truthy. */
    sql: z.string().optional(),
    run: z.custom<CheckFunction>(isFunction, { error: 'must be a function (knex, context)' }).optional(),
  })
  .refine((c) => (c.sql === undefined) !== (c.run === undefined), {
    error: 'a check needs exactly one of sql or run',
  });

export const checksSetting = z.union([nonEmpty, z.array(check).readonly()], {
  error: 'must be a folder path or a list of { name, sql } / { name, run }',
});

export const throttleObject = z.strictObject({
  /** Run on each host before a tenant starts there; must return one number. */
  query: nonEmpty,
  /** Hold the host's tenants while the query returns more than this. */
  max: z.number(),
  /** How often a held host is probed again (default 5s). */
  interval: duration.optional(),
  /** How long a probe's result is reused (default: `interval`). */
  cacheFor: duration.optional(),
});
