import { DBFLEET_BIN as BIN } from '../dbfleet-cli.js';
import { runChild } from '../measure.js';

let commands: Promise<Set<string>> | undefined;

/** The commands the dbfleet CLI offers today (from its `--help`), so a suite measures only what has landed. */
export function cliCommands(): Promise<Set<string>> {
  commands ??= runChild(process.execPath, [BIN, '--help'], { measureRss: false }).then(
    (run) => new Set([...run.stdout.matchAll(/^\s+dbfleet (\w+)/gm)].map((m) => m[1]!)),
  );
  return commands;
}
