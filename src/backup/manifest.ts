import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Fingerprint } from '../dialect/backup-types.js';
import { atomicWriteFile, MANIFEST_SUFFIX, manifestPathFor, removeStalePartials } from './files.js';

/**
 * The manifest beside each backup (`<backup>.manifest.json`): what the file is, how to check it, and
 * what the database looked like when it was taken. snake_case: it is a file format other tools read.
 * The fingerprint is typed as the dialects' Fingerprint: what a manifest read from disk holds is what a
 * driver returned and what compareFingerprints reads, and the two cannot drift apart.
 */
export const fingerprintSchema: z.ZodType<Fingerprint> = z.object({
  level: z.enum(['schema', 'counts', 'full']),
  schemaHash: z.string(),
  objects: z.record(z.string(), z.string()),
  tables: z.record(
    z.string(),
    z.object({
      schema: z.string(),
      rows: z.number().int().nonnegative().optional(),
      content: z.string().optional(),
    }),
  ),
  /** Absent in manifests written before fingerprint versions: read as 1. */
  version: z.number().int().positive().optional(),
});

const verificationSchema = z.object({
  level: z.enum(['light', 'deep']),
  ok: z.boolean(),
  at: z.string(),
  problems: z.array(z.string()).optional(),
});

export const manifestSchema = z.object({
  format: z.literal('dbfleet-backup'),
  version: z.literal(1),
  tenant: z.string(),
  dialect: z.enum(['postgres', 'sqlite', 'mssql']),
  database: z.string(),
  /** The server's host key (`postgres://db1:5432`, never credentials); absent in older manifests. */
  server: z.string().optional(),
  file: z.string(),
  server_version: z.string(),
  tool: z.string(),
  tool_version: z.string(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  created_at: z.string(),
  duration_ms: z.number().nonnegative(),
  fingerprint: fingerprintSchema,
  /** The last verification of this file (the backup's own, or a later `verify`); null = never verified. */
  verification: verificationSchema.nullable(),
  /**
   * Taken by an upgrade run, before (`pre`) or after (`post`) its migrations; absent for `backup`'s own.
   * Retention keeps a tenant's newest `pre` one: the latest run's rollback restores it.
   */
  upgrade: z.object({ run: z.string(), stage: z.enum(['pre', 'post']) }).optional(),
  /**
   * The database's own settings the archive does not carry, for a restore that creates the database
   * (SQLite: `journal_mode`); absent when there are none, and in older manifests.
   */
  database_settings: z.record(z.string(), z.string()).optional(),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export type Verification = z.infer<typeof verificationSchema>;

export function parseManifest(text: string): BackupManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error('the manifest is not valid JSON');
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `the manifest is invalid: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown problem'}`,
    );
  }
  return parsed.data;
}

export async function writeManifest(path: string, manifest: BackupManifest): Promise<void> {
  await atomicWriteFile(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

export function isVerified(manifest: BackupManifest | undefined): boolean {
  return manifest?.verification?.ok === true;
}

export interface BackupEntry {
  path: string;
  manifestPath: string;
  manifest?: BackupManifest;
  /** Why the manifest could not be used. */
  problem?: string;
}

export async function readEntry(manifestPath: string): Promise<BackupEntry> {
  const path = manifestPath.slice(0, -MANIFEST_SUFFIX.length);
  try {
    const manifest = parseManifest(await readFile(manifestPath, 'utf8'));
    if (manifest.file !== basename(path))
      return {
        path,
        manifestPath,
        problem: `the manifest describes ${manifest.file}, not ${basename(path)}`,
      };
    return { path, manifestPath, manifest };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      path,
      manifestPath,
      problem: code === 'ENOENT' ? 'no manifest beside the backup' : (err as Error).message,
    };
  }
}

/** A tenant's backups, newest first (by the manifest's created_at, then by name). */
export async function listBackups(dir: string): Promise<BackupEntry[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  await removeStalePartials(dir, names);
  const entries = await Promise.all(
    names
      .filter((n) => n.endsWith(MANIFEST_SUFFIX) && !n.startsWith('.'))
      .map((n) => readEntry(join(dir, n))),
  );
  const key = (e: BackupEntry) => `${e.manifest?.created_at ?? ''}\u0000${basename(e.path)}`;
  return entries.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
}

/** `--backup <path>`: the backup file or its manifest. */
export async function entryForPath(path: string): Promise<BackupEntry> {
  const abs = resolve(path);
  const manifestPath = abs.endsWith(MANIFEST_SUFFIX) ? abs : manifestPathFor(abs);
  const entry = await readEntry(manifestPath);
  if (
    !entry.manifest &&
    !(await stat(entry.path).then(
      () => true,
      () => false,
    ))
  ) {
    return { ...entry, problem: `no backup at ${entry.path}` };
  }
  return entry;
}

export function entryDir(entry: BackupEntry): string {
  return dirname(entry.path);
}
