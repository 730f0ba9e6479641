import { quoteIdent, quoteString } from '../quote.js';

/** Server facts dbfleet branches on: version, edition (ONLINE index builds, backup compression), default paths. */
export const SERVER_INFO_SQL = [
  'SELECT',
  "  CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,",
  "  CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,",
  "  CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,",
  "  CAST(SERVERPROPERTY('InstanceDefaultDataPath') AS nvarchar(4000)) AS default_data_path,",
  "  CAST(SERVERPROPERTY('InstanceDefaultLogPath') AS nvarchar(4000)) AS default_log_path,",
  "  CAST(SERVERPROPERTY('InstanceDefaultBackupPath') AS nvarchar(4000)) AS default_backup_path;",
].join('\n');

export const PRODUCT_VERSION_SQL =
  "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version;";

export interface ServerInfo {
  productVersion: string;
  edition: string;
  /** SERVERPROPERTY('EngineEdition'): 2 Standard, 3 Enterprise/Developer, 4 Express, 5 Azure SQL DB, 8 Managed Instance… */
  engineEdition: number;
  defaultDataPath?: string;
  defaultLogPath?: string;
  /** NULL before SQL Server 2019. */
  defaultBackupPath?: string;
}

const optional = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

export function readServerInfo(row: Record<string, unknown> | undefined): ServerInfo {
  if (!row) throw new Error('SERVERPROPERTY returned no row');
  return {
    productVersion: String(row.product_version ?? ''),
    edition: String(row.edition ?? ''),
    engineEdition: Number(row.engine_edition),
    defaultDataPath: optional(row.default_data_path),
    defaultLogPath: optional(row.default_log_path),
    defaultBackupPath: optional(row.default_backup_path),
  };
}

/** One row, `found`: 1 when the schema exists, else 0. */
export function schemaExistsSql(schema: string): string {
  return `SELECT CASE WHEN SCHEMA_ID(${quoteString(schema)}) IS NULL THEN 0 ELSE 1 END AS found;`;
}

/**
 * Creates a schema tenant's schema when missing. CREATE SCHEMA must be alone in its batch, hence EXEC; the
 * name is quoted as an identifier inside a quoted string.
 */
export function ensureSchemaSql(schema: string): string {
  return `IF SCHEMA_ID(${quoteString(schema)}) IS NULL EXEC(${quoteString(`CREATE SCHEMA ${quoteIdent(schema)}`)});`;
}
