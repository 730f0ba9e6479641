import type { CommandModule } from 'yargs';
import type { FleetReport } from '../../fleet/report.js';
import { derivedSqlText } from '../../migration/derivation-notes.js';
import { type CommonArgs, READ_ONLY_UNUSED, resolveContext, withCommonOptions } from '../context.js';
import { withFleetExitCodes } from '../exit-codes-text.js';
import { exitCodeOf, printReport } from '../output.js';
import { statusCurrentColumn, statusPendingColumn } from '../render/result-columns.js';
import { outputOf, runCommand } from '../run-command.js';

type StatusArgs = CommonArgs & { sql?: boolean; 'allow-out-of-order'?: boolean };

/** "How many tenants are on which version" — the line a DBA reads first. */
export function versionSummary(report: FleetReport): string {
  const counts = new Map<string, number>();
  for (const t of report.tenants) {
    const version =
      t.status === 'failed' && t.error?.code !== 'MIGRATION_PROBLEMS'
        ? '(unreachable or failed)'
        : String(t.details.current ?? '(empty)');
    counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  const lines = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([v, n]) => `  ${String(n).padStart(5)}  ${v}`);
  return `tenants per version:\n${lines.join('\n')}`;
}

const columns = [statusCurrentColumn, statusPendingColumn];

export const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: 'per tenant: current migration, pending count, problems (read-only, takes no lock)',
  builder: (y) =>
    withFleetExitCodes(withCommonOptions(y, READ_ONLY_UNUSED)).example(
      '$0 status --json',
      'machine-readable status of every tenant',
    ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { status } = await import('../../migration/status-fleet.js');
      const ctx = await resolveContext(args, signal);
      const report = await status({
        ...ctx.fleet,
        migrations: ctx.migrations,
        allowOutOfOrder: args['allow-out-of-order'],
      });
      await printReport(report, ctx.mode, columns, versionSummary(report));
      return exitCodeOf(report);
    }),
};

export const planCommand: CommandModule<object, StatusArgs> = {
  command: 'plan',
  describe: 'pending migrations per tenant; with --sql, the SQL they would run where it can be derived',
  builder: (y) =>
    withFleetExitCodes(withCommonOptions(y, READ_ONLY_UNUSED))
      .option('sql', { type: 'boolean', describe: 'include the SQL (derived without touching the database)' })
      .example('$0 plan --tenant acme --sql', 'the SQL acme would run') as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const { plan } = await import('../../migration/status-fleet.js');
      const ctx = await resolveContext(args, signal);
      const report = await plan({
        ...ctx.fleet,
        migrations: ctx.migrations,
        sql: args.sql,
        allowOutOfOrder: args['allow-out-of-order'],
      });
      const pendingColumn = {
        head: 'pending',
        value: (r: { details: Record<string, unknown> }) =>
          ((r.details.pending as string[]) ?? []).join('\n'),
      };
      let footer: string | undefined;
      if (args.sql && !ctx.mode.json) {
        footer = report.tenants
          .filter((t) => t.details.sql)
          .map((t) =>
            Object.entries(t.details.sql as Record<string, string[]>)
              .map(([name, stmts]) => `-- ${t.id}: ${name}\n${derivedSqlText(stmts)}`)
              .join('\n'),
          )
          .join('\n\n');
      }
      await printReport(report, ctx.mode, [statusCurrentColumn, pendingColumn], footer);
      return exitCodeOf(report);
    }),
};
