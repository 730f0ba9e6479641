import type { CommandModule } from 'yargs';
import { outputOf, runCommand } from '../run-command.js';

interface InitArgs {
  dir?: string;
  dialect: 'sqlite' | 'postgres';
}

export const initCommand: CommandModule<object, InitArgs> = {
  command: 'init',
  describe:
    'write a starter knexfile, tenants.json and a first migration into this project (never overwrites)',
  builder: (y) =>
    y
      .option('dir', { type: 'string', describe: 'the project folder (default: the current one)' })
      .option('dialect', {
        choices: ['sqlite', 'postgres'] as const,
        default: 'sqlite' as const,
        describe:
          'starter inventory: two SQLite files (runs as is) or two local PostgreSQL databases to edit',
      })
      .example('$0 init && $0 migrate', 'a two-tenant SQLite fleet, migrated') as never,
  handler: (args) =>
    runCommand(outputOf(args), async () => {
      const { initProject } = await import('../../scaffold/init-project.js');
      const result = await initProject({ dir: args.dir, dialect: args.dialect });
      const lines = [
        ...result.written.map((p) => `  wrote  ${p}`),
        ...result.kept.map((p) => `  kept   ${p} (exists)`),
        ...result.skipped.map((p) => `  not written  ${p}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n\n`);
      const next =
        args.dialect === 'postgres'
          ? 'next: create the databases named in tenants.json (or edit it), then npx dbfleet status'
          : 'next: npx dbfleet migrate, then npx dbfleet status';
      const reused = result.configLacksInventory
        ? `\nyour ${result.config} is kept: add \`inventory: { file: './tenants.json' }\` to it for dbfleet.`
        : '';
      process.stdout.write(`${next}${reused}\nadd .dbfleet/ (journal, backups) to .gitignore.\n`);
      return 0;
    }),
};
