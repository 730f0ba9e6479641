import { dirname, resolve } from 'node:path';

/** The flags that name a file or folder: relative to where the command was typed. */
const PATH_FLAGS = ['tenants', 'migrations', 'optimizations', 'backup-dir', 'journal', 'backup', 'checks'];

const isUrl = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/**
 * `--config` naming a knexfile in another folder makes that folder the working directory, as knex's CLI
 * does with `--knexfile` (its "Working directory changed to …"): a knexfile that reads `.env` or other files
 * relative to the working directory, and migrations that read theirs, find the same files as under knex —
 * from the caller's folder, a dotenv knexfile connected to another database. The path flags were typed
 * relative to the caller's folder, so they are made absolute first. The CLI's alone: a library caller
 * keeps its own working directory.
 */
export function enterConfigFolder(args: Record<string, unknown>): void {
  const config = args.config;
  if (typeof config !== 'string' || config === '') return;
  const folder = dirname(resolve(config));
  if (folder === process.cwd()) return;
  for (const flag of PATH_FLAGS) {
    const value = args[flag];
    if (typeof value === 'string' && value !== '' && value !== 'latest' && !isUrl(value))
      args[flag] = resolve(value);
  }
  args.config = resolve(config);
  process.chdir(folder);
}
