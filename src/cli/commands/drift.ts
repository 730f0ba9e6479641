import type { CommandModule } from 'yargs';
import type { TenantResult } from '../../core/events.js';
import { type CommonArgs, READ_ONLY_UNUSED, resolveContext, withCommonOptions } from '../context.js';
import type { ResultColumn } from '../render/table.js';
import { outputOf, runCommand } from '../run-command.js';

const unread = (r: TenantResult) => r.status !== 'succeeded';

const columns: ResultColumn[] = [
  { head: 'version', value: (r) => (unread(r) ? 'unknown' : String(r.details.version ?? '—')) },
  {
    head: 'group',
    value: (r) => (unread(r) ? '—' : `${r.details.group}${r.details.group === 1 ? ' (majority)' : ''}`),
  },
  {
    head: 'differences',
    value: (r) => (unread(r) ? '—' : String((r.details.differences as unknown[] | undefined)?.length ?? 0)),
  },
];

export const driftCommand: CommandModule<object, CommonArgs> = {
  command: 'drift',
  describe:
    'tenants whose schema differs from the others on the same version, and how (read-only, takes no lock); exit 1 on drift',
  builder: (y) =>
    withCommonOptions(y, ['migrations', ...READ_ONLY_UNUSED])
      .example('$0 drift', 'groups per version, the majority marked, a diff per outlier')
      .example('$0 drift --json', 'per tenant: version, fingerprint, group, differences')
      // Its own codes: drift is exit 1 although every tenant succeeded (was read).
      .epilogue(
        'Exit codes: 0 no drift · 1 drift, or a tenant that could not be read (reported failed) · 2 usage or configuration error.',
      ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      const [{ drift }, { driftLines }, { redact }, { writeJsonReport }, { renderTable }] = await Promise.all(
        [
          import('../../drift/fleet.js'),
          import('../../drift/describe.js'),
          import('../../core/redact.js'),
          import('../render/json-report.js'),
          import('../render/table.js'),
        ],
      );
      const ctx = await resolveContext(args, signal);
      const report = await drift(ctx.fleet);
      if (ctx.mode.json) {
        // Streamed a tenant at a time like every --json report, the fleet's drift summary after them.
        await writeJsonReport(report, process.stdout, { drift: report.drift });
      } else {
        process.stdout.write(`${redact(renderTable(report, columns))}\n`);
        process.stdout.write(`${redact(driftLines(report).join('\n'))}\n`);
      }
      // 0 only when every tenant was read and none drifts; a tenant that could not be read is failed.
      return report.ok ? 0 : 1;
    }),
};
