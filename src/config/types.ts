// The configuration's types come from its schema (schema.ts), so what the editor accepts and what the
// loader accepts cannot drift apart. Type-only imports: a knexfile that imports defineConfig loads no zod.
import type { z } from 'zod';
import type { configSchema } from './schema.js';
import type { migrationsObject } from './schema-knex.js';

export type { KnexConnection } from './schema-knex.js';
export type { CheckFunction, HookFunction } from './schema-upgrade.js';

/**
 * The fleet configuration a `knexfile.ts` (or `.js`, `.mjs`, `.json`) exports as its default export —
 * dbfleet's keys, knex's keys, or both in one file; or knex's environment-keyed form
 * (`{ development: {…}, production: {…} }`). Relative paths resolve against the file's folder.
 * Durations take `5s`, `500ms`, `2m`. Any other key is refused with a suggestion.
 */
export type FleetConfig = z.input<typeof configSchema>;

/** A configuration as the loader returns it: checked against the schema. */
export type ValidConfig = z.output<typeof configSchema>;

/** knex's `migrations` block (the keys dbfleet reads) plus dbfleet's own. */
export type MigrationsConfig = z.input<typeof migrationsObject>;

/**
 * Typed identity helper for config modules: `export default defineConfig({ … })`. The parameter has no
 * index signature, so a misspelt key (`concurency`) or a wrong shape is a type error in the editor.
 */
export function defineConfig(config: FleetConfig): FleetConfig {
  return config;
}
