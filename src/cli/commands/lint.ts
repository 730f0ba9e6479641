import type { CommandModule } from 'yargs';
import { UsageError } from '../../core/errors.js';
import { redact, redactDeep } from '../../core/redact.js';
import type { LintFinding, LintReport } from '../../lint/index.js';
import { type CommonArgs, READ_ONLY_UNUSED, resolveContext, withCommonOptions } from '../context.js';
import { drawTable } from '../render/draw-table.js';
import { outputOf, runCommand } from '../run-command.js';

type LintArgs = CommonArgs & { all?: boolean; dialect?: 'postgres' | 'mssql' };

const ACCEPT_HINT =
  'Accept a finding in its migration, with the reason it is safe there: `-- dbfleet: allow=<rule> reason: <why>` in a .sql file, `config.allow` in a knex migration';

/** One line, cut: the table shows which statement; `--json` and `plan --sql` show it whole. */
function shorten(statement: string, max = 160): string {
  const line = statement.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function note(f: LintFinding): string {
  const accepted = f.accepted !== undefined ? `accepted: ${f.accepted}` : '';
  return [f.detail ?? '', accepted].filter(Boolean).join('\n');
}

/** Each rule that fired, once: why it hurts and the safe pattern. */
function legend(findings: readonly LintFinding[]): string {
  const seen = new Map(findings.map((f) => [f.rule, f]));
  return [...seen.values()].map((f) => `${f.rule}\n  why:  ${f.why}\n  safe: ${f.safe}`).join('\n');
}

export function renderLint(report: LintReport): string {
  const findings = report.migrations.flatMap((m) => m.findings);
  const lines: string[] = [];
  if (findings.length) {
    const unacceptedFirst = [...findings].sort(
      (a, b) => Number(a.accepted !== undefined) - Number(b.accepted !== undefined),
    );
    lines.push(
      drawTable([
        { head: 'migration', cells: unacceptedFirst.map((f) => f.migration), maxLines: 2 },
        {
          head: 'rule',
          cells: unacceptedFirst.map((f) => (f.accepted !== undefined ? `${f.rule}\n(accepted)` : f.rule)),
          // An id is what `allow=` needs: never broken over two lines.
          minWidth: Math.max(...findings.map((f) => f.rule.length)),
        },
        { head: 'statement', cells: unacceptedFirst.map((f) => shorten(f.statement)), maxLines: 3 },
        { head: 'note', cells: unacceptedFirst.map(note), maxLines: 3, optional: true },
      ]),
      '',
      legend(findings),
      '',
    );
  }
  for (const m of report.migrations) for (const n of m.notes) lines.push(`note: ${m.name}: ${n}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  for (const t of report.unreadTenants)
    lines.push(
      `not linted: tenant ${t.id} (${t.code}${t.message ? `: ${t.message}` : ''}) — its pending migrations could not be read; --all lints without a database`,
    );
  const s = report.summary;
  const what = report.mode === 'all' ? 'migration(s) in the folder' : 'pending migration(s)';
  lines.push(
    s.findings === 0
      ? `lint: ${s.migrations} ${what} — no finding`
      : `lint: ${s.migrations} ${what} — ${s.findings} finding(s): ${s.unaccepted} not accepted, ${s.accepted} accepted`,
  );
  if (s.unaccepted > 0) lines.push(ACCEPT_HINT);
  return redact(lines.join('\n'));
}

export const lintCommand: CommandModule<object, LintArgs> = {
  command: 'lint',
  describe:
    'flag pending migrations that take heavy locks or rewrite tables on a live database (exit 1 on an unaccepted finding)',
  builder: (y) =>
    withCommonOptions(y, READ_ONLY_UNUSED)
      .option('all', {
        type: 'boolean',
        describe:
          'lint every migration in the folder without touching a database, each as if it ran alone on a live database (default: what the selected tenants have pending, read as `status` reads it)',
      })
      .option('dialect', {
        choices: ['postgres', 'mssql'] as const,
        describe: 'with --all: whose SQL to derive and lint (default postgres)',
      })
      .example('$0 lint', 'lint what the fleet would run next')
      .example('$0 lint --all --json', 'lint every migration, no database needed (CI)')
      .epilogue(
        `Rules and how to accept a finding: README "Lint: unsafe migrations before they run". Exit codes: 0 no unaccepted finding · 1 an unaccepted finding, or a tenant whose pending migrations could not be read · 2 usage or configuration error (an allow= without a reason or naming no rule, too).\n${ACCEPT_HINT}.`,
      ) as never,
  handler: (args) =>
    runCommand(outputOf(args), async (signal) => {
      if (args.dialect && !args.all)
        throw new UsageError("--dialect goes with --all (otherwise each tenant's own dialect is linted)");
      const { lint } = await import('../../lint/index.js');
      const ctx = await resolveContext(args, signal, args.all ? { inventory: false } : {});
      const report = await lint({
        ...ctx.fleet,
        migrations: ctx.migrations,
        all: args.all,
        ...(args.dialect ? { dialect: args.dialect } : {}),
      });
      if (ctx.mode.json) process.stdout.write(`${JSON.stringify(redactDeep(report), null, 2)}\n`);
      else process.stdout.write(`${renderLint(report)}\n`);
      return report.ok ? 0 : 1;
    }),
};
