import type { Knex } from 'knex';
import { errorMessage, TenantError } from '../../core/errors.js';

/** An extension installed in a schema tenant's own schema, at the version the tenant's database has. */
export interface OwnExtension {
  name: string;
  version: string;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The extensions living in `schema` on the tenant's database (catalog read only). */
export async function ownSchemaExtensions(knex: Knex, schema: string): Promise<OwnExtension[]> {
  const res = await knex.raw(
    `select e.extname as name, e.extversion as version from pg_extension e
     join pg_namespace n on n.oid = e.extnamespace where n.nspname = ? order by e.extname`,
    [schema],
  );
  return res.rows as OwnExtension[];
}

/**
 * `pg_dump --schema` leaves a schema's extensions out of the archive (they are not the schema's to dump),
 * yet the tenant's tables use them (a citext column). The scratch database gets the schema and the same
 * extensions at the same versions first; the archive is then restored without its own SCHEMA entry (see
 * listWithoutSchemaEntry), as a real restore into the tenant's database keeps the schema.
 */
export async function createOwnExtensions(
  scratch: Knex,
  schema: string,
  extensions: readonly OwnExtension[],
  scratchName: string,
): Promise<void> {
  try {
    await scratch.raw(`create schema ${q(schema)}`);
    for (const e of extensions)
      await scratch.raw(
        `create extension ${q(e.name)} with schema ${q(schema)} version ${lit(e.version)} cascade`,
      );
  } catch (err) {
    throw new TenantError(
      'SCRATCH_FAILED',
      `creating extension${extensions.length === 1 ? '' : 's'} ${extensions.map((e) => e.name).join(', ')} of schema ${schema} in scratch database ${scratchName}: ${errorMessage(err)}`,
    );
  }
}
