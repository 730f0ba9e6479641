import { format, type InspectOptions, inspect } from 'node:util';
import { errorMessage, UsageError } from '../core/errors.js';
import { redact, withRedaction } from '../core/redact.js';
import { type CommandOutput, errorDocument } from './render/error-document.js';
import { warnOnStrayRejections } from './stray-rejections.js';

type StopSignal = 'SIGINT' | 'SIGTERM';

/** A second signal exits at once, with the shell's code for death by that signal. */
const EXIT_AT_ONCE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

const FIRST_SIGNAL_NOTICE: Record<StopSignal, string> = {
  SIGINT:
    'interrupt: no new tenant starts; in-flight tenants finish their current step (Ctrl-C again to exit now)',
  SIGTERM:
    'SIGTERM: no new tenant starts; in-flight tenants finish their current step (a second SIGTERM exits now)',
};

/**
 * stdout carries the table or the JSON report and nothing else: whatever a library (knex's logger prints
 * with console.log) or a user's migration prints through `console` goes to stderr, redacted. (console.table,
 * count, group and timeLog print through console.log; a write to process.stdout itself is not caught.)
 */
function consoleToStderr(): void {
  const write = (...args: unknown[]) => {
    process.stderr.write(`${redact(format(...args))}\n`);
  };
  console.log = write;
  console.info = write;
  console.debug = write;
  console.warn = write;
  console.error = write;
  // console.dir and console.dirxml write to stdout themselves, not through console.log.
  console.dir = (item?: unknown, options?: InspectOptions) => write(inspect(item, options));
  console.dirxml = write;
}

/** Password files a SIGKILLed dbfleet left in /tmp go as soon as the next command runs. */
async function sweepLeftovers(): Promise<void> {
  try {
    const { sweepStalePassDirsOnce } = await import('../dialect/postgres/passfile.js');
    sweepStalePassDirsOnce();
  } catch {
    // a cleanup of someone else's leftovers must never stop a command
  }
}

/**
 * The one place that owns exit codes: 0 every selected tenant is done (succeeded), 1 a tenant failed or
 * was skipped or the run was interrupted, 2 a usage/configuration/inventory error before anything was
 * changed.
 * The first Ctrl-C or SIGTERM (a service manager, a CI timeout, `kill`) stops new tenants from starting
 * and lets in-flight ones finish their current step, so the run is journaled `interrupted`, tools are
 * stopped and password files removed; a second one exits at once.
 * The command is one redaction scope: the passwords its config, inventory and journal name are masked
 * in everything it prints, the error it may end with included.
 */
export function runCommand(
  output: CommandOutput,
  action: (signal: AbortSignal) => Promise<number>,
): Promise<void> {
  return withRedaction(() => runInScope(output, action));
}

/** The command and its `--json` from its parsed arguments (yargs puts the command first in `_`). */
export function outputOf(args: { _?: (string | number)[]; json?: boolean }): CommandOutput {
  return { command: args._?.[0] === undefined ? null : String(args._[0]), json: Boolean(args.json) };
}

async function runInScope(
  output: CommandOutput,
  action: (signal: AbortSignal) => Promise<number>,
): Promise<void> {
  consoleToStderr();
  warnOnStrayRejections();
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: StopSignal) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\n${FIRST_SIGNAL_NOTICE[signal]}\n`);
      controller.abort();
    } else process.exit(EXIT_AT_ONCE[signal]);
  };
  const onSigint = () => onSignal('SIGINT');
  const onSigterm = () => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  try {
    await sweepLeftovers();
    process.exitCode = await action(controller.signal);
  } catch (err) {
    // stderr keeps its one line for whoever reads the log; with --json, stdout has the document.
    if (err instanceof UsageError) {
      process.stderr.write(`dbfleet: ${redact(err.message)}\n`);
      if (output.json) process.stdout.write(errorDocument(output, 'USAGE_ERROR', err.message));
      process.exitCode = 2;
    } else {
      process.stderr.write(`dbfleet: unexpected error: ${errorMessage(err)}\n`);
      if (process.env.DBFLEET_DEBUG && err instanceof Error && err.stack)
        process.stderr.write(`${redact(err.stack)}\n`);
      if (output.json) process.stdout.write(errorDocument(output, 'FAILED', errorMessage(err)));
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
