import { stat } from 'node:fs/promises';
import { manifestPathFor } from './files.js';
import { readEntry } from './manifest.js';

/** What is missing of a backup (its file, its manifest, or both), or why its manifest cannot be read. */
export type BackupAbsence =
  | { gone: 'file' | 'manifest' | 'file and manifest'; manifestPath: string }
  | { invalid: string; manifestPath: string };

const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * Whether a backup is there to be restored: its file and its manifest exist and the manifest reads.
 * Presence only — no size, checksum or archive check (a restore light-verifies before it changes
 * anything): it is asked of every tenant before a rollback starts, so it must be cheap.
 */
export async function backupAbsence(path: string): Promise<BackupAbsence | undefined> {
  const manifestPath = manifestPathFor(path);
  const [file, manifest] = await Promise.all([isFile(path), isFile(manifestPath)]);
  if (!file || !manifest)
    return { gone: !file && !manifest ? 'file and manifest' : !file ? 'file' : 'manifest', manifestPath };
  const entry = await readEntry(manifestPath);
  return entry.manifest ? undefined : { invalid: entry.problem ?? 'unreadable', manifestPath };
}
