import { errorMessage, UsageError } from '../util/errors.js';
import { redact } from '../util/redact.js';

/**
 * The one place that owns exit codes: 0 every tenant succeeded, 1 a tenant failed (or the run was
 * interrupted), 2 a usage/configuration/inventory error before anything was changed.
 * The first Ctrl-C stops new tenants from starting and lets in-flight ones finish their current step;
 * a second one exits at once.
 */
export async function runCommand(action: (signal: AbortSignal) => Promise<number>): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(
        '\ninterrupt: no new tenant starts; in-flight tenants finish their current step (Ctrl-C again to exit now)\n',
      );
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    process.exitCode = await action(controller.signal);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`dbfleet: ${redact(err.message)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`dbfleet: unexpected error: ${errorMessage(err)}\n`);
      if (process.env.DBFLEET_DEBUG && err instanceof Error && err.stack)
        process.stderr.write(`${redact(err.stack)}\n`);
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}
