import { z } from 'zod';

const duration = z.union([
  z.string().regex(/^\s*\d+(\.\d+)?\s*(ms|s|m|min|h)?\s*$/i, 'a duration like 5s or 500ms'),
  z.number().nonnegative(),
]);
const dirOption = z.union([z.string(), z.object({ directory: z.string().optional() }).passthrough()]);
const nonEmpty = z.string().trim().min(1, 'must not be empty');

const migrationsObject = z
  .object({
    directory: z.union([nonEmpty, z.array(nonEmpty).min(1, 'must name at least one folder')]).optional(),
    loadExtensions: z
      .array(z.string().regex(/^\.[^./\\]+$/, 'an extension with its dot, like ".js"'))
      .optional(),
    sortDirsSeparately: z.boolean().optional(),
    tableName: nonEmpty.optional(),
    schemaName: nonEmpty.optional(),
    disableMigrationsListValidation: z.boolean().optional(),
    allowOutOfOrder: z.boolean().optional(),
  })
  // Key names are checked before (with suggestions); knex's make-only keys pass through.
  .passthrough();

/** Shape checks for the values dbfleet reads; key names are checked by keyProblems. */
export const configSchema = z
  .object({
    inventory: z.unknown().optional(),
    migrations: z.union([z.string(), migrationsObject]).optional(),
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
    client: z.string({ error: 'must be a knex client name, like "pg"' }).optional(),
    connection: z
      .union(
        [
          z.string(),
          z.object({}).passthrough(),
          z.custom<() => unknown>((value) => typeof value === 'function'),
        ],
        {
          error: 'must be a URL, a connection object or a function returning one',
        },
      )
      .optional(),
  })
  .passthrough();
