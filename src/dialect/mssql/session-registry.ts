import type { Knex } from 'knex';
import type { Tenant } from '../../core/tenant.js';
import { mssqlClient, queryBatch } from './raw-connection.js';
import { readServerInfo, SERVER_INFO_SQL, type ServerInfo } from './sql/catalog.js';

/**
 * What the backup and optimizer drivers need to know about a session they only receive as a knex
 * instance (or a transaction on it): its tenant (SQL Server has no search_path, so the schema of a
 * schema tenant comes from here), whether it holds the migration lock, and the server's edition.
 * Keyed by the session's knex configuration object, which knex hands on to each transaction's client.
 */
export interface SessionFacts {
  tenant: Tenant;
  holdsLock(): boolean;
  serverInfo?: ServerInfo;
}

const facts = new WeakMap<object, SessionFacts>();

export function registerSession(knex: Knex, entry: SessionFacts): void {
  facts.set(mssqlClient(knex).config, entry);
}

export function sessionFacts(db: Knex | Knex.Transaction): SessionFacts | undefined {
  return facts.get(mssqlClient(db).config);
}

/** The tenant's schema when the session is a schema tenant's. */
export function tenantSchema(db: Knex | Knex.Transaction): string | undefined {
  return sessionFacts(db)?.tenant.schema;
}

/** Version, edition and default paths of the session's server, read once per session. */
export async function serverInfoOf(db: Knex | Knex.Transaction): Promise<ServerInfo> {
  const entry = sessionFacts(db);
  if (entry?.serverInfo) return entry.serverInfo;
  const info = readServerInfo((await queryBatch(db, SERVER_INFO_SQL)).rows[0]);
  if (entry) entry.serverInfo = info;
  return info;
}
