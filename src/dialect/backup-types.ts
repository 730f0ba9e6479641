import type { Tenant } from '../core/tenant.js';
import type { SessionOptions, TenantSession } from './session-types.js';

/**
 * How much a fingerprint reads (see docs in src/backup/README.md for what each costs on a large tenant):
 * - `schema`: catalog queries only — milliseconds whatever the data size.
 * - `counts` (default): `schema` + an exact row count per table — one scan per table, no hashing.
 * - `full`: `schema` + counts + an order-independent hash of every row — reads and hashes all data.
 */
export type FingerprintLevel = 'schema' | 'counts' | 'full';
export const FINGERPRINT_LEVELS: readonly FingerprintLevel[] = ['schema', 'counts', 'full'];

export interface TableFingerprint {
  /** Hash of the table's columns (name, type, nullability, default), indexes and constraints. */
  schema: string;
  /** Exact row count (levels `counts` and `full`). */
  rows?: number;
  /** Order-independent hash of every row (level `full`). */
  content?: string;
}

/**
 * What a database looked like: compared between a source at backup time and the same backup restored.
 * Keys of `tables` are `schema.table` (PostgreSQL) or the table name (SQLite); `objects` holds the other
 * structure the dialect can see (user-defined types, views), name → hash.
 */
export interface Fingerprint {
  level: FingerprintLevel;
  /** One hash over all of `tables[*].schema` and `objects`: equal means the same structure. */
  schemaHash: string;
  objects: Record<string, string>;
  tables: Record<string, TableFingerprint>;
  /**
   * How the dialect made the table hashes; absent: 1 (every fingerprint written before there were
   * versions). PostgreSQL 2 knows a constraint PostgreSQL derived itself by its top-level parent's name
   * (see postgres/constraint-identity.ts). A fingerprint is compared only with one of its own version:
   * the dialect is asked for that (`fingerprint(level, version)`).
   */
  version?: number;
}

export interface ToolOptions {
  /** Paths of external programs by name (`pg_dump`, `pg_restore`); default: the name, found on PATH. */
  bin?: Partial<Record<string, string>>;
}

/** Everything a driver may use for one tenant. The session is opened lazily: file dialects may not need it. */
export interface BackupContext {
  tenant: Tenant;
  session(): Promise<TenantSession>;
  /** Closes the session early (its connection is not needed while a tool works); `session()` reopens. */
  releaseSession(): Promise<void>;
  /**
   * Runs `fn` while the tenant holds a second connection to its host (pg_dump taking over the session's
   * snapshot): the run bounds how many of a host's tenants do so at once, across all its runners.
   */
  secondConnection<T>(fn: () => Promise<T>): Promise<T>;
  sessionOptions: SessionOptions;
  signal: AbortSignal;
  tools: ToolOptions;
  /** A private (0700) directory on the backup volume the driver may use for scratch files. */
  workDir: string;
}

export interface BackupResult {
  serverVersion: string;
  tool: string;
  toolVersion: string;
  /** The fingerprint of exactly the data the backup holds (same snapshot). */
  fingerprint: Fingerprint;
  /**
   * Settings of the database itself that its archive does not carry, which a restore that must create the
   * database gives back (SQLite: `journal_mode: 'wal'` — the archive is switched to a rollback journal).
   */
  databaseSettings?: Record<string, string>;
}

/** What the driver needs to know about an archive it reads back (from its manifest). */
export interface ArchiveInfo {
  fingerprint: Fingerprint;
  tool: string;
  toolVersion: string;
  serverVersion: string;
  /** What the backup recorded of the database's own settings (BackupResult.databaseSettings). */
  databaseSettings?: Record<string, string>;
}

export interface ArchiveInspection {
  /** Why the archive is not readable; empty when it is. */
  problems: string[];
  /** Tables of the expected fingerprint the archive does not hold. */
  missingTables: string[];
}

/** A throwaway restore target (a scratch database, a temporary file). `drop` is safe to call always. */
export interface Scratch {
  readonly name: string;
  /** What `restore` did besides restoring the archive (set by it), for the restore check's detail. */
  readonly detail?: string;
  restore(path: string, info: ArchiveInfo): Promise<void>;
  /** The dialect's integrity checks on the restored copy; returns the problems found. */
  integrityCheck(): Promise<string[]>;
  /** `version`: that of the fingerprint it is compared with (`fingerprintVersion(expected)`); absent: the newest. */
  fingerprint(level: FingerprintLevel, version?: number): Promise<Fingerprint>;
  drop(): Promise<void>;
}

export interface RestoreOptions {
  /**
   * Tables/views that exist in the tenant now but not in the backup (created after it, e.g. by the
   * migration being rolled back). A restore cannot remove them by itself; without this flag the restore
   * refuses before changing anything.
   */
  dropUnexpected: boolean;
}

/** The dialect-specific half of backup, verify and restore; `src/backup` holds the neutral half. */
export interface BackupDriver {
  /** File extension of a backup, without the dot (`dump`, `sqlite`, `bak`). */
  readonly extension: string;
  /**
   * Writes a consistent backup to `path` (already created, empty, mode 0600) and fingerprints the same
   * snapshot. Must throw (and may leave `path` partial) when the tool fails.
   */
  backup(ctx: BackupContext, path: string, level: FingerprintLevel): Promise<BackupResult>;
  /** Light readability check of an archive, without a server where the dialect allows it. */
  inspect(ctx: BackupContext, path: string, info: ArchiveInfo): Promise<ArchiveInspection>;
  /** Creates an empty scratch target, owned by this process until `drop` (or until the process dies). */
  createScratch(ctx: BackupContext): Promise<Scratch>;
  /** Drops this tenant's scratch targets whose owner is gone (a killed run); returns their names. */
  sweepScratch(ctx: BackupContext): Promise<string[]>;
  /**
   * File dialects: when the tenant's database does not exist (its file deleted or moved away), writes the
   * archive to its place as a new file — whole, or nothing — and returns true. False when it exists: the
   * caller then restores into it with `restore`, under the tenant's lock (a missing file cannot be opened,
   * so neither locked). Server dialects leave it out: a missing database is not theirs to create.
   */
  recreate?(ctx: BackupContext, path: string, info: ArchiveInfo): Promise<boolean>;
  /** File dialects: the tenant's database is not there (its file deleted or moved away). */
  databaseGone?(tenant: Tenant): boolean;
  /** Restores the archive into the tenant's own database. */
  restore(ctx: BackupContext, path: string, info: ArchiveInfo, options: RestoreOptions): Promise<void>;
  /**
   * Fingerprints the tenant's live database (after a restore). `version`: that of the fingerprint it is
   * compared with (`fingerprintVersion(expected)`); absent: the newest.
   */
  fingerprint(
    ctx: BackupContext,
    level: FingerprintLevel,
    version?: number,
    options?: FingerprintOptions,
  ): Promise<Fingerprint>;
}

export interface FingerprintOptions {
  /**
   * Index names (in the tenant's schema) hashed as if they were not there: a rollback by down migrations
   * asks whether the only difference from the pre-upgrade backup is the indexes the run's optimizations
   * built (the downs do not undo optimizations).
   */
  withoutIndexes?: readonly string[];
}
