import { errorMessage } from '../core/errors.js';
import { redact } from '../core/redact.js';

/**
 * A rejected promise nobody awaited — typically a migration's query started without `await` or `return`
 * (`knex('t').update(…).then(() => {})` inside a `.then` callback): its migration has already resolved, so
 * the failure cannot fail it, under knex as under dbfleet. Node's default for such a rejection is to end
 * the process: one tenant's stray query then killed the whole fleet run, with tenants in flight, the
 * rest never started and no report. knex's CLI finishes its run; dbfleet's finishes every tenant too,
 * and says what was rejected on stderr (stdout keeps the table or the JSON report).
 *
 * Each one is said as it comes — some arrive after the last tenant's result: the migration had resolved.
 * Installed by the CLI only, for the life of the process: a library caller's process is its own to run.
 */
export function warnOnStrayRejections(): void {
  // Once per process, however many commands run in it (a test's, a wrapper's).
  if (installed) return;
  installed = true;
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(
      `dbfleet: warning: a promise nobody awaited was rejected (most often a migration, hook or check that started a query without \`await\` or \`return\`: its failure could not fail it, and the tenants' results do not show it): ${redact(errorMessage(reason))}\n`,
    );
  });
}

let installed = false;
