import { readdirSync } from 'node:fs';
import { errorMessage, UsageError } from '../core/errors.js';

/**
 * The file names of a folder of the user's (migrations, optimizations, smoke checks). One dbfleet may not
 * list (EACCES: a deploy user's folder, a volume mounted for another uid) is a setup error — exit 2,
 * naming the folder — not an "unexpected error" with readdir's stack.
 */
export function readUserFolder(dir: string, what: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new UsageError(`cannot read the ${what} directory ${dir}: ${code}`);
  }
}
