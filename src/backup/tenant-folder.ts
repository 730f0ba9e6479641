import { chmod, stat } from 'node:fs/promises';
import { tenantDir, writeProbe } from './files.js';

const osCause = (err: unknown) => (err as NodeJS.ErrnoException).code ?? String(err);

/**
 * Why a backup of `tenantId` could not be written into its folder under `backupDir` (already checked:
 * see prepareBackupDir), or undefined when it can. Does what the backup does to the folder — made 0700,
 * a file written — so a folder another user owns (a run under sudo made it) or one a file stands in for
 * is found before the tenant is touched. A folder that does not exist yet is not made here: the backup
 * folder it goes in is writable, and the backup makes it.
 */
export async function tenantFolderProblem(backupDir: string, tenantId: string): Promise<string | undefined> {
  const dir = tenantDir(backupDir, tenantId);
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${dir}: ${osCause(err)}`;
  }
  if (!isFolder) return `${dir}: ENOTDIR (a file is where its backup folder goes)`;
  try {
    await chmod(dir, 0o700);
  } catch (err) {
    return `${dir}: cannot be made private (chmod 0700): ${osCause(err)}`;
  }
  try {
    await writeProbe(dir);
  } catch (err) {
    return `${dir}: not writable: ${osCause(err)}`;
  }
  return undefined;
}

/** How many tenant folders are checked at once: a few file-system calls each, on libuv's 4 threads. */
const AT_ONCE = 16;

/** tenantFolderProblem for each tenant, in their order: the problems only. */
export async function tenantFolderProblems(
  backupDir: string,
  tenantIds: readonly string[],
): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < tenantIds.length; i += AT_ONCE) {
    const found = await Promise.all(
      tenantIds.slice(i, i + AT_ONCE).map((id) => tenantFolderProblem(backupDir, id)),
    );
    for (const p of found) if (p !== undefined) problems.push(p);
  }
  return problems;
}
