import type { Argv } from 'yargs';

/** What a fleet command's exit code means: `dbfleet --help` and each such command's own `--help` say it. */
export const FLEET_EXIT_CODES =
  'Exit codes: 0 every selected tenant is done · 1 at least one tenant failed or was skipped (locked by another runner, not started, not tried while its server was down), or the run was interrupted (Ctrl-C, SIGTERM) · 2 usage, configuration, inventory, journal or queue error (nothing was changed).';

/** A fleet command's `--help` ends with its exit codes, as `dbfleet --help` does. */
export function withFleetExitCodes<T>(y: Argv<T>): Argv<T> {
  return y.epilogue(FLEET_EXIT_CODES);
}

/** `dbfleet worker` runs until stopped: its exit says why it stopped, for the supervisor that restarts it. */
export const WORKER_EXIT_CODES =
  'Exit codes: 0 stopped by Ctrl-C or SIGTERM (its tenants finished their current step, unfinished ones left for a resume) · 1 lost its control connection: it stopped its tenants unfinished for another worker to resume — restart it · 2 usage, configuration or queue error (nothing was changed).';
