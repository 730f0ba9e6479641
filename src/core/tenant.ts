/** The three database engines dbfleet drives. */
export type DialectName = 'postgres' | 'sqlite' | 'mssql';
export const DIALECTS: readonly DialectName[] = ['postgres', 'sqlite', 'mssql'];

/** A knex-style connection object; strings from the inventory are parsed into this by the dialect. */
export interface ConnectionObject {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  filename?: string;
  [option: string]: unknown;
}

/**
 * One customer database (or one schema in a shared database).
 * `host` is derived: the server the tenant lives on, so per-host caps can be applied.
 */
export interface Tenant {
  id: string;
  dialect: DialectName;
  connection: ConnectionObject;
  schema?: string;
  host: string;
  database: string;
  tags: string[];
}

/** What an inventory entry looks like before validation (the inventory file format). */
export interface TenantInput {
  id: string;
  dialect: DialectName;
  connection: string | ConnectionObject;
  schema?: string;
  tags?: string[];
}
