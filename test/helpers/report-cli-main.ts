// `dbfleet report` on its own, for tests, until the command is registered in src/cli/main.ts.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { reportCommand } from '../../src/cli/commands/report.js';

await yargs(hideBin(process.argv))
  .scriptName('dbfleet')
  .command(reportCommand)
  .demandCommand(1)
  .strict()
  .fail((message, err) => {
    if (err) throw err;
    process.stderr.write(`dbfleet: ${message}\n`);
    process.exit(2);
  })
  .parseAsync();
