import { isPlainObject } from './environment.js';
import { CONFIG_KEYS, MIGRATIONS_KEYS, UNSUPPORTED_MIGRATIONS_KEYS } from './keys.js';
import { dialectOfKnexClient } from './knex-client.js';
import { unknownKeyProblem } from './suggest.js';

/**
 * Every key dbfleet would otherwise ignore: unknown keys (typos, with a suggestion), knex migration
 * settings dbfleet does not reproduce, and knex clients it cannot drive. All of them at once.
 */
export function keyProblems(config: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(config)) {
    if (!CONFIG_KEYS.has(key)) problems.push(unknownKeyProblem('', key, CONFIG_KEYS));
  }
  const migrations = config.migrations;
  if (isPlainObject(migrations)) {
    for (const [key, value] of Object.entries(migrations)) {
      const unsupported = UNSUPPORTED_MIGRATIONS_KEYS[key];
      if (unsupported !== undefined) {
        if (value !== undefined && value !== false) problems.push(`migrations.${key}: ${unsupported}`);
      } else if (!(MIGRATIONS_KEYS as readonly string[]).includes(key)) {
        problems.push(unknownKeyProblem('migrations.', key, MIGRATIONS_KEYS));
      }
    }
  }
  if (typeof config.client === 'string' && !dialectOfKnexClient(config.client)) {
    problems.push(
      `client: "${config.client}" is not a database dbfleet drives (pg, better-sqlite3, sqlite3 or mssql)`,
    );
  }
  return problems;
}
