import yargs, { type CommandModule } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { closestMatch } from '../util/suggest.js';
import { backupCommand, restoreCommand, verifyCommand } from './commands/backup.js';
import { demoCommand } from './commands/demo.js';
import { driftCommand } from './commands/drift.js';
import { initCommand } from './commands/init.js';
import { lintCommand } from './commands/lint.js';
import { migrateCommand, repairCommand, rollbackCommand } from './commands/migrate.js';
import { optimizeCommand } from './commands/optimize.js';
import { reportCommand } from './commands/report.js';
import { planCommand, statusCommand } from './commands/status.js';
import { upgradeCommand } from './commands/upgrade.js';
import { workerCommand } from './commands/worker.js';
import { FLEET_EXIT_CODES } from './exit-codes-text.js';
import { ownVersion } from './own-version.js';
import { errorDocument } from './render/error-document.js';

const EPILOGUE = `${FLEET_EXIT_CODES}
Inventory file: a JSON array of { "id", "dialect": "postgres"|"sqlite"|"mssql", "connection", "schema"?, "tags"? }.
Docs: README.md`;

/**
 * `Unknown argument: concurrrency` → `… (--concurrrency: did you mean --concurrency?)`. The command's
 * options are read off its help text: yargs has no public list of them.
 */
function withSuggestion(message: string, helpText: string): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(message)?.[1]?.split(', ');
  if (!unknown) return message;
  const known = [...new Set([...helpText.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!))];
  // yargs names a dashed unknown option twice (bogus-flag, bogusFlag): suggest once.
  const names = unknown.filter(
    (n) => !/[A-Z]/.test(n) || !unknown.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)),
  );
  const hints = names.flatMap((name) => {
    const match = closestMatch(name, known);
    return match ? [`--${name}: did you mean --${match}?`] : [];
  });
  return hints.length ? `${message} (${hints.join('; ')})` : message;
}

/** Every command, in the order `--help` lists them. */
const COMMAND_MODULES = [
  migrateCommand,
  statusCommand,
  planCommand,
  lintCommand,
  driftCommand,
  rollbackCommand,
  repairCommand,
  backupCommand,
  verifyCommand,
  restoreCommand,
  optimizeCommand,
  upgradeCommand,
  workerCommand,
  reportCommand,
  demoCommand,
  initCommand,
] as CommandModule<object, never>[];
const COMMANDS = COMMAND_MODULES.map((c) => String(c.command));

await yargs(hideBin(process.argv))
  .scriptName('dbfleet')
  .usage(
    '$0 <command> [options]\n\nUpgrade a fleet of tenant databases concurrently and safely: backups, migrations, optimizations,\nsmoke checks, in waves, with a durable journal, resume, rollback and a fleet report.',
  )
  .command(COMMAND_MODULES)
  .demandCommand(1, 'name a command: dbfleet <command> --help for its options')
  .strict()
  .recommendCommands()
  .epilogue(EPILOGUE)
  .wrap(Math.min(120, process.stdout.columns || 100))
  .fail((message, err, y) => {
    if (err) throw err;
    // No command at all: the overview is the answer. Anything else is one line (the whole help would
    // bury it), with the option the user probably meant.
    const argv = hideBin(process.argv);
    const command = argv.find((a) => !a.startsWith('-'));
    let line: string;
    if (command === undefined || !COMMANDS.includes(command)) {
      if (command === undefined) y.showHelp((s: string) => process.stderr.write(`${s}\n\n`));
      // yargs says only "Did you mean migrate?": say first that there is no such command.
      // With other flags (`frobnicate --json`) yargs lists them all: "Unknown arguments: json, frobnicate".
      const unknownArguments = /^Unknown arguments?: (.*)$/.exec(message)?.[1]?.split(', ') ?? [];
      const unknown =
        command !== undefined && (/^Did you mean/.test(message) || unknownArguments.includes(command));
      line = unknown
        ? `unknown command "${command}"${/^Did you mean/.test(message) ? `. ${message}` : ''} (dbfleet --help lists them)`
        : message;
    } else {
      let help = '';
      y.showHelp((s: string) => {
        help = s;
      });
      line = `${withSuggestion(message, help)} (dbfleet ${command} --help)`;
    }
    process.stderr.write(`dbfleet: ${line}\n`);
    // --json promises a JSON document on stdout, a usage error included (see error-document.ts).
    if (argv.some((a) => a === '--json' || a === '--json=true')) {
      const known = command !== undefined && COMMANDS.includes(command) ? command : null;
      process.stdout.write(errorDocument({ command: known, json: true }, 'USAGE_ERROR', line));
    }
    process.exit(2);
  })
  .help()
  .version(ownVersion())
  .parseAsync();
