import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { errorMessage, UsageError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { runCommand } from '../run-command.js';

type ReportFormat = 'table' | 'json' | 'md' | 'html';
const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'md', 'html'];

interface ReportArgs {
  config?: string;
  journal?: string;
  run?: string;
  format?: ReportFormat;
  out?: string;
  slowest?: number;
  json?: boolean;
}

const DEFAULT_JOURNAL = '.dbfleet/journal.db';
const isUrl = (target: string) => /^postgres(ql)?:\/\//i.test(target);
const BY_EXTENSION: Record<string, ReportFormat> = {
  '.html': 'html',
  '.htm': 'html',
  '.md': 'md',
  '.json': 'json',
};

/** `--journal`, else the config's `journal` (relative to the config file), else .dbfleet/journal.db. */
async function journalTarget(args: ReportArgs): Promise<string> {
  if (args.journal) return isUrl(args.journal) ? args.journal : resolve(args.journal);
  const { loadConfig } = await import('../../config/load.js');
  const { config, baseDir } = await loadConfig(args.config);
  const target = config.journal ?? DEFAULT_JOURNAL;
  return isUrl(target) ? target : resolve(baseDir, target);
}

/** --format wins; --json means json; otherwise the --out file's extension, else a table. */
function formatOf(args: ReportArgs): ReportFormat {
  if (args.format) return args.format;
  if (args.json) return 'json';
  return (args.out && BY_EXTENSION[extname(args.out).toLowerCase()]) || 'table';
}

export const reportCommand: CommandModule<object, ReportArgs> = {
  command: 'report',
  describe: 'read the journal: per tenant version, last backup, steps and problems; fleet-wide stats',
  builder: (y) =>
    y
      .option('run', {
        type: 'string',
        describe: 'the run to report on (default: the newest upgrade run, else the newest run)',
      })
      .option('format', {
        choices: REPORT_FORMATS,
        describe: 'table (default), json, md or html (one self-contained file)',
      })
      .option('out', { type: 'string', describe: 'write the report to this file instead of stdout' })
      .option('slowest', { type: 'number', default: 10, describe: 'how many of the slowest tenants to list' })
      .option('journal', {
        type: 'string',
        describe: 'journal: SQLite path or postgres:// URL (default .dbfleet/journal.db)',
      })
      .option('config', {
        type: 'string',
        describe: 'configuration module, read for its journal (default ./knexfile.ts, .js, .mjs or .json)',
      })
      .option('json', { type: 'boolean', describe: 'same as --format json' })
      .example('$0 report', 'the newest upgrade run, as tables')
      .example(
        '$0 report --run 20240501T101500Z-3f2a --format html --out report.html',
        'one run, as a web page',
      )
      .strict() as never,
  handler: (args) =>
    runCommand({ command: 'report', json: formatOf(args) === 'json' && !args.out }, async () => {
      if (args.slowest !== undefined && (!Number.isInteger(args.slowest) || args.slowest < 0))
        throw new UsageError('--slowest must be a whole number of at least 0');
      const target = await journalTarget(args);
      // Reading must not create: a mistyped path is an error, not a new empty journal.
      if (!isUrl(target) && !existsSync(target))
        throw new UsageError(`no journal at ${target} (pass --journal, or run an upgrade first)`);
      const [{ renderReport, report }, { renderReportTable }] = await Promise.all([
        import('../../report/index.js'),
        import('../render/report-table.js'),
      ]);
      const doc = await report({
        journal: target,
        runId: args.run,
        slowest: args.slowest,
        // Which run a bare `report` shows, and how to pick another; stderr keeps stdout the report itself.
        onNote: (note) => process.stderr.write(`dbfleet: ${note}\n`),
      });
      // The document is redacted string by string (buildFleetReport); redacting the rendered text again
      // could eat a closing quote or tag after "password=…" and break the JSON or the HTML.
      const format = formatOf(args);
      const text = format === 'table' ? renderReportTable(doc) : renderReport(doc, format);
      if (args.out) {
        const file = resolve(args.out);
        try {
          await mkdir(dirname(file), { recursive: true });
          await writeFile(file, text);
        } catch (err) {
          throw new UsageError(`cannot write the report to ${file}: ${errorMessage(err)}`);
        }
        process.stderr.write(`dbfleet: report written to ${redact(file)}\n`);
      } else process.stdout.write(text);
      return 0;
    }),
};
