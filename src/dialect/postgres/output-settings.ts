import type { Knex } from 'knex';

/**
 * The settings that change how values and deparsed expressions are printed: a timestamptz in the
 * session's time zone, a date in its DateStyle (also inside a partition bound or a default), an interval,
 * a float, a bytea, money. A fingerprint hashes that text (a row's `r::text`, pg_get_expr's output), so
 * two reads of the same data agree only under the same settings.
 */
export const OUTPUT_SETTINGS = [
  'TimeZone',
  'DateStyle',
  'IntervalStyle',
  'extra_float_digits',
  'bytea_output',
  'xmloption',
  'lc_monetary',
] as const;

export type OutputSettings = Record<string, string>;

/** The session's current values (database- and role-level settings included). */
export async function readOutputSettings(knex: Knex): Promise<OutputSettings> {
  const res = await knex.raw(
    `select ${OUTPUT_SETTINGS.map((name, i) => `pg_catalog.current_setting('${name}') as s${i}`).join(', ')}`,
  );
  const row = res.rows[0] as Record<string, string>;
  return Object.fromEntries(OUTPUT_SETTINGS.map((name, i) => [name, String(row[`s${i}`])]));
}

/** `select set_config(…, true), …`: applies `settings` to the open transaction only. */
export function setLocalSql(settings: OutputSettings): string {
  const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
  const calls = Object.entries(settings).map(
    ([name, value]) => `pg_catalog.set_config(${lit(name)}, ${lit(value)}, true)`,
  );
  return `select ${calls.join(', ')}`;
}
